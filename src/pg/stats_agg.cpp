// dm_stats, dm_quantiles and dm_histogram(x, bins): one-scan column summaries.
#include "agg_state.hpp"
#include "arrays.hpp"
#include "composite.hpp"
#include "histogram_agg.hpp"
#include "sketch/histogram.hpp"
#include "sketch/value_summary.hpp"

#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;

// The transition state shared by the three aggregates, with the parameters of the first row.
struct SummaryState {
    ValueSummary summary;
    StateVector<double> probabilities; // dm_quantiles
    std::int32_t bins = 0;             // dm_histogram

    void merge(const SummaryState &other) { summary.merge(other.summary); }
    void serialize(ByteWriter &out) {
        summary.serialize(out);
        out.put_vector(probabilities);
        out.put(bins);
    }
    static SummaryState deserialize(ByteReader &in) {
        SummaryState s;
        s.summary = ValueSummary::deserialize(in);
        s.probabilities = in.get_vector<double, StateAllocator<double>>(100000);
        s.bins = in.get<std::int32_t>();
        return s;
    }
};

void accumulate(SummaryState *state, FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1))
        state->summary.add_null();
    else
        state->summary.add(PG_GETARG_FLOAT8(1));
}

std::vector<double> probabilities_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) fail(ErrorKind::NullValue, "quantile probabilities must not be NULL");
    auto array = float8_array_arg(fcinfo, argno, "quantile probabilities");
    if (array.size == 0)
        fail(ErrorKind::InvalidParameter, "quantile probabilities must not be empty");
    std::vector<double> ps(array.data, array.data + array.size);
    for (double p : ps)
        if (!(p >= 0 && p <= 1))
            fail(ErrorKind::InvalidParameter, "quantile probabilities must lie in [0, 1]",
                 "Got " + std::to_string(p) + ".");
    return ps;
}

} // namespace

// dm_stats(x) and dm_quantiles(x, ps) transition: count NULLs, set NaN/Infinity apart.
DMINE_FUNCTION(dm_summary_accum) {
    auto *state = state_arg<SummaryState>(fcinfo, [] { return SummaryState{}; });
    accumulate(state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_quantiles_accum) {
    auto *state = state_arg<SummaryState>(fcinfo, [&] {
        SummaryState s;
        const auto ps = probabilities_arg(fcinfo, 2);
        s.probabilities.assign(ps.begin(), ps.end());
        return s;
    });
    accumulate(state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_histogram_accum) {
    auto *state = state_arg<SummaryState>(fcinfo, [&] {
        if (PG_ARGISNULL(2)) fail(ErrorKind::NullValue, "bins must not be NULL");
        SummaryState s;
        s.bins = PG_GETARG_INT32(2);
        check_bins(s.bins);
        return s;
    });
    accumulate(state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_summary_combine) {
    return combine_states<SummaryState>(fcinfo);
}
DMINE_FUNCTION(dm_summary_serialize) {
    return serialize_state<SummaryState>(fcinfo);
}
DMINE_FUNCTION(dm_summary_deserialize) {
    return deserialize_state<SummaryState>(fcinfo);
}

// The dmine.stats row: counts, moments, describe() quantiles.
DMINE_FUNCTION(dm_stats_final) {
    SummaryState empty;
    auto *state = state_or_null<SummaryState>(fcinfo, 0);
    const auto d = describe(state ? state->summary : empty.summary);
    constexpr int kFields = 19;
    Datum values[kFields];
    bool nulls[kFields] = {};
    int i = 0;
    values[i++] = Int64GetDatum(static_cast<int64>(d.count));
    values[i++] = Int64GetDatum(static_cast<int64>(d.nulls));
    values[i++] = Int64GetDatum(static_cast<int64>(d.nans));
    values[i++] = Int64GetDatum(static_cast<int64>(d.infinities));
    for (double v : {d.mean, d.stddev, d.variance, d.min, d.max, d.skewness, d.kurtosis}) {
        values[i] = float8_or_null(v, nulls[i]);
        i++;
    }
    for (double q : d.quantiles) {
        values[i] = float8_or_null(q, nulls[i]);
        i++;
    }
    values[i] = BoolGetDatum(d.exact_quantiles);
    nulls[i] = d.count == 0;
    return make_composite(fcinfo, values, nulls);
}

// float8[] of the requested quantiles; NULL when no finite value was seen.
DMINE_FUNCTION(dm_quantiles_final) {
    auto *state = state_or_null<SummaryState>(fcinfo, 0);
    if (!state || state->summary.moments().count() == 0) PG_RETURN_NULL();
    auto qs = state->summary.sketch().quantiles(to_std_vector(state->probabilities));
    PG_RETURN_ARRAYTYPE_P(make_float8_array(qs.data(), static_cast<int>(qs.size())));
}

// dmine.histogram over the observed range; NULL when no finite value was seen.
DMINE_FUNCTION(dm_histogram_final) {
    auto *state = state_or_null<SummaryState>(fcinfo, 0);
    if (!state || state->summary.moments().count() == 0) PG_RETURN_NULL();
    const auto &m = state->summary.moments();
    auto h = histogram_from_sketch(state->summary.sketch(), m.min(), m.max(), state->bins);
    return make_histogram_row(fcinfo, h);
}
