// Reading a forecast: its points with intervals, its in-sample fit, its summary.
#include "agg_state.hpp"
#include "composite.hpp"
#include "forecast/forecast_value.hpp"
#include "model_cache.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

#include <cmath>
#include <string>

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::forecast;

namespace {

// Start of the period `key` as timestamptz (session time zone); NULL for an index or beyond
// the timestamp range.
Datum period_start(const ForecastValue &f, std::int64_t key, bool &null) {
    null = true;
    if (f.kind == TimeKind::Index) return Datum(0);
    // Keys far beyond any calendar: no start.
    if (key > (std::int64_t{1} << 40) || key < -(std::int64_t{1} << 40)) return Datum(0);
    Timestamp ts = bucket_start(f.grain, key);
    if (!IS_VALID_TIMESTAMP(ts)) return Datum(0);
    null = false;
    return pg_call(
        [&] { return DirectFunctionCall1(timestamp_timestamptz, TimestampGetDatum(ts)); });
}

Datum index_or_null(const ForecastValue &f, std::int64_t key, bool &null) {
    null = f.kind != TimeKind::Index;
    return Int64GetDatum(null ? 0 : key);
}

// The bound of level `level` at step i, or NULL when the forecast has no such level.
Datum bound(const ForecastValue &f, double level, bool upper, int i, bool &null) {
    for (std::size_t l = 0; l < f.levels.size(); l++)
        if (f.levels[l] == level) return float8_or_null(upper ? f.hi[l][i] : f.lo[l][i], null);
    null = true;
    return Datum(0);
}

ReturnSetInfo *materialize(FunctionCallInfo fcinfo) {
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    return reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
}

void put_row(ReturnSetInfo *rsinfo, Datum *values, bool *nulls) {
    pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
}

} // namespace

// step, period_start, point, lo80, hi80, lo95, hi95, period_index.
DMINE_FUNCTION(dm_forecast_points) {
    const ForecastValue &f = cached_model<ForecastValue>(fcinfo, 0);
    ReturnSetInfo *rsinfo = materialize(fcinfo);
    for (int i = 0; i < f.horizon(); i++) {
        Datum values[8];
        bool nulls[8] = {};
        std::int64_t key = f.step_key(i + 1);
        values[0] = Int32GetDatum(i + 1);
        values[1] = period_start(f, key, nulls[1]);
        values[2] = Float8GetDatum(f.point[i]);
        values[3] = bound(f, 80, false, i, nulls[3]);
        values[4] = bound(f, 80, true, i, nulls[4]);
        values[5] = bound(f, 95, false, i, nulls[5]);
        values[6] = bound(f, 95, true, i, nulls[6]);
        values[7] = index_or_null(f, key, nulls[7]);
        put_row(rsinfo, values, nulls);
    }
    return Datum(0);
}

// step, level, lo, hi for every level of the forecast.
DMINE_FUNCTION(dm_forecast_intervals) {
    const ForecastValue &f = cached_model<ForecastValue>(fcinfo, 0);
    ReturnSetInfo *rsinfo = materialize(fcinfo);
    for (int i = 0; i < f.horizon(); i++)
        for (std::size_t l = 0; l < f.levels.size(); l++) {
            Datum values[4];
            bool nulls[4] = {};
            values[0] = Int32GetDatum(i + 1);
            values[1] = Float8GetDatum(f.levels[l]);
            values[2] = float8_or_null(f.lo[l][i], nulls[2]);
            values[3] = float8_or_null(f.hi[l][i], nulls[3]);
            put_row(rsinfo, values, nulls);
        }
    return Datum(0);
}

// position, period_start, actual, fitted, residual, period_index.
DMINE_FUNCTION(dm_forecast_fitted) {
    const ForecastValue &f = cached_model<ForecastValue>(fcinfo, 0);
    ReturnSetInfo *rsinfo = materialize(fcinfo);
    for (std::size_t i = 0; i < f.actual.size(); i++) {
        Datum values[6];
        bool nulls[6] = {};
        std::int64_t key = f.first + static_cast<std::int64_t>(i);
        values[0] = Int32GetDatum(static_cast<int>(i) + 1);
        values[1] = period_start(f, key, nulls[1]);
        values[2] = Float8GetDatum(f.actual[i]);
        values[3] = float8_or_null(f.fitted[i], nulls[3]);
        values[4] = float8_or_null(f.actual[i] - f.fitted[i], nulls[4]);
        values[5] = index_or_null(f, key, nulls[5]);
        put_row(rsinfo, values, nulls);
    }
    return Datum(0);
}

DMINE_FUNCTION(dm_forecast_info) {
    auto [data, size] = model_bytes(fcinfo, 0);
    std::string json = ForecastValue::decode(data, size).info_json();
    return pg_call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.c_str())); });
}
