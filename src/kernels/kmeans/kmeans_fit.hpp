// K-Means on an in-memory matrix: greedy k-means++ seeding, Lloyd's algorithm with Hamerly's
// bounds, restarts, and a swap-based local search that repairs k-means++'s typical local optima
// (two centroids sharing one true cluster while another centroid covers two).
#pragma once

#include "kmeans/kmeans_sample.hpp"
#include "core/rng.hpp"

#include <cstdint>
#include <vector>

namespace dmine::kmeans {

struct Clustering {
    Matrix centroids;           // k x d
    std::vector<int> labels;    // nearest centroid of each point
    std::vector<double> counts; // points per cluster
    std::vector<double> sse;    // sum of squared distances per cluster
    double inertia = 0;         // sum of sse
    int iterations = 0;         // Lloyd iterations of the run that produced this clustering
    bool converged = false;     // labels stable or centre shift within tolerance
};

struct FitParams {
    int k = 8;
    int n_init = 10;
    int max_iter = 300;
    double tol = 1e-4; // relative to the mean feature variance, as in scikit-learn
    int swap_trials = 100;
    std::uint64_t seed = 0;
};

// Greedy k-means++ (scikit-learn's): each new centre is the best of 2 + floor(ln k) candidates
// drawn with probability proportional to the squared distance to the nearest chosen centre.
Matrix seed_kmeanspp(const Matrix &x, int k, Rng &rng);

// Lloyd's algorithm from `centroids` until labels are stable, the squared centre shift is at most
// `tol_abs`, or `max_iter` iterations. Empty clusters take the points farthest from their centres.
Clustering lloyd(const Matrix &x, Matrix centroids, int max_iter, double tol_abs);

// Try to lower the inertia by moving the centroid whose removal costs least to a point drawn as
// k-means++ would, followed by Lloyd; stops after `trials` swaps or when no removal helps.
void swap_search(const Matrix &x, Clustering &best, int trials, int max_iter, Rng &rng);

// The best of n_init seeded runs, polished to stable labels, then improved by swap_search.
// On more than max(20000, 200 k) points, restarts and swaps run on a uniform subsample of that
// size (each restart seeded from a uniform quarter of it) and the result is polished on every
// point. Needs at least k distinct points.
Clustering fit(const Matrix &x, const FitParams &params);

// Mean feature variance of x times tol: scikit-learn's absolute tolerance.
double absolute_tolerance(const Matrix &x, double tol);

// Number of distinct rows of x, whose rows are sorted lexicographically.
std::size_t count_distinct_sorted(const Matrix &x);

} // namespace dmine::kmeans
