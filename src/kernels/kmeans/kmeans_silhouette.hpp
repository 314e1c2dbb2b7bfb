// Silhouette score on a bounded random sample, with scikit-learn's silhouette_score(sample_size=)
// semantics: draw `sample_size` points without replacement, compute the exact mean silhouette
// of those points among themselves (draw the sample with random_subset).
#pragma once

#include "kmeans/kmeans_sample.hpp"
#include "core/rng.hpp"

#include <cstdint>
#include <vector>

namespace dmine::kmeans {

// Mean silhouette of the points `sample` (indices into x) with cluster `labels` in 0..k-1;
// NaN when the sample holds fewer than 2 clusters or as many clusters as points.
double silhouette(const Matrix &x, const std::vector<int> &labels, int k,
                  const std::vector<Eigen::Index> &sample);

// The same for several clusterings of x at once (labels[c] in 0..ks[c]-1), each distance of the
// sample computed once for all of them; every figure equals silhouette(x, *labels[c], ks[c],
// sample) exactly (the sums add the same distances in the same order).
std::vector<double> silhouettes(const Matrix &x,
                                const std::vector<const std::vector<int> *> &labels,
                                const std::vector<int> &ks,
                                const std::vector<Eigen::Index> &sample);

// Doubles of the per-cluster distance sums that silhouettes() keeps for these k over m points.
double silhouettes_table_size(std::size_t m, const std::vector<int> &ks);

} // namespace dmine::kmeans
