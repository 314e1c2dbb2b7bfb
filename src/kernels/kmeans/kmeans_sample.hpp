// The points a K-Means aggregate keeps: every row up to a budget, beyond it a uniform sample.
//
// Each row gets a random 64-bit priority key; the store keeps the `budget` rows with the smallest
// keys (a bottom-k sample). Bottom-k samples merge exactly: the bottom-k of a union is the bottom-k
// of the parts' bottom-k, so parallel workers' stores combine into a uniform sample of all rows.
// Each kept point stands for rows() / size() rows. Per-feature means and variances are exact over
// every row (merged with Chan's formula).
#pragma once

#include "core/bytes.hpp"
#include "core/rng.hpp"
#include "core/state_alloc.hpp"

#include <Eigen/Dense>

#include <cstdint>
#include <vector>

namespace dmine::kmeans {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Exact per-feature count, mean and sum of squared deviations.
struct Moments {
    std::uint64_t count = 0;
    StateVector<double> mean, m2;

    void add(const double *x);
    void merge(const Moments &other);
    // Population standard deviation of each feature.
    std::vector<double> sd() const;
};

class PointSample {
public:
    // `sample_size` caps the kept points (further capped by a memory budget once the dimension is
    // known); `stream` separates the random keys of parallel workers, and the first row added
    // separates those of partial states that share the stream (Citus shards): see add().
    // Defined inline: an out-of-line constructor becomes an alias in the bitcode, which
    // PostgreSQL's JIT inliner cannot read.
    PointSample(std::uint64_t sample_size, std::uint64_t seed, std::uint64_t stream = 0)
        : sample_size_(checked_size(sample_size)), seed_(seed),
          stream_key_(mix64(seed ^ mix64(stream + 1))), rng_(stream_key_) {}

    // Add one row of `dim` features; the first row fixes the dimension.
    void add(const double *x, int dim);
    // Count a NULL row (skipped).
    void add_null() { nulls_++; }
    void merge(const PointSample &other);

    void serialize(ByteWriter &out) const;
    static PointSample deserialize(ByteReader &in);

    int dim() const { return dim_; }
    std::uint64_t rows() const { return moments_.count; }
    std::uint64_t nulls() const { return nulls_; }
    std::uint64_t sample_size() const { return sample_size_; }
    // Points the store would keep: min(rows, budget).
    std::size_t size() const;
    bool sampled() const { return rows() > size(); }
    const Moments &moments() const { return moments_; }

    // The kept points. Sorted (lexicographically), the fit does not depend on the order rows
    // arrived in or on how parallel workers split them; a sample depends on both anyway, so
    // its points may come unsorted (in the order kept).
    Matrix points(bool sorted = true) const;

    // The largest number of points kept for `dim` features (the memory budget).
    static std::uint64_t budget_for(std::uint64_t sample_size, int dim);

private:
    static std::uint64_t checked_size(std::uint64_t sample_size);
    // Positions of the `target` smallest keys, ascending (all positions when fewer).
    std::vector<std::uint32_t> selection(std::size_t target) const;
    // Keep only the `target` smallest keys, in place.
    void compact(std::size_t target);
    void append(const double *x, std::uint64_t key);

    std::uint64_t sample_size_;
    std::uint64_t seed_;
    std::uint64_t stream_key_; // seed and stream; the first row completes the key stream
    Rng rng_;
    int dim_ = 0;
    std::uint64_t budget_ = 0;
    std::uint64_t nulls_ = 0;
    std::uint64_t threshold_ = UINT64_MAX; // keys above it can no longer be in the sample
    StateVector<double> values_;           // kept points, row-major
    StateVector<std::uint64_t> keys_;
    Moments moments_;
};

// The number of distinct rows of x, counting no further than `limit`.
std::size_t count_distinct_upto(const Matrix &x, std::size_t limit);

// Up to `size` distinct indices in [0, n), uniformly at random, in ascending order.
std::vector<Eigen::Index> random_subset(Eigen::Index n, std::uint64_t size, Rng &rng);

} // namespace dmine::kmeans
