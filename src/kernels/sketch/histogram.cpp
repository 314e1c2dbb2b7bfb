// Equal-width histograms.
#include "sketch/histogram.hpp"

#include "core/errors.hpp"
#include "core/wide_range.hpp"

#include <algorithm>

#include <cmath>
#include <string>

namespace dmine {

namespace {

// Bin of x in [lower, upper] split into `bins`; the upper edge belongs to the last bin. Halves
// of the differences serve when the range itself exceeds the double range.
std::size_t bin_of(double x, double lower, double upper, std::size_t bins) {
    if (upper == lower) return 0;
    double t = (x - lower) / (upper - lower);
    if (!std::isfinite(upper - lower))
        t = wide::half_difference(x, lower) / wide::half_difference(upper, lower);
    if (!(t > 0)) return 0;
    auto b = static_cast<std::size_t>(t * static_cast<double>(bins));
    return b >= bins ? bins - 1 : b;
}

// Equal-width edges; over a range beyond the double range, convex combinations of the bounds
// (finite, kept non-decreasing).
std::vector<double> make_edges(double lower, double upper, int bins) {
    std::vector<double> edges(bins + 1);
    const bool wide_range = !std::isfinite((upper - lower) * bins);
    for (int i = 0; i <= bins; i++) {
        edges[i] = wide_range ? wide::lerp(lower, upper, static_cast<double>(i) / bins)
                              : lower + (upper - lower) * i / bins;
        if (i > 0) edges[i] = std::max(edges[i], edges[i - 1]);
    }
    edges[bins] = upper;
    return edges;
}

} // namespace

void check_bins(int bins) {
    if (bins < 1 || bins > FixedHistogram::kMaxBins)
        fail(ErrorKind::InvalidParameter,
             "bins must be between 1 and " + std::to_string(FixedHistogram::kMaxBins));
}

FixedHistogram::FixedHistogram(int bins, double lower, double upper)
    : lower_(lower), upper_(upper) {
    check_bins(bins);
    if (!std::isfinite(lower) || !std::isfinite(upper) || !(lower < upper))
        fail(ErrorKind::InvalidParameter, "histogram bounds must be finite with lower < upper");
    counts_.assign(bins, 0);
}

void FixedHistogram::add(double x) {
    if (x < lower_) {
        below_++;
    } else if (x > upper_) {
        above_++;
    } else {
        counts_[bin_of(x, lower_, upper_, counts_.size())]++;
    }
}

void FixedHistogram::merge(const FixedHistogram &b) {
    if (b.counts_.size() != counts_.size() || b.lower_ != lower_ || b.upper_ != upper_)
        fail(ErrorKind::InvalidParameter, "cannot merge histograms with different bins");
    for (std::size_t i = 0; i < counts_.size(); i++) counts_[i] += b.counts_[i];
    below_ += b.below_;
    above_ += b.above_;
}

Histogram FixedHistogram::result() const {
    return Histogram{make_edges(lower_, upper_, static_cast<int>(counts_.size())),
                     to_std_vector(counts_), below_, above_, true};
}

void FixedHistogram::serialize(ByteWriter &out) const {
    out.put(lower_);
    out.put(upper_);
    out.put_vector(counts_);
    out.put(below_);
    out.put(above_);
}

FixedHistogram FixedHistogram::deserialize(ByteReader &in) {
    double lower = in.get<double>(), upper = in.get<double>();
    auto counts = in.get_vector<std::uint64_t, StateAllocator<std::uint64_t>>(kMaxBins);
    if (counts.empty() || !(lower < upper)) fail(ErrorKind::Corrupted, "corrupted histogram state");
    FixedHistogram h(static_cast<int>(counts.size()), lower, upper);
    h.counts_ = std::move(counts);
    h.below_ = in.get<std::uint64_t>();
    h.above_ = in.get<std::uint64_t>();
    return h;
}

Histogram histogram_from_sketch(const KllSketch &sketch, double min, double max, int bins) {
    check_bins(bins);
    Histogram h;
    h.exact = sketch.exact();
    if (sketch.count() == 0) return h;
    h.edges = make_edges(min, max, bins);
    h.counts.assign(bins, 0);
    const auto items = sketch.sorted_items();
    for (std::size_t i = 0; i < items.values.size(); i++)
        h.counts[bin_of(items.values[i], min, max, bins)] += items.weights[i];
    return h;
}

} // namespace dmine
