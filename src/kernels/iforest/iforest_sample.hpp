// The training sample of an Isolation Forest, gathered in one scan with bounded memory.
//
// Every row gets a pseudo-random 64-bit key and the pool keeps the sample_size * n_trees rows
// with the smallest keys (a bottom-k reservoir): a uniform sample without replacement of the
// rows seen so far, whatever their order. Two pools merge by keeping the smallest keys of both,
// which is the pool of the union; this makes the aggregate parallel. Each tree then draws its
// ψ rows without replacement from the pool (all rows when there are at most ψ * n_trees).
#pragma once

#include "core/bytes.hpp"
#include "iforest/iforest_options.hpp"
#include "core/state_alloc.hpp"

#include <cstdint>
#include <vector>

namespace dmine::iforest {

class SamplePool {
public:
    // `stream` separates the key sequences of pools filled in parallel or on different shards
    // (dm_iforest mixes the first row into it, see core/rng.hpp partial_stream).
    // Defined inline: an out-of-line constructor becomes an alias in the bitcode, which
    // PostgreSQL's JIT inliner cannot read.
    SamplePool(const Options &options, int dim, std::uint64_t stream = 0)
        : options_(checked(options, dim)), dim_(dim),
          capacity_(std::size_t(options.sample_size) * std::size_t(options.n_trees)),
          stream_base_(stream_base(options.seed, stream)) {}

    // Offer one row of `dim` values; NaN or infinity fails with ErrorKind::Data, another
    // length with ErrorKind::DimensionMismatch.
    void add(const double *row, int dim);
    // Count `count` NULL rows, skipped by the fit.
    void add_nulls(std::uint64_t count) { nulls_skipped_ += count; }
    // Keep the smallest keys of this pool and `other` (same options and dimension).
    void merge(const SamplePool &other);

    void serialize(ByteWriter &out) const;
    static SamplePool deserialize(ByteReader &in);

    const Options &options() const noexcept { return options_; }
    int dim() const noexcept { return dim_; }
    std::uint64_t rows_seen() const noexcept { return rows_seen_; }
    std::uint64_t nulls_skipped() const noexcept { return nulls_skipped_; }
    std::size_t size() const noexcept { return keys_.size(); }
    std::size_t capacity() const noexcept { return capacity_; }

    // The pooled rows, row-major, in increasing key order: pools merged in any order give
    // the same matrix.
    std::vector<double> rows_by_key() const;

private:
    // `options` after checking them and `dim` (ErrorKind::InvalidParameter/DimensionMismatch).
    static const Options &checked(const Options &options, int dim);
    static std::uint64_t stream_base(std::uint64_t seed, std::uint64_t stream);

    struct Entry {
        std::uint64_t key;
        std::uint32_t slot;
        bool operator<(const Entry &other) const { return key < other.key; }
    };
    void offer(std::uint64_t key, const double *row);

    Options options_;
    int dim_;
    std::size_t capacity_;
    std::uint64_t stream_base_;
    std::uint64_t rows_seen_ = 0;
    std::uint64_t nulls_skipped_ = 0;
    std::uint64_t keys_drawn_ = 0;
    StateVector<Entry> keys_;    // max-heap on key: the top is the first to leave
    StateVector<double> values_; // slot-major rows
};

// Fail with ErrorKind::Data naming the first NaN or infinite element (1-based) of `row`.
void check_finite(const double *row, int dim);

} // namespace dmine::iforest
