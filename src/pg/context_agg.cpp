// dm_context_fit, dm_context_fit_time: grouped context summaries in one scan, mergeable, over
// the state type context_fit_summary; dm_context_top: the k lines of highest score with their
// payload, over context_top_summary. Both states are expanded objects (expanded_state.hpp).
#include "agg_state.hpp"
#include "context/context_groups.hpp"
#include "context/context_summary.hpp"
#include "context/top_lines.hpp"
#include "expanded_state.hpp"
#include "jsonb_check.hpp"

extern "C" {
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
}

#include <charconv>
#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::context;

// The fitting state; group keys read back from bytes must be valid in the database encoding.
struct FitState : ContextState {
    static constexpr StateType kType{"context_fit_summary", 0x46434d44, 1}; // "DMCF"
    explicit FitState(ContextState state) : ContextState(std::move(state)) {}
    // Summaries merge only when fitted alike (a value and a time summary have other buckets).
    void merge(const FitState &other) {
        const Options &a = options(), &b = other.options();
        if (a.kind != b.kind || a.scale != b.scale || a.min_rows != b.min_rows ||
            a.min_spread != b.min_spread)
            fail(ErrorKind::InvalidParameter,
                 "cannot merge context summaries fitted with different options");
        ContextState::merge(other);
    }
    static FitState deserialize(ByteReader &in) {
        FitState state(ContextState::deserialize(in));
        for (const auto &[key, g] : state.groups())
            if (!pg_verifymbstr(key.data(), static_cast<int>(key.size()), true))
                fail(ErrorKind::Corrupted,
                     "corrupted context state: a key not in the database encoding");
        return state;
    }
};

// The top lines; each payload read back from bytes must be well-formed jsonb.
struct TopState : TopLines {
    static constexpr StateType kType{"context_top_summary", 0x54434d44, 1}; // "DMCT"
    explicit TopState(TopLines lines) : TopLines(std::move(lines)) {}
    static TopState deserialize(ByteReader &in) {
        TopState state(TopLines::deserialize(in));
        for (const auto &[score, bytes] : state.result())
            if (!jsonb_bytes_valid(reinterpret_cast<const char *>(bytes.data()), bytes.size()))
                fail(ErrorKind::Corrupted, "corrupted top lines state: a line that is not jsonb");
        return state;
    }
};

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

// A bigint key argument as the text its cast to text gives (the summary holds keys as text),
// written into `digits`.
KeyArg int_key_arg(FunctionCallInfo fcinfo, int argno, char (&digits)[24]) {
    KeyArg k;
    if (PG_ARGISNULL(argno)) return k;
    auto r = std::to_chars(digits, digits + sizeof digits, PG_GETARG_INT64(argno));
    k.data = digits;
    k.size = static_cast<std::size_t>(r.ptr - digits);
    k.present = true;
    return k;
}

// The options are read from the first row only (as in 0.1.0's internal state).
template <typename State> StateUpdate<State> fit_state(FunctionCallInfo fcinfo, Kind kind) {
    return update_state<State>(
        fcinfo, [&] { return State(ContextState(parse_options(options_text(fcinfo, 3), kind))); });
}

// A state fitted for values takes no time and the reverse (the transition functions can be called
// by hand on any state).
void expect_kind(const ContextState &state, Kind kind) {
    if (state.options().kind != kind)
        fail(ErrorKind::InvalidParameter, kind == Kind::Value
                                              ? "a context state of times cannot take a value"
                                              : "a context state of values cannot take a time");
}

// `int_key`: the key argument is a bigint.
template <typename State> void add_value(FunctionCallInfo fcinfo, State &state, bool int_key) {
    expect_kind(state, Kind::Value);
    if (PG_ARGISNULL(2)) return state.add_skipped();
    char digits[24];
    KeyArg key = int_key ? int_key_arg(fcinfo, 1, digits) : key_arg(fcinfo, 1);
    state.add_value(key.data, key.size, key.present, PG_GETARG_FLOAT8(2));
}

template <typename State> void add_time(FunctionCallInfo fcinfo, State &state, bool int_key) {
    expect_kind(state, Kind::Time);
    if (PG_ARGISNULL(2) || TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMP(2))) return state.add_skipped();
    char digits[24];
    KeyArg key = int_key ? int_key_arg(fcinfo, 1, digits) : key_arg(fcinfo, 1);
    state.add_time(key.data, key.size, key.present, PG_GETARG_TIMESTAMP(2));
}

Datum summary_datum(const ContextState *state) {
    if (!state || state->overall().n == 0) return Datum(0);
    Summary summary = Summary::fit(*state);
    auto bytes = summary.encode();
    Summary::decode(bytes.data(), bytes.size()); // it must read back
    return PointerGetDatum(make_bytea(bytes));
}

// The kept lines as jsonb[], highest score first (each line's jsonb bytes as given).
Datum top_array(const TopLines &state) {
    auto lines = state.result();
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

} // namespace

DMINE_STATE_TYPE(context_fit_summary, FitState)
DMINE_STATE_TYPE(context_top_summary, TopState)

// Transition: (state, key, value[, options]); a NULL or out-of-domain value is counted as skipped.
DMINE_FUNCTION(dm_context_fit_accum) {
    auto state = fit_state<FitState>(fcinfo, Kind::Value);
    add_value(fcinfo, *state, false);
    return state.datum();
}

// The same with a bigint key (no text cast a line; the same summary as with key::text).
DMINE_FUNCTION(dm_context_fit_int_accum) {
    auto state = fit_state<FitState>(fcinfo, Kind::Value);
    add_value(fcinfo, *state, true);
    return state.datum();
}

// Transition: (state, key, timestamp[, options]); a NULL or infinite time is counted as skipped.
DMINE_FUNCTION(dm_context_fit_time_accum) {
    auto state = fit_state<FitState>(fcinfo, Kind::Time);
    add_time(fcinfo, *state, false);
    return state.datum();
}

// The same with a bigint key.
DMINE_FUNCTION(dm_context_fit_time_int_accum) {
    auto state = fit_state<FitState>(fcinfo, Kind::Time);
    add_time(fcinfo, *state, true);
    return state.datum();
}

// Final: the context_summary (NULL when no line was seen).
DMINE_FUNCTION(dm_context_final) {
    StateView<FitState> state(fcinfo, 0);
    Datum summary = summary_datum(state.get());
    if (!summary) PG_RETURN_NULL();
    return summary;
}

// Transition: (state, score, line jsonb, k); lines with a NULL score or line are skipped.
DMINE_FUNCTION(dm_context_top_accum) {
    auto state = update_state<TopState>(fcinfo, [&] {
        if (PG_ARGISNULL(3))
            fail(ErrorKind::NullValue, "the number of lines kept must not be NULL");
        return TopState(TopLines(PG_GETARG_INT64(3)));
    });
    if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || state->k() == 0) return state.datum();
    double score = PG_GETARG_FLOAT8(1);
    auto *line = pg_call(
        [&] { return reinterpret_cast<varlena *>(PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(2))); });
    state->add(score, reinterpret_cast<const std::uint8_t *>(VARDATA_ANY(line)),
               VARSIZE_ANY_EXHDR(line));
    return state.datum();
}

DMINE_FUNCTION(dm_context_top_final) {
    StateView<TopState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    return top_array(*state);
}
