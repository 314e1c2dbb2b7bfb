// dm_histogram(x, bins, lower, upper): exact equal-width counts over given bounds, one pass.
#include "histogram_agg.hpp"

#include "agg_state.hpp"
#include "arrays.hpp"
#include "composite.hpp"
#include "expanded_state.hpp"

#include <cmath>

namespace dmine::pg {

Datum make_histogram_row(FunctionCallInfo fcinfo, const Histogram &h) {
    std::vector<std::int64_t> counts(h.counts.begin(), h.counts.end());
    Datum values[5];
    bool nulls[5] = {};
    values[0] =
        PointerGetDatum(make_float8_array(h.edges.data(), static_cast<int>(h.edges.size())));
    values[1] = PointerGetDatum(make_int64_array(counts.data(), static_cast<int>(counts.size())));
    values[2] = Int64GetDatum(static_cast<int64>(h.below));
    values[3] = Int64GetDatum(static_cast<int64>(h.above));
    values[4] = BoolGetDatum(h.exact);
    return make_composite(fcinfo, values, nulls);
}

} // namespace dmine::pg

namespace {

using namespace dmine;
using namespace dmine::pg;

// Values set apart from the bins: NULLs, NaN and ±Infinity (the latter two also out of range).
struct FixedState {
    static constexpr StateType kType{"histogram_summary", 0x48544d44, 1}; // "DMTH"
    FixedHistogram histogram;
    std::uint64_t nulls = 0, nans = 0;

    void merge(const FixedState &other) {
        histogram.merge(other.histogram);
        nulls += other.nulls;
        nans += other.nans;
    }
    void serialize(ByteWriter &out) const {
        histogram.serialize(out);
        out.put(nulls);
        out.put(nans);
    }
    static FixedState deserialize(ByteReader &in) {
        auto h = FixedHistogram::deserialize(in);
        FixedState s{std::move(h)};
        s.nulls = in.get<std::uint64_t>();
        s.nans = in.get<std::uint64_t>();
        return s;
    }
};

FixedState new_fixed_state(FunctionCallInfo fcinfo) {
    for (int arg = 2; arg <= 4; arg++)
        if (PG_ARGISNULL(arg)) fail(ErrorKind::NullValue, "bins and bounds must not be NULL");
    return FixedState{FixedHistogram(PG_GETARG_INT32(2), PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4))};
}

void add_value(FixedState &state, FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1)) {
        state.nulls++;
        return;
    }
    double x = PG_GETARG_FLOAT8(1);
    if (std::isnan(x))
        state.nans++;
    else
        state.histogram.add(x); // ±Infinity land below or above
}

} // namespace

// 0.1.0 entry points (internal state).
DMINE_FUNCTION(dm_histogram_fixed_accum) {
    auto *state = state_arg<FixedState>(fcinfo, [&] { return new_fixed_state(fcinfo); });
    add_value(*state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_histogram_fixed_combine) {
    return combine_states<FixedState>(fcinfo);
}
DMINE_FUNCTION(dm_histogram_fixed_serialize) {
    return serialize_state<FixedState>(fcinfo);
}
DMINE_FUNCTION(dm_histogram_fixed_deserialize) {
    return deserialize_state<FixedState>(fcinfo);
}

DMINE_FUNCTION(dm_histogram_fixed_final) {
    const auto *state = state_or_null<FixedState>(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    return make_histogram_row(fcinfo, state->histogram.result());
}

// The histogram_summary type (dm_histogram(x, bins, lower, upper), stored histograms).
DMINE_STATE_TYPE(histogram_summary, FixedState)

DMINE_FUNCTION(histogram_summary_add) {
    auto state = update_state<FixedState>(fcinfo, [&] { return new_fixed_state(fcinfo); });
    add_value(*state, fcinfo);
    return state.datum();
}

// Final function and accessor.
DMINE_FUNCTION(dm_summary_histogram_fixed) {
    StateView<FixedState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    return make_histogram_row(fcinfo, state->histogram.result());
}
