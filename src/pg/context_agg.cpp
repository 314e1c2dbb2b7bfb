// dm_context_fit, dm_context_fit_time: grouped context summaries in one scan, mergeable;
// dm_context_top: the k lines of highest score with their payload.
#include "agg_state.hpp"
#include "context/context_groups.hpp"
#include "context/context_summary.hpp"
#include "context/top_lines.hpp"

extern "C" {
#include "utils/jsonb.h"
#include "utils/timestamp.h"
}

#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::context;

const char *options_text(FunctionCallInfo fcinfo, int argno) {
    if (PG_NARGS() <= argno || PG_ARGISNULL(argno)) return nullptr;
    return pg_call(
        [&] { return DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(argno))); });
}

// The key argument's bytes (detoasted), or null.
struct KeyArg {
    const char *data = nullptr;
    std::size_t size = 0;
    bool present = false;
};

KeyArg key_arg(FunctionCallInfo fcinfo, int argno) {
    KeyArg k;
    if (PG_ARGISNULL(argno)) return k;
    text *t = pg_call([&] { return PG_GETARG_TEXT_PP(argno); });
    k.data = VARDATA_ANY(t);
    k.size = VARSIZE_ANY_EXHDR(t);
    k.present = true;
    return k;
}

ContextState *context_state(FunctionCallInfo fcinfo, Kind kind) {
    return state_arg<ContextState>(
        fcinfo, [&] { return ContextState(parse_options(options_text(fcinfo, 3), kind)); });
}

Datum final_summary(FunctionCallInfo fcinfo) {
    const auto *state = state_or_null<ContextState>(fcinfo, 0);
    if (!state || state->overall().n == 0) PG_RETURN_NULL();
    Summary summary = Summary::fit(*state);
    auto bytes = summary.encode();
    Summary::decode(bytes.data(), bytes.size()); // it must read back
    PG_RETURN_POINTER(make_bytea(bytes));
}

} // namespace

// Transition: (state, key, value[, options]); a NULL or out-of-domain value is counted as skipped.
DMINE_FUNCTION(dm_context_fit_accum) {
    auto *state = context_state(fcinfo, Kind::Value);
    if (PG_ARGISNULL(2)) {
        state->add_skipped();
        PG_RETURN_POINTER(state);
    }
    KeyArg key = key_arg(fcinfo, 1);
    state->add_value(key.data, key.size, key.present, PG_GETARG_FLOAT8(2));
    PG_RETURN_POINTER(state);
}

// Transition: (state, key, timestamp[, options]); a NULL or infinite time is counted as skipped.
DMINE_FUNCTION(dm_context_fit_time_accum) {
    auto *state = context_state(fcinfo, Kind::Time);
    if (PG_ARGISNULL(2) || TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMP(2))) {
        state->add_skipped();
        PG_RETURN_POINTER(state);
    }
    KeyArg key = key_arg(fcinfo, 1);
    state->add_time(key.data, key.size, key.present, PG_GETARG_TIMESTAMP(2));
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_context_combine) {
    return combine_states<ContextState>(fcinfo);
}
DMINE_FUNCTION(dm_context_serialize) {
    return serialize_state<ContextState>(fcinfo);
}
DMINE_FUNCTION(dm_context_deserialize) {
    return deserialize_state<ContextState>(fcinfo);
}
DMINE_FUNCTION(dm_context_final) {
    return final_summary(fcinfo);
}

// Transition: (state, score, line jsonb, k); lines with a NULL score or line are skipped.
DMINE_FUNCTION(dm_context_top_accum) {
    auto *state = state_arg<TopLines>(fcinfo, [&] {
        if (PG_ARGISNULL(3))
            fail(ErrorKind::NullValue, "the number of lines kept must not be NULL");
        return TopLines(PG_GETARG_INT64(3));
    });
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) PG_RETURN_POINTER(state);
    double score = PG_GETARG_FLOAT8(1);
    if (state->k() == 0) PG_RETURN_POINTER(state);
    auto *line = pg_call(
        [&] { return reinterpret_cast<varlena *>(PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(2))); });
    state->add(score, reinterpret_cast<const std::uint8_t *>(VARDATA_ANY(line)),
               VARSIZE_ANY_EXHDR(line));
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_context_top_combine) {
    return combine_states<TopLines>(fcinfo);
}
DMINE_FUNCTION(dm_context_top_serialize) {
    return serialize_state<TopLines>(fcinfo);
}
DMINE_FUNCTION(dm_context_top_deserialize) {
    return deserialize_state<TopLines>(fcinfo);
}

// The kept lines as jsonb[], highest score first (each line's jsonb bytes as given).
DMINE_FUNCTION(dm_context_top_final) {
    const auto *state = state_or_null<TopLines>(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    auto lines = state->result();
    int n = static_cast<int>(lines.size());
    Datum *values =
        pg_call([&] { return static_cast<Datum *>(palloc(sizeof(Datum) * (n ? n : 1))); });
    for (int i = 0; i < n; i++) {
        const auto &bytes = lines[i].second;
        auto *v = pg_call([&] { return static_cast<varlena *>(palloc(VARHDRSZ + bytes.size())); });
        SET_VARSIZE(v, VARHDRSZ + bytes.size());
        if (!bytes.empty()) std::memcpy(VARDATA(v), bytes.data(), bytes.size());
        values[i] = PointerGetDatum(v);
    }
    ArrayType *array =
        pg_call([&] { return construct_array(values, n, JSONBOID, -1, false, TYPALIGN_INT); });
    PG_RETURN_ARRAYTYPE_P(array);
}
