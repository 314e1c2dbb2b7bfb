// dm_stats, dm_quantiles and dm_histogram(x, bins): one-scan column summaries.
#include "agg_state.hpp"
#include "arrays.hpp"
#include "expanded_state.hpp"
#include "composite.hpp"
#include "histogram_agg.hpp"
#include "sketch/histogram.hpp"
#include "sketch/value_summary.hpp"

#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;

constexpr int kMaxProbabilities = 100000;

// The transition state shared by the three aggregates, with the parameters of the first row.
struct SummaryState {
    static constexpr StateType kType{"stats_summary", 0x53544d44, 1}; // "DMTS"
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
        s.probabilities = in.get_vector<double, StateAllocator<double>>(kMaxProbabilities);
        s.bins = in.get<std::int32_t>();
        return s;
    }
};

void accumulate(SummaryState &state, FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1))
        state.summary.add_null();
    else
        state.summary.add(PG_GETARG_FLOAT8(1));
}

std::vector<double> probabilities_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) fail(ErrorKind::NullValue, "quantile probabilities must not be NULL");
    auto array = float8_array_arg(fcinfo, argno, "quantile probabilities");
    if (array.size == 0)
        fail(ErrorKind::InvalidParameter, "quantile probabilities must not be empty");
    if (array.size > kMaxProbabilities) // what a state may carry (deserialize checks it)
        fail(ErrorKind::InvalidParameter, "at most 100000 quantile probabilities");
    std::vector<double> ps(array.data, array.data + array.size);
    for (double p : ps)
        if (!(p >= 0 && p <= 1))
            fail(ErrorKind::InvalidParameter, "quantile probabilities must lie in [0, 1]",
                 "Got " + std::to_string(p) + ".");
    return ps;
}

SummaryState quantiles_state(FunctionCallInfo fcinfo) {
    SummaryState s;
    const auto ps = probabilities_arg(fcinfo, 2);
    s.probabilities.assign(ps.begin(), ps.end());
    return s;
}

SummaryState histogram_state(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(2)) fail(ErrorKind::NullValue, "bins must not be NULL");
    SummaryState s;
    s.bins = PG_GETARG_INT32(2);
    check_bins(s.bins);
    return s;
}

} // namespace

// 0.1.0 entry points (internal state): the transition functions of a 0.1.0 install.
// dm_stats(x) and dm_quantiles(x, ps) transition: count NULLs, set NaN/Infinity apart.
DMINE_FUNCTION(dm_summary_accum) {
    auto *state = state_arg<SummaryState>(fcinfo, [] { return SummaryState{}; });
    accumulate(*state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_quantiles_accum) {
    auto *state = state_arg<SummaryState>(fcinfo, [&] { return quantiles_state(fcinfo); });
    accumulate(*state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_histogram_accum) {
    auto *state = state_arg<SummaryState>(fcinfo, [&] { return histogram_state(fcinfo); });
    accumulate(*state, fcinfo);
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

namespace {

// The dmine.stats row: counts, moments, describe() quantiles.
Datum stats_row(FunctionCallInfo fcinfo, SummaryState *state) {
    SummaryState empty;
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
Datum quantiles_array(FunctionCallInfo fcinfo, SummaryState *state,
                      const std::vector<double> &probabilities) {
    if (!state || state->summary.moments().count() == 0) PG_RETURN_NULL();
    auto qs = state->summary.sketch().quantiles(probabilities);
    PG_RETURN_ARRAYTYPE_P(make_float8_array(qs.data(), static_cast<int>(qs.size())));
}

// dmine.histogram over the observed range; NULL when no finite value was seen.
Datum histogram_row(FunctionCallInfo fcinfo, SummaryState *state, std::int32_t bins) {
    if (!state || state->summary.moments().count() == 0) PG_RETURN_NULL();
    const auto &m = state->summary.moments();
    auto h = histogram_from_sketch(state->summary.sketch(), m.min(), m.max(), bins);
    return make_histogram_row(fcinfo, h);
}

} // namespace

DMINE_FUNCTION(dm_stats_final) {
    return stats_row(fcinfo, state_or_null<SummaryState>(fcinfo, 0));
}
DMINE_FUNCTION(dm_quantiles_final) {
    auto *state = state_or_null<SummaryState>(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    return quantiles_array(fcinfo, state, to_std_vector(state->probabilities));
}
DMINE_FUNCTION(dm_histogram_final) {
    auto *state = state_or_null<SummaryState>(fcinfo, 0);
    return histogram_row(fcinfo, state, state ? state->bins : 0);
}

// The stats_summary type: the same state as a real type (Citus, stored summaries).
DMINE_STATE_TYPE(stats_summary, SummaryState)

DMINE_FUNCTION(stats_summary_add) {
    auto state = update_state<SummaryState>(fcinfo, [] { return SummaryState{}; });
    accumulate(*state, fcinfo);
    return state.datum();
}
DMINE_FUNCTION(stats_summary_add_quantiles) {
    auto state = update_state<SummaryState>(fcinfo, [&] { return quantiles_state(fcinfo); });
    accumulate(*state, fcinfo);
    return state.datum();
}
DMINE_FUNCTION(stats_summary_add_histogram) {
    auto state = update_state<SummaryState>(fcinfo, [&] { return histogram_state(fcinfo); });
    accumulate(*state, fcinfo);
    return state.datum();
}

// Final functions (options from the state) and accessors (options as arguments).
DMINE_FUNCTION(dm_summary_stats) {
    StateView<SummaryState> state(fcinfo, 0);
    return stats_row(fcinfo, state.get());
}
DMINE_FUNCTION(stats_summary_quantiles) {
    StateView<SummaryState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    return quantiles_array(fcinfo, state.get(), to_std_vector(state->probabilities));
}
DMINE_FUNCTION(stats_summary_histogram) {
    StateView<SummaryState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    check_bins(state->bins); // a stored summary made by dm_stats_summary has no bins
    return histogram_row(fcinfo, state.get(), state->bins);
}
DMINE_FUNCTION(dm_summary_quantiles) {
    StateView<SummaryState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    return quantiles_array(fcinfo, state.get(), probabilities_arg(fcinfo, 1));
}
DMINE_FUNCTION(dm_summary_histogram) {
    StateView<SummaryState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    if (PG_ARGISNULL(1)) fail(ErrorKind::NullValue, "bins must not be NULL");
    std::int32_t bins = PG_GETARG_INT32(1);
    check_bins(bins);
    return histogram_row(fcinfo, state.get(), bins);
}
