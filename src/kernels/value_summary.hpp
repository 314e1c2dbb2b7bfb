// One column's summary in a single scan: moments, a quantile sketch, and the values set apart
// (NULLs, NaN, ±Infinity are counted but never enter the moments or the sketch).
#pragma once

#include "bytes.hpp"
#include "kll.hpp"
#include "moments.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

namespace dmine {

struct ValueSummary {
    Moments moments;
    KllSketch sketch;
    std::uint64_t nulls = 0;
    std::uint64_t nans = 0;
    std::uint64_t infinities = 0;

    void add_null() { nulls++; }
    void add(double x) {
        if (std::isfinite(x)) {
            moments.add(x);
            sketch.add(x);
        } else if (std::isnan(x)) {
            nans++;
        } else {
            infinities++;
        }
    }
    void merge(const ValueSummary &other);

    void serialize(ByteWriter &out) const;
    static ValueSummary deserialize(ByteReader &in);
};

// The describe() figures of a summary.
struct Description {
    std::uint64_t count, nulls, nans, infinities;
    double mean, stddev, variance, min, max, skewness, kurtosis;
    std::vector<double> quantiles; // at kDescribeProbabilities
    bool exact_quantiles;
};

extern const std::vector<double> kDescribeProbabilities; // 0.01 0.05 0.25 0.5 0.75 0.95 0.99

Description describe(const ValueSummary &s);

} // namespace dmine
