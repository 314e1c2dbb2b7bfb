// Equal-width histograms: exact counts over given bounds in one pass, or over the observed
// range from a quantile sketch (exact while the sketch is exact).
#pragma once

#include "core/bytes.hpp"
#include "sketch/kll.hpp"
#include "core/state_alloc.hpp"

#include <cstdint>
#include <vector>

namespace dmine {

struct Histogram {
    std::vector<double> edges;          // bins + 1 edges
    std::vector<std::uint64_t> counts;  // per bin; the last bin includes its upper edge
    std::uint64_t below = 0, above = 0; // values outside the bounds
    bool exact = true;
};

// Counts in `bins` equal-width bins over [lower, upper], in one pass.
class FixedHistogram {
public:
    static constexpr int kMaxBins = 100000;

    FixedHistogram(int bins, double lower, double upper);

    void add(double x);
    void merge(const FixedHistogram &other);
    Histogram result() const;

    void serialize(ByteWriter &out) const;
    static FixedHistogram deserialize(ByteReader &in);

private:
    double lower_, upper_;
    StateVector<std::uint64_t> counts_;
    std::uint64_t below_ = 0, above_ = 0;
};

// `bins` equal-width bins over [min, max] of the sketched values.
Histogram histogram_from_sketch(const KllSketch &sketch, double min, double max, int bins);

// Validate a bin count.
void check_bins(int bins);

} // namespace dmine
