// Using context summaries line by line: surprise, typical value, explanation, info; the
// combined context score.
#include "agg_state.hpp"
#include "context/context_summary.hpp"
#include "model_cache.hpp"

extern "C" {
#include "utils/jsonb.h"
#include "utils/timestamp.h"
}

#include <nlohmann/json.hpp>

#include <cmath>
#include <optional>
#include <string>

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::context;

namespace {

// The key in argument `argno` (NULL: the overall group).
std::optional<std::string> key_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) return std::nullopt;
    text *t = pg_call([&] { return PG_GETARG_TEXT_PP(argno); });
    return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

bool leave_out_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_NARGS() <= argno) return true;
    if (PG_ARGISNULL(argno)) fail(ErrorKind::NullValue, "leave_out must not be NULL");
    return PG_GETARG_BOOL(argno);
}

Side side_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_NARGS() <= argno) return Side::Both;
    if (PG_ARGISNULL(argno)) fail(ErrorKind::NullValue, "side must not be NULL");
    text *t = pg_call([&] { return PG_GETARG_TEXT_PP(argno); });
    return parse_side(std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)));
}

// Arguments (summary, key, value float8 | at timestamp, ...): the assessment, or nullopt.
std::optional<Assessment> assess(FunctionCallInfo fcinfo, bool time, int side_argno,
                                 int leave_argno) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(2)) return std::nullopt;
    const Summary &summary = cached_model<Summary>(fcinfo, 0);
    auto key = key_arg(fcinfo, 1);
    bool leave_out = leave_out_arg(fcinfo, leave_argno);
    if (time) {
        Timestamp at = PG_GETARG_TIMESTAMP(2);
        if (TIMESTAMP_NOT_FINITE(at)) return std::nullopt;
        return summary.assess_time(key ? &*key : nullptr, at, leave_out);
    }
    Side side = side_arg(fcinfo, side_argno);
    return summary.assess_value(key ? &*key : nullptr, PG_GETARG_FLOAT8(2), side, leave_out);
}

Datum jsonb_datum(const std::string &json) {
    return pg_call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.c_str())); });
}

Datum explain(FunctionCallInfo fcinfo, bool time, int side_argno, int leave_argno) {
    auto a = assess(fcinfo, time, side_argno, leave_argno);
    if (!a) PG_RETURN_NULL();
    nlohmann::json j = nlohmann::json::object();
    j["level"] = a->overall ? "overall" : "group";
    if (!a->overall) j["key"] = a->group->key;
    j["lines"] = a->lines;
    j["surprise"] = a->surprise;
    j["tail_probability"] = std::exp(-a->surprise);
    if (time) {
        j["hour"] = a->hour;
        j["weekday"] = a->weekday;
        j["hour_share"] = a->typical;
        j["weekday_share"] = a->spread;
        j["part"] = a->by_weekday ? "weekday" : "hour";
    } else {
        j["typical"] = a->typical;
        j["spread"] = a->spread;
        const Summary &summary = cached_model<Summary>(fcinfo, 0);
        if (summary.options().scale == Scale::Log)
            j["ratio"] = a->ratio;
        else
            j["deviations"] = a->ratio;
    }
    return jsonb_datum(j.dump());
}

} // namespace

// Surprise (nats) of a value: -ln of its tail probability in its group; NULL when the group is
// unknown or too small (fall back to a wider group), or the value is out of the scale's domain.
DMINE_FUNCTION(dm_context_surprise) {
    auto a = assess(fcinfo, false, 3, 4);
    if (!a) PG_RETURN_NULL();
    PG_RETURN_FLOAT8(a->surprise);
}

DMINE_FUNCTION(dm_context_surprise_time) {
    auto a = assess(fcinfo, true, -1, 3);
    if (!a) PG_RETURN_NULL();
    PG_RETURN_FLOAT8(a->surprise);
}

DMINE_FUNCTION(dm_context_explain) {
    return explain(fcinfo, false, 3, 4);
}

DMINE_FUNCTION(dm_context_explain_time) {
    return explain(fcinfo, true, -1, 3);
}

// The typical value of a group (NULL: unknown or too small).
DMINE_FUNCTION(dm_context_typical) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    const Summary &summary = cached_model<Summary>(fcinfo, 0);
    auto key = key_arg(fcinfo, 1);
    auto t = summary.typical(key ? &*key : nullptr);
    if (!t) PG_RETURN_NULL();
    PG_RETURN_FLOAT8(*t);
}

DMINE_FUNCTION(dm_context_info) {
    auto [data, size] = model_bytes(fcinfo, 0);
    return jsonb_datum(Summary::decode(data, size).info_json());
}

// The line's score in [0, 1) from its features' surprises (NULL elements ignored): with S the
// largest of the k surprises, R = max(0, (S - ln k) / ln 10) and score = R / (R + 4).
DMINE_FUNCTION(dm_context_score) {
    ArrayType *array = pg_call([&] { return PG_GETARG_ARRAYTYPE_P(0); });
    if (ARR_NDIM(array) > 1)
        fail(ErrorKind::DimensionMismatch, "surprises must be a one-dimensional float8[]");
    Datum *values;
    bool *nulls;
    int n;
    pg_call([&] {
        deconstruct_array(array, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &values, &nulls,
                          &n);
    });
    double best = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (nulls[i]) continue;
        double s = DatumGetFloat8(values[i]);
        if (std::isnan(s) || s < 0)
            fail(ErrorKind::InvalidParameter, "a surprise must be a number >= 0",
                 "Element " + std::to_string(i + 1) + " is not.");
        best = k ? std::max(best, s) : s;
        k++;
    }
    if (!k) PG_RETURN_NULL();
    double r = std::isinf(best) ? INFINITY : std::max(0.0, (best - std::log(k)) / std::log(10.0));
    PG_RETURN_FLOAT8(std::isinf(r) ? 1.0 : r / (r + 4));
}
