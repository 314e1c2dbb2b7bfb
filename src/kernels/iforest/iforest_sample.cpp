// Bottom-k reservoir of training rows for the Isolation Forest.
#include "iforest/iforest_sample.hpp"

#include "core/errors.hpp"
#include "core/rng.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace dmine::iforest {

namespace {

constexpr std::uint32_t kPoolMagic = 0x50464944; // "DIFP"
constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

} // namespace

void check_finite(const double *row, int dim) {
    for (int j = 0; j < dim; j++)
        if (!std::isfinite(row[j]))
            fail(ErrorKind::Data,
                 "features must be finite, element " + std::to_string(j + 1) + " is " +
                     (std::isnan(row[j]) ? "NaN" : "infinite"),
                 {}, "Filter such rows out or replace the value.");
}

const Options &SamplePool::checked(const Options &options, int dim) {
    validate(options);
    if (dim < 1 || dim > kMaxDim)
        fail(ErrorKind::DimensionMismatch, "features must have between 1 and " +
                                               std::to_string(kMaxDim) + " elements, got " +
                                               std::to_string(dim));
    validate_pool_size(options, dim);
    return options;
}

std::uint64_t SamplePool::stream_base(std::uint64_t seed, std::uint64_t stream) {
    return mix64(mix64(seed) + stream);
}

void SamplePool::add(const double *row, int dim) {
    if (dim != dim_)
        fail(ErrorKind::DimensionMismatch, "all feature arrays must have the same length",
             "The first row has " + std::to_string(dim_) + " elements, this one has " +
                 std::to_string(dim) + ".");
    check_finite(row, dim);
    rows_seen_++;
    // A splitmix64 stream: key i is a hash of (stream, i), so the state is two counters.
    std::uint64_t key = mix64(stream_base_ + kGolden * keys_drawn_++);
    offer(key, row);
}

void SamplePool::offer(std::uint64_t key, const double *row) {
    if (keys_.size() < capacity_) {
        auto slot = static_cast<std::uint32_t>(keys_.size());
        values_.insert(values_.end(), row, row + dim_);
        keys_.push_back({key, slot});
        std::push_heap(keys_.begin(), keys_.end());
        return;
    }
    if (key >= keys_.front().key) return;
    std::pop_heap(keys_.begin(), keys_.end());
    Entry &entry = keys_.back();
    entry.key = key;
    std::copy(row, row + dim_, values_.begin() + std::size_t(entry.slot) * dim_);
    std::push_heap(keys_.begin(), keys_.end());
}

void SamplePool::merge(const SamplePool &other) {
    if (other.dim_ != dim_)
        fail(ErrorKind::DimensionMismatch, "all feature arrays must have the same length",
             "One part of the scan saw " + std::to_string(dim_) + " elements, another " +
                 std::to_string(other.dim_) + ".");
    for (const Entry &e : other.keys_)
        offer(e.key, other.values_.data() + std::size_t(e.slot) * dim_);
    rows_seen_ += other.rows_seen_;
    nulls_skipped_ += other.nulls_skipped_;
}

std::vector<double> SamplePool::rows_by_key() const {
    std::vector<Entry> order(keys_.begin(), keys_.end());
    std::sort(order.begin(), order.end());
    std::vector<double> rows;
    rows.reserve(order.size() * dim_);
    for (const Entry &e : order) {
        const double *row = values_.data() + std::size_t(e.slot) * dim_;
        rows.insert(rows.end(), row, row + dim_);
    }
    return rows;
}

void SamplePool::serialize(ByteWriter &out) const {
    out.put<std::uint32_t>(kPoolMagic);
    out.put<std::int32_t>(options_.n_trees);
    out.put<std::int32_t>(options_.sample_size);
    out.put<std::int32_t>(options_.max_depth);
    out.put<double>(options_.contamination);
    out.put<std::uint64_t>(options_.seed);
    out.put<std::int32_t>(dim_);
    out.put<std::uint64_t>(stream_base_);
    out.put<std::uint64_t>(rows_seen_);
    out.put<std::uint64_t>(nulls_skipped_);
    out.put<std::uint64_t>(keys_drawn_);
    std::vector<Entry> order(keys_.begin(), keys_.end());
    std::sort(order.begin(), order.end());
    std::vector<std::uint64_t> keys;
    std::vector<double> rows;
    keys.reserve(order.size());
    rows.reserve(order.size() * dim_);
    for (const Entry &e : order) {
        keys.push_back(e.key);
        const double *row = values_.data() + std::size_t(e.slot) * dim_;
        rows.insert(rows.end(), row, row + dim_);
    }
    out.put_vector(keys);
    out.put_vector(rows);
}

SamplePool SamplePool::deserialize(ByteReader &in) {
    auto corrupted = [](const char *what) {
        fail(ErrorKind::Corrupted, std::string("corrupted Isolation Forest state: ") + what);
    };
    if (in.get<std::uint32_t>() != kPoolMagic) corrupted("not an Isolation Forest state");
    Options options;
    options.n_trees = in.get<std::int32_t>();
    options.sample_size = in.get<std::int32_t>();
    options.max_depth = in.get<std::int32_t>();
    options.contamination = in.get<double>();
    options.seed = in.get<std::uint64_t>();
    int dim = in.get<std::int32_t>();
    try {
        validate(options);
    } catch (const Error &) {
        corrupted("options out of range");
    }
    if (dim < 1 || dim > kMaxDim) corrupted("dimension out of range");
    SamplePool pool(options, dim);
    pool.stream_base_ = in.get<std::uint64_t>();
    pool.rows_seen_ = in.get<std::uint64_t>();
    pool.nulls_skipped_ = in.get<std::uint64_t>();
    pool.keys_drawn_ = in.get<std::uint64_t>();
    auto keys = in.get_vector<std::uint64_t>(pool.capacity_);
    auto rows = in.get_vector<double>(std::uint64_t(keys.size()) * dim);
    if (rows.size() != keys.size() * std::size_t(dim)) corrupted("row count mismatch");
    if (keys.size() > pool.rows_seen_) corrupted("more rows kept than seen");
    constexpr std::uint64_t kMaxCount = std::uint64_t(INT64_MAX); // counts are bigint in models
    if (pool.rows_seen_ > kMaxCount || pool.nulls_skipped_ > kMaxCount)
        corrupted("row counts out of range");
    for (double v : rows)
        if (!std::isfinite(v)) corrupted("non-finite value");
    for (std::size_t i = 0; i < keys.size(); i++) pool.offer(keys[i], rows.data() + i * dim);
    return pool;
}

} // namespace dmine::iforest
