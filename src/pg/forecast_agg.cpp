// dm_forecast: the points of a series go into a mergeable state; the final function builds the
// regular series, fits the model and returns a forecast value.
#include "agg_state.hpp"
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

Datum accumulate(FunctionCallInfo fcinfo, TimeKind kind, bool with_zone) {
    auto *state = state_arg<ForecastState>(fcinfo, [&] {
        if (PG_ARGISNULL(3)) fail(ErrorKind::NullValue, "the forecast horizon must not be NULL");
        return ForecastState(kind, options_text(fcinfo), PG_GETARG_INT32(3));
    });
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) {
        state->add_null();
        PG_RETURN_POINTER(state);
    }
    state->add(time_arg(fcinfo, kind, with_zone), PG_GETARG_FLOAT8(2));
    PG_RETURN_POINTER(state);
}

} // namespace

DMINE_FUNCTION(dm_forecast_accum_index) {
    return accumulate(fcinfo, TimeKind::Index, false);
}
DMINE_FUNCTION(dm_forecast_accum_date) {
    return accumulate(fcinfo, TimeKind::Date, false);
}
DMINE_FUNCTION(dm_forecast_accum_timestamp) {
    return accumulate(fcinfo, TimeKind::Timestamp, false);
}
DMINE_FUNCTION(dm_forecast_accum_timestamptz) {
    return accumulate(fcinfo, TimeKind::Timestamp, true);
}

DMINE_FUNCTION(dm_forecast_combine) {
    return combine_states<ForecastState>(fcinfo);
}
DMINE_FUNCTION(dm_forecast_serialize) {
    return serialize_state<ForecastState>(fcinfo);
}
DMINE_FUNCTION(dm_forecast_deserialize) {
    return deserialize_state<ForecastState>(fcinfo);
}

// NULL when no row had both a time and a value (as SQL aggregates skip NULLs).
DMINE_FUNCTION(dm_forecast_final) {
    const auto *state = state_or_null<ForecastState>(fcinfo, 0);
    if (!state || state->rows() == 0) PG_RETURN_NULL();
    ForecastValue value = run_forecast(state->series(), state->options());
    value.nulls = state->nulls();
    PG_RETURN_POINTER(make_bytea(value.encode()));
}
