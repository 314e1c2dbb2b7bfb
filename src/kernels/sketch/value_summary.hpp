// One column's summary in a single scan: moments, a quantile sketch, and the values set apart
// (NULLs, NaN, ±Infinity are counted but never enter the moments or the sketch). Finite values
// are buffered and folded in blocks, which lets the moments use vectorised two-pass sums.
#pragma once

#include "core/bytes.hpp"
#include "sketch/kll.hpp"
#include "sketch/moments.hpp"
#include "core/state_alloc.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace dmine {

class ValueSummary {
public:
    void add_null() { nulls_++; }
    void add(double x) {
        if (std::isfinite(x)) {
            buffer_.push_back(x);
            if (buffer_.size() == kBlock) flush();
        } else if (std::isnan(x)) {
            nans_++;
        } else {
            infinities_++;
        }
    }
    void merge(const ValueSummary &other);
    // Fold buffered values into the moments and the sketch.
    void flush();

    // Accessors fold pending values first.
    const Moments &moments();
    const KllSketch &sketch();
    std::uint64_t nulls() const noexcept { return nulls_; }
    std::uint64_t nans() const noexcept { return nans_; }
    std::uint64_t infinities() const noexcept { return infinities_; }

    void serialize(ByteWriter &out);
    static ValueSummary deserialize(ByteReader &in);

private:
    static constexpr std::size_t kBlock = 256; // at most what add_aligned folds at once
    Moments moments_;
    KllSketch sketch_;
    std::uint64_t nulls_ = 0, nans_ = 0, infinities_ = 0;
    StateVector<double> buffer_; // grows to kBlock, so tiny groups stay tiny
};

// The describe() figures of a summary.
struct Description {
    std::uint64_t count, nulls, nans, infinities;
    double mean, stddev, variance, min, max, skewness, kurtosis;
    std::vector<double> quantiles; // at kDescribeProbabilities
    bool exact_quantiles;
};

extern const std::vector<double> kDescribeProbabilities; // 0.01 0.05 0.25 0.5 0.75 0.95 0.99

Description describe(ValueSummary &s);

} // namespace dmine
