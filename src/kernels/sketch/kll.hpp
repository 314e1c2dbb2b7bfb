// KLL quantile sketch (Karnin, Lang & Liberty 2016), mergeable, with an exact mode.
//
// Up to `exact_limit` values are kept as they are, and quantiles are then exact (linear
// interpolation, as pandas and percentile_cont). Beyond, levels of sorted items of weight 2^h
// are compacted; once the sketch is deep, its lowest levels are replaced by a sampler that keeps
// one random value per block of 2^h (the paper's sampler), so most values cost a counter step.
// A quantile's rank is then within ±epsilon·n of the requested rank with probability 99%
// (epsilon ≈ 0.7% for the default k = 400; see docs/statistics.md).
#pragma once

#include "core/bytes.hpp"
#include "core/state_alloc.hpp"

#include <cstdint>
#include <vector>

namespace dmine {

class KllSketch {
public:
    static constexpr std::uint16_t kDefaultK = 400;
    static constexpr std::uint32_t kDefaultExactLimit = 10000;

    KllSketch() : KllSketch(kDefaultK, kDefaultExactLimit) {}
    KllSketch(std::uint16_t k, std::uint32_t exact_limit);

    void add(double x) {
        n_++;
        if (skip_ > 0) {
            skip_--;
            return;
        }
        levels_[entry_].push_back(x);
        if (entry_ > 0) schedule_sample();
        if (++size_ >= trigger_) compress();
    }
    void add_block(const double *values, std::size_t count) {
        for (std::size_t i = 0; i < count; i++) add(values[i]);
    }
    void merge(const KllSketch &other);

    std::uint64_t count() const noexcept { return n_; }
    bool exact() const noexcept { return n_ <= exact_limit_ && levels_.size() == 1; }
    // Items kept, a measure of memory.
    std::size_t retained() const noexcept { return size_; }

    // Quantiles at probabilities `ps` in [0, 1] (linear interpolation between item ranks).
    // NaN for an empty sketch.
    std::vector<double> quantiles(const std::vector<double> &ps) const;

    // The sorted items and their weights (a copy), for histograms and rank queries.
    struct WeightedItems {
        std::vector<double> values;
        std::vector<std::uint64_t> weights;
    };
    WeightedItems sorted_items() const;

    void serialize(ByteWriter &out) const;
    static KllSketch deserialize(ByteReader &in);

private:
    std::size_t capacity(std::size_t level) const;
    void update_trigger();
    void compress();
    void compact_level(std::size_t level);
    void raise_entry_level();
    void schedule_sample();
    using Level = StateVector<double>;
    void merge_sorted_into(Level &level, const Level &items);
    std::uint64_t flip();
    void mix_first_values();

    std::uint16_t k_;
    std::uint32_t exact_limit_;
    std::uint64_t n_ = 0;
    std::uint64_t size_ = 0;
    std::uint64_t trigger_ = 0;
    std::uint64_t coin_ = 0x2545f4914f6cdd1dULL; // state of the random choices
    std::uint32_t entry_ = 0;                    // level where new values land (unsorted)
    std::uint64_t skip_ = 0;                     // values to pass before the next sampled one
    std::uint64_t tail_ = 0;                     // values left in the current block after its pick
    StateVector<Level> levels_;                  // level h holds items of weight 2^h
    Level scratch_;                              // reused buffer for merges
};

} // namespace dmine
