// One column's summary: moments, sketch and counts of values set apart.
#include "sketch/value_summary.hpp"

#include <algorithm>
#include <limits>

namespace dmine {

namespace {

// Moments::add_block's Eigen sums start at the first 16-byte boundary, so their rounding
// depends on the address. State memory is only 8-byte aligned (palloc, see state_alloc.hpp):
// fold from 16-byte aligned storage, so that the result never depends on where a buffer lies.
void add_aligned(Moments &moments, const double *values, std::size_t count) {
    constexpr std::size_t kChunk = 256;
    alignas(16) double block[kChunk];
    for (std::size_t start = 0; start < count; start += kChunk) {
        const std::size_t n = std::min(kChunk, count - start);
        std::copy_n(values + start, n, block);
        moments.add_block(block, n);
    }
}

} // namespace

const std::vector<double> kDescribeProbabilities = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};

void ValueSummary::flush() {
    if (buffer_.empty()) return;
    add_aligned(moments_, buffer_.data(), buffer_.size());
    sketch_.add_block(buffer_.data(), buffer_.size());
    buffer_.clear();
}

const Moments &ValueSummary::moments() {
    flush();
    return moments_;
}

const KllSketch &ValueSummary::sketch() {
    flush();
    return sketch_;
}

void ValueSummary::merge(const ValueSummary &other) {
    flush();
    moments_.merge(other.moments_);
    sketch_.merge(other.sketch_);
    add_aligned(moments_, other.buffer_.data(), other.buffer_.size());
    sketch_.add_block(other.buffer_.data(), other.buffer_.size());
    nulls_ += other.nulls_;
    nans_ += other.nans_;
    infinities_ += other.infinities_;
}

void ValueSummary::serialize(ByteWriter &out) {
    flush();
    moments_.serialize(out);
    sketch_.serialize(out);
    out.put(nulls_);
    out.put(nans_);
    out.put(infinities_);
}

ValueSummary ValueSummary::deserialize(ByteReader &in) {
    ValueSummary s;
    s.moments_ = Moments::deserialize(in);
    s.sketch_ = KllSketch::deserialize(in);
    s.nulls_ = in.get<std::uint64_t>();
    s.nans_ = in.get<std::uint64_t>();
    s.infinities_ = in.get<std::uint64_t>();
    return s;
}

Description describe(ValueSummary &s) {
    const auto &m = s.moments();
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const bool any = m.count() > 0;
    return Description{m.count(),
                       s.nulls(),
                       s.nans(),
                       s.infinities(),
                       any ? m.mean() : nan,
                       m.stddev(),
                       m.variance(),
                       any ? m.min() : nan,
                       any ? m.max() : nan,
                       m.skewness(),
                       m.kurtosis(),
                       s.sketch().quantiles(kDescribeProbabilities),
                       s.sketch().exact()};
}

} // namespace dmine
