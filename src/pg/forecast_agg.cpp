// dm_forecast: the points of a series go into a mergeable state; the final function builds the
// regular series, fits the model and returns a forecast value.
#include "agg_state.hpp"
#include "expanded_state.hpp"
#include "forecast/forecast_run.hpp"
#include "forecast/series_state.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
}

#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::forecast;

// The options text of argument 4 ('{}' when absent or NULL).
std::string options_text(FunctionCallInfo fcinfo) {
    if (PG_NARGS() <= 4 || PG_ARGISNULL(4)) return "{}";
    const char *text = pg_call(
        [&] { return DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(4))); });
    return text;
}

// The time of argument 1 as days (date), local microseconds (timestamps) or an index.
std::int64_t time_arg(FunctionCallInfo fcinfo, TimeKind kind, bool with_zone) {
    if (kind == TimeKind::Index) return PG_GETARG_INT64(1);
    if (kind == TimeKind::Date) {
        DateADT d = PG_GETARG_DATEADT(1);
        if (DATE_NOT_FINITE(d))
            fail(ErrorKind::Data, "forecast times must be finite, got an infinite date");
        return d;
    }
    Timestamp ts = PG_GETARG_TIMESTAMP(1);
    if (TIMESTAMP_NOT_FINITE(ts))
        fail(ErrorKind::Data, "forecast times must be finite, got an infinite timestamp");
    if (with_zone) // local time of the session's time zone
        ts = pg_call([&] {
            return DatumGetTimestamp(
                DirectFunctionCall1(timestamptz_timestamp, TimestampTzGetDatum(ts)));
        });
    return ts;
}

// The forecast_summary type: the series state, with the options and horizon of the first row.
struct ForecastSummary {
    static constexpr StateType kType{"forecast_summary", 0x44434653, 1}; // "SFCD"
    ForecastState state;
    void merge(const ForecastSummary &other) { state.merge(other.state); }
    void serialize(ByteWriter &out) const { state.serialize(out); }
    static ForecastSummary deserialize(ByteReader &in) { return {ForecastState::deserialize(in)}; }
};

ForecastState new_state(FunctionCallInfo fcinfo, TimeKind kind) {
    if (PG_ARGISNULL(3)) fail(ErrorKind::NullValue, "the forecast horizon must not be NULL");
    return ForecastState(kind, options_text(fcinfo), PG_GETARG_INT32(3));
}

void add_row(ForecastState &state, FunctionCallInfo fcinfo, TimeKind kind, bool with_zone) {
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
        state.add_null();
    else
        state.add(time_arg(fcinfo, kind, with_zone), PG_GETARG_FLOAT8(2));
}

Datum summary_add(FunctionCallInfo fcinfo, TimeKind kind, bool with_zone) {
    auto state = update_state<ForecastSummary>(
        fcinfo, [&] { return ForecastSummary{new_state(fcinfo, kind)}; });
    // A state keeps one time type (a state of dates fed bigint times, say, is refused).
    if (state->state.kind() != kind)
        fail(ErrorKind::InvalidParameter,
             "this forecast state holds times of another type than the one given");
    add_row(state->state, fcinfo, kind, with_zone);
    return state.datum();
}

// The forecast of a state (NULL when no row had both a time and a value).
bytea *finish(const ForecastState *state) {
    if (!state || state->rows() == 0) return nullptr;
    ForecastValue value = run_forecast(state->series(), state->options());
    value.nulls = state->nulls();
    return make_bytea(value.encode());
}

} // namespace

// The forecast_summary state type (dm_forecast on one node, in parallel and on Citus).
DMINE_STATE_TYPE(forecast_summary, ForecastSummary)

DMINE_FUNCTION(forecast_summary_add_index) {
    return summary_add(fcinfo, TimeKind::Index, false);
}
DMINE_FUNCTION(forecast_summary_add_date) {
    return summary_add(fcinfo, TimeKind::Date, false);
}
DMINE_FUNCTION(forecast_summary_add_timestamp) {
    return summary_add(fcinfo, TimeKind::Timestamp, false);
}
DMINE_FUNCTION(forecast_summary_add_timestamptz) {
    return summary_add(fcinfo, TimeKind::Timestamp, true);
}

// Final function and accessor: the forecast of a summary, with its own options and horizon.
DMINE_FUNCTION(dm_summary_forecast) {
    StateView<ForecastSummary> state(fcinfo, 0);
    bytea *result = finish(state ? &state->state : nullptr);
    if (!result) PG_RETURN_NULL();
    PG_RETURN_POINTER(result);
}
