// A fitted K-Means model: its binary form (sealed, versioned), its JSON text form, and the
// per-row operations (nearest centroid, distance).
//
// Centroids are stored in original units. When scaling is on, distances are measured on
// standardised features: d(x, c)^2 = sum_j ((x_j - c_j) / sd_j)^2 (a feature with sd 0 is left
// unscaled); with scaling off they are plain Euclidean distances. Cluster SSE and inertia use the
// same metric. When the fit used a sample, sizes and SSE are scaled up to the rows seen.
#pragma once

#include "core/errors.hpp"
#include "kmeans/kmeans_options.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dmine::kmeans {

// Inertia and silhouette of the fit tried for one k (silhouette NaN when undefined).
struct Score {
    std::int32_t k = 0;
    double inertia = 0;
    double silhouette = 0;
};

struct Model {
    static constexpr std::uint32_t kMagic = 0x4B4D4E44; // "KMND"
    static constexpr std::uint16_t kVersion = 1;
    static constexpr int kMaxK = 1000000;
    static constexpr int kMaxDim = 100000;
    static constexpr std::size_t kMaxScores = 100000;
    static constexpr std::uint64_t kMaxCount = INT64_MAX; // row counts are reported as bigint

    std::int32_t k = 0;
    std::int32_t dim = 0;
    std::vector<double> mean, sd;  // per-feature statistics of the rows seen (population sd)
    std::vector<double> centroids; // k x dim, row-major, original units
    std::vector<double> sizes;     // rows per cluster (estimated when sampled)
    std::vector<double> sse;       // within-cluster sum of squared distances
    double silhouette = 0;         // NaN when undefined (k = 1)
    std::uint32_t iterations = 0;
    bool converged = false;
    std::uint32_t refinements = 0; // dm_kmeans_refine passes applied
    std::uint64_t rows = 0;        // non-NULL rows seen
    std::uint64_t nulls = 0;       // NULL rows skipped
    std::uint64_t points_used = 0; // points the fit used (rows when the fit saw every row)
    std::vector<Score> scores;     // one per k tried, ascending k
    Options options;

    double inertia() const;
    bool sampled() const { return points_used < rows; }
    // The divisor of feature j in the distance.
    double scale(int j) const { return options.scale && sd[j] > 0 ? sd[j] : 1.0; }

    // Sealed binary form; decode validates everything and throws ErrorKind::Corrupted.
    std::vector<std::uint8_t> encode() const;
    static Model decode(const void *data, std::size_t size);

    // JSON text form; from_json accepts exactly what to_json writes (any spacing or key order)
    // and throws ErrorKind::InvalidText with the offending field named.
    std::string to_json() const;
    static Model from_json(std::string_view text);

    // Throw `kind` unless the fields are consistent (the invariants: see kmeans_model.cpp).
    void validate(ErrorKind kind) const;

    // Check that a vector has this model's dimension and only finite values.
    void check_features(const double *x, int n) const;
    // Nearest centroid (0-based) and its distance.
    std::pair<int, double> nearest(const double *x, int n) const;
    // Distance from x to centroid `cluster` (0-based).
    double distance(const double *x, int n, int cluster) const;

    // Precompute what assignment needs (called by decode, from_json and the trainer).
    void prepare();
    std::vector<double> inv_scale2;       // 1 / scale^2, not stored
    std::vector<double> inv_scale;        // 1 / scale, not stored
    std::vector<double> scaled_centroids; // centroids / scale, k x dim, not stored

private:
    void validate_shape(ErrorKind kind) const;
    void validate_counts(ErrorKind kind) const;
    void validate_figures(ErrorKind kind) const;
    void validate_scores(ErrorKind kind) const;
};

} // namespace dmine::kmeans
