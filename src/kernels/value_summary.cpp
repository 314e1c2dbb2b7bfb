// One column's summary: moments, sketch and counts of values set apart.
#include "value_summary.hpp"

#include <limits>

namespace dmine {

const std::vector<double> kDescribeProbabilities = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};

void ValueSummary::merge(const ValueSummary &other) {
    moments.merge(other.moments);
    sketch.merge(other.sketch);
    nulls += other.nulls;
    nans += other.nans;
    infinities += other.infinities;
}

void ValueSummary::serialize(ByteWriter &out) const {
    moments.serialize(out);
    sketch.serialize(out);
    out.put(nulls);
    out.put(nans);
    out.put(infinities);
}

ValueSummary ValueSummary::deserialize(ByteReader &in) {
    ValueSummary s;
    s.moments = Moments::deserialize(in);
    s.sketch = KllSketch::deserialize(in);
    s.nulls = in.get<std::uint64_t>();
    s.nans = in.get<std::uint64_t>();
    s.infinities = in.get<std::uint64_t>();
    return s;
}

Description describe(const ValueSummary &s) {
    const auto &m = s.moments;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const bool any = m.count() > 0;
    return Description{m.count(),
                       s.nulls,
                       s.nans,
                       s.infinities,
                       any ? m.mean() : nan,
                       m.stddev(),
                       m.variance(),
                       any ? m.min() : nan,
                       any ? m.max() : nan,
                       m.skewness(),
                       m.kurtosis(),
                       s.sketch.quantiles(kDescribeProbabilities),
                       s.sketch.exact()};
}

} // namespace dmine
