// dm_profile_summary(top_n, spec, VARIADIC columns): the whole-row column profile of
// dm_profile in one pass (profile/column_profile.hpp per column), state type profile_summary.
// dm_profile_summary(top_n, spec, columns record) takes the columns as one row (ROW(a, b, c)):
// the same state and figures, and fixed argument types, which Citus's worker_partial_agg needs.
//
// spec has one letter per column: 'v' hash the value with its type's extended hash function,
// 't' hash its text (types without one, and those dm_profile groups by text); upper case also
// counts the values whose text reads as an ISO date or date-time. Numbers (integers, floats,
// numeric, money, domains over them) also get statistics; int4/int8 count their yyyymmdd keys.
#include "agg_state.hpp"
#include "expanded_state.hpp"
#include "numeric_double.hpp"
#include "core/rng.hpp"
#include "profile/column_profile.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "common/hashfn.h"
#include "nodes/nodeFuncs.h"
#include "utils/jsonb.h"
#include "utils/typcache.h"
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;

constexpr int kFirstColumn = 3; // state, top_n, spec
constexpr std::size_t kMaxColumns = 100;

struct CallInfo;

// A pointer that no copy keeps (it points into the memory of the state it belongs to).
struct CallCache {
    CallInfo *info = nullptr;
    CallCache() = default;
    CallCache(const CallCache &) noexcept {}
    CallCache &operator=(const CallCache &) noexcept {
        info = nullptr;
        return *this;
    }
};

struct ProfileState {
    static constexpr StateType kType{"profile_summary", 0x50524d44, 1}; // "DMRP"
    std::int32_t top_n = 0;
    std::uint64_t rows = 0;
    StateVector<ColumnProfile> columns;
    // The column look-ups when fn_extra does not last (Citus's worker_partial_agg makes a new
    // FmgrInfo for every row); in the state's own context, never serialized.
    CallCache cache;

    void merge(const ProfileState &other) {
        if (other.columns.size() != columns.size() || other.top_n != top_n)
            fail(ErrorKind::InvalidParameter, "profile summaries of different column lists");
        rows += other.rows;
        for (std::size_t i = 0; i < columns.size(); i++) columns[i].merge(other.columns[i]);
    }
    void serialize(ByteWriter &out) {
        out.put(top_n);
        out.put(rows);
        out.put<std::uint64_t>(columns.size());
        for (auto &c : columns) c.serialize(out);
    }
    static ProfileState deserialize(ByteReader &in) {
        ProfileState s;
        s.top_n = in.get<std::int32_t>();
        s.rows = in.get<std::uint64_t>();
        const auto n = in.get<std::uint64_t>();
        if (s.top_n < 0 || s.top_n > 1000 || n > kMaxColumns)
            fail(ErrorKind::Corrupted, "corrupted value: profile options");
        s.columns.reserve(n);
        for (std::uint64_t i = 0; i < n; i++) s.columns.push_back(ColumnProfile::deserialize(in));
        return s;
    }
};

enum class Number : std::uint8_t { None, Int2, Int4, Int8, Float4, Float8, Numeric, Money };

// What a column's values need, looked up once per query (in fn_extra).
struct ColumnInfo {
    Oid type;
    Oid collation;
    Number number;
    bool by_text;  // hash the output text
    bool patterns; // count date shapes in the text
    bool raw_text; // text/varchar: the bytes are the text
    bool bpchar;   // its text (::text) has no trailing blanks
    FmgrInfo hash;
    FmgrInfo output;
};

// The record form: the row type of the first row and its live (not dropped) attributes.
struct RowInfo {
    Oid type;
    int32 typmod;
    TupleDesc desc; // a copy, in the cache's context
    int *attno;     // per profiled column, its index in desc
    Datum *values;  // natts, one row deformed
    bool *nulls;
};

struct CallInfo {
    int ncolumns;
    RowInfo *row;          // record form only
    NullableDatum *args;   // record form: the row's columns as arguments
    ColumnInfo columns[1]; // ncolumns of them
};

Number number_kind(Oid base) {
    switch (base) {
    case INT2OID:
        return Number::Int2;
    case INT4OID:
        return Number::Int4;
    case INT8OID:
        return Number::Int8;
    case FLOAT4OID:
        return Number::Float4;
    case FLOAT8OID:
        return Number::Float8;
    case NUMERICOID:
        return Number::Numeric;
    case CASHOID:
        return Number::Money;
    default:
        return Number::None;
    }
}

// The type and collation of column argument i (Citus's worker_partial_agg gives no call
// expression: then from the aggregate's arguments).
void column_type(FunctionCallInfo fcinfo, Aggref *aggref, int i, Oid &type, Oid &collation) {
    type = get_fn_expr_argtype(fcinfo->flinfo, kFirstColumn + i);
    collation = InvalidOid;
    if (aggref && list_length(aggref->args) > kFirstColumn - 1 + i) {
        Node *expr = reinterpret_cast<Node *>(
            static_cast<TargetEntry *>(list_nth(aggref->args, kFirstColumn - 1 + i))->expr);
        if (!OidIsValid(type)) type = exprType(expr);
        collation = exprCollation(expr);
    }
}

// What column i of type `type` needs (under pg_call), its functions in context cx.
void init_column(FunctionCallInfo fcinfo, ColumnInfo &c, int i, Oid type, Oid collation,
                 char letter, MemoryContext cx) {
    c.type = type;
    c.collation = collation;
    if (!OidIsValid(c.type))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("could not determine the type of profiled column %d", i + 1)));
    if (!OidIsValid(c.collation)) c.collation = PG_GET_COLLATION();
    if (!OidIsValid(c.collation) && type_is_collatable(c.type)) c.collation = DEFAULT_COLLATION_OID;
    const Oid base = getBaseType(c.type);
    c.number = number_kind(base);
    c.by_text = letter == 't' || letter == 'T';
    c.patterns = letter == 'V' || letter == 'T';
    c.raw_text = base == TEXTOID || base == VARCHAROID;
    c.bpchar = base == BPCHAROID;
    Oid out;
    bool varlena;
    getTypeOutputInfo(c.type, &out, &varlena);
    fmgr_info_cxt(out, &c.output, cx);
    if (!c.by_text) {
        TypeCacheEntry *entry = lookup_type_cache(c.type, TYPECACHE_HASH_EXTENDED_PROC_FINFO);
        if (!OidIsValid(entry->hash_extended_proc))
            ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
                            errmsg("could not identify a hash function for type %s",
                                   format_type_be(c.type)),
                            errhint("Profile the column by its text ('t').")));
        fmgr_info_copy(&c.hash, &entry->hash_extended_proc_finfo, cx);
    }
}

CallInfo *alloc_info(MemoryContext cx, int ncolumns) {
    auto *info = static_cast<CallInfo *>(MemoryContextAllocZero(
        cx, offsetof(CallInfo, columns) + sizeof(ColumnInfo) * std::max(ncolumns, 1)));
    info->ncolumns = ncolumns;
    return info;
}

// The look-ups of the VARIADIC form, from the call's argument types.
CallInfo *variadic_info(FunctionCallInfo fcinfo, const char *spec, int ncolumns, MemoryContext cx) {
    return pg_call([&] {
        CallInfo *info = alloc_info(cx, ncolumns);
        Aggref *aggref = AggGetAggref(fcinfo);
        for (int i = 0; i < ncolumns; i++) {
            Oid type, collation;
            column_type(fcinfo, aggref, i, type, collation);
            init_column(fcinfo, info->columns[i], i, type, collation, spec[i], cx);
        }
        return info;
    });
}

// The live attributes of row type (type, typmod) (under pg_call); the row's tuple descriptor
// is copied into cx, so no reference to the type cache is held.
RowInfo *row_info(Oid type, int32 typmod, MemoryContext cx, int &ncolumns) {
    TupleDesc cached = lookup_rowtype_tupdesc(type, typmod);
    auto *row = static_cast<RowInfo *>(MemoryContextAllocZero(cx, sizeof(RowInfo)));
    MemoryContext old = MemoryContextSwitchTo(cx);
    row->desc = CreateTupleDescCopy(cached);
    MemoryContextSwitchTo(old);
    ReleaseTupleDesc(cached);
    row->type = type;
    row->typmod = typmod;
    const int natts = row->desc->natts;
    row->attno = static_cast<int *>(MemoryContextAllocZero(cx, sizeof(int) * std::max(natts, 1)));
    row->values =
        static_cast<Datum *>(MemoryContextAllocZero(cx, sizeof(Datum) * std::max(natts, 1)));
    row->nulls = static_cast<bool *>(MemoryContextAllocZero(cx, sizeof(bool) * std::max(natts, 1)));
    ncolumns = 0;
    for (int a = 0; a < natts; a++)
        if (!TupleDescAttr(row->desc, a)->attisdropped) row->attno[ncolumns++] = a;
    return row;
}

std::string spec_arg(FunctionCallInfo fcinfo, int ncolumns) {
    if (PG_ARGISNULL(2)) fail(ErrorKind::NullValue, "the column spec must not be NULL");
    std::string spec = pg_call([&] { return text_to_cstring(PG_GETARG_TEXT_PP(2)); });
    if (static_cast<int>(spec.size()) != ncolumns)
        fail(ErrorKind::InvalidParameter, "the column spec must have one letter per column",
             "Got " + std::to_string(spec.size()) + " letters for " + std::to_string(ncolumns) +
                 " columns.");
    for (char ch : spec)
        if (std::string("vtVT").find(ch) == std::string::npos)
            fail(ErrorKind::InvalidParameter, "the column spec letters are v, t, V or T");
    return spec;
}

// The look-ups of the record form, from the row type of its first row.
CallInfo *record_info(FunctionCallInfo fcinfo, HeapTupleHeader first, MemoryContext cx) {
    int ncolumns = 0;
    RowInfo *row = pg_call([&] {
        return row_info(HeapTupleHeaderGetTypeId(first), HeapTupleHeaderGetTypMod(first), cx,
                        ncolumns);
    });
    if (ncolumns < 1 || ncolumns > static_cast<int>(kMaxColumns))
        fail(ErrorKind::InvalidParameter, "dm_profile_summary takes 1 to 100 columns",
             "The row has " + std::to_string(ncolumns) + " columns.");
    const std::string spec = spec_arg(fcinfo, ncolumns);
    return pg_call([&] {
        CallInfo *info = alloc_info(cx, ncolumns);
        info->row = row;
        info->args = static_cast<NullableDatum *>(
            MemoryContextAllocZero(cx, sizeof(NullableDatum) * ncolumns));
        for (int i = 0; i < ncolumns; i++) {
            const auto *att = TupleDescAttr(row->desc, row->attno[i]);
            init_column(fcinfo, info->columns[i], i, att->atttypid, att->attcollation, spec[i], cx);
        }
        return info;
    });
}

std::uint8_t column_flags(const ColumnInfo &c) {
    std::uint8_t flags = 0;
    if (c.number != Number::None) flags |= ColumnProfile::kNumber;
    if (c.number == Number::Int4 || c.number == Number::Int8) flags |= ColumnProfile::kDateKey;
    if (c.patterns) flags |= ColumnProfile::kTextPatterns;
    return flags;
}

ProfileState new_state(FunctionCallInfo fcinfo, CallInfo *info) {
    if (PG_ARGISNULL(1)) fail(ErrorKind::NullValue, "top_n must not be NULL");
    ProfileState s;
    s.top_n = PG_GETARG_INT32(1);
    if (s.top_n < 0 || s.top_n > 1000)
        fail(ErrorKind::InvalidParameter, "top_n must be between 0 and 1000");
    s.columns.reserve(info->ncolumns);
    for (int i = 0; i < info->ncolumns; i++) s.columns.emplace_back(column_flags(info->columns[i]));
    return s;
}

// One value's hash, number and text, read under pg_call (no C++ object lives there).
struct Reading {
    std::uint64_t hash;
    double number;
    std::int64_t integer;
    const char *text; // when read (by text, patterns)
    std::size_t length;
};

void read_value(const ColumnInfo &c, Datum value, Reading &r) {
    r.text = nullptr;
    if (c.raw_text && (c.by_text || c.patterns)) {
        auto *t = reinterpret_cast<struct varlena *>(PG_DETOAST_DATUM_PACKED(value));
        r.text = VARDATA_ANY(t);
        r.length = VARSIZE_ANY_EXHDR(t);
    } else if (c.by_text || c.patterns) {
        r.text = OutputFunctionCall(const_cast<FmgrInfo *>(&c.output), value);
        r.length = std::strlen(r.text);
    }
    if (c.by_text)
        r.hash = DatumGetUInt64(hash_any_extended(reinterpret_cast<const unsigned char *>(r.text),
                                                  static_cast<int>(r.length), 0));
    else
        r.hash = DatumGetUInt64(FunctionCall2Coll(const_cast<FmgrInfo *>(&c.hash), c.collation,
                                                  value, UInt64GetDatum(0)));
    switch (c.number) {
    case Number::Int2:
        r.integer = DatumGetInt16(value);
        break;
    case Number::Int4:
        r.integer = DatumGetInt32(value);
        break;
    case Number::Int8:
        r.integer = DatumGetInt64(value);
        break;
    case Number::Float4:
        r.number = DatumGetFloat4(value);
        break;
    case Number::Float8:
        r.number = DatumGetFloat8(value);
        break;
    case Number::Numeric:
        r.number = numeric_to_double(value);
        break;
    case Number::Money:
        r.number = numeric_to_double(DirectFunctionCall1(cash_numeric, value));
        break;
    case Number::None:
        break;
    }
}

// Every column's reading of one row, in one pg_call.
void read_row(const CallInfo *info, const NullableDatum *args, Reading *readings) {
    for (int i = 0; i < info->ncolumns; i++)
        if (!args[i].isnull) read_value(info->columns[i], args[i].value, readings[i]);
}

// The columns of a record argument as arguments (under pg_call), in info->args.
void deform_row(CallInfo *info, Datum value) {
    HeapTupleHeader header = DatumGetHeapTupleHeader(value);
    RowInfo *row = info->row;
    if (HeapTupleHeaderGetTypeId(header) != row->type ||
        HeapTupleHeaderGetTypMod(header) != row->typmod)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("the rows given to dm_profile_summary must all have the same row type")));
    HeapTupleData tuple;
    tuple.t_len = HeapTupleHeaderGetDatumLength(header);
    ItemPointerSetInvalid(&tuple.t_self);
    tuple.t_tableOid = InvalidOid;
    tuple.t_data = header;
    heap_deform_tuple(&tuple, row->desc, row->values, row->nulls);
    for (int i = 0; i < info->ncolumns; i++) {
        info->args[i].value = row->values[row->attno[i]];
        info->args[i].isnull = row->nulls[row->attno[i]];
    }
}

void add_row(ProfileState &state, const CallInfo *info, const NullableDatum *args) {
    state.rows++;
    Reading readings[kMaxColumns];
    pg_call([&] { read_row(info, args, readings); });
    for (int i = 0; i < info->ncolumns; i++) {
        ColumnProfile &col = state.columns[i];
        const ColumnInfo &c = info->columns[i];
        if (args[i].isnull) {
            col.add_null();
            continue;
        }
        Reading &r = readings[i];
        if (col.add_value(mix64(r.hash))) {
            if (!r.text) {
                const Datum value = args[i].value;
                r.text = pg_call(
                    [&] { return OutputFunctionCall(const_cast<FmgrInfo *>(&c.output), value); });
                r.length = std::strlen(r.text);
            }
            col.set_text(r.text, r.length);
        }
        if (c.patterns) {
            std::size_t n = r.length;
            if (c.bpchar)
                while (n > 0 && r.text[n - 1] == ' ') n--;
            col.add_text(r.text, n);
        }
        switch (c.number) {
        case Number::Int2:
        case Number::Int4:
        case Number::Int8:
            col.add_integer(r.integer);
            break;
        case Number::None:
            break;
        default:
            col.add_number(r.number);
        }
    }
}

// JSON text pieces.
void put_string(std::string &out, const std::string &s) {
    out += '"';
    for (unsigned char ch : s) {
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += static_cast<char>(ch);
        } else if (ch < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", ch);
            out += buf;
        } else {
            out += static_cast<char>(ch);
        }
    }
    out += '"';
}

void put_double(std::string &out, double x) {
    if (std::isnan(x)) {
        out += "null";
    } else if (std::isinf(x)) {
        out += x > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", x);
        out += buf;
    }
}

// The to_jsonb(dm_stats(x)) object of a column's numbers.
void put_stats(std::string &out, ValueSummary &numbers) {
    const auto d = describe(numbers);
    out += "{\"count\":" + std::to_string(d.count) + ",\"null_count\":" + std::to_string(d.nulls) +
           ",\"nan_count\":" + std::to_string(d.nans) +
           ",\"infinity_count\":" + std::to_string(d.infinities);
    const char *names[] = {"mean", "stddev", "variance", "min", "max", "skewness", "kurtosis"};
    const double values[] = {d.mean, d.stddev, d.variance, d.min, d.max, d.skewness, d.kurtosis};
    for (int i = 0; i < 7; i++) {
        out += ",\"" + std::string(names[i]) + "\":";
        put_double(out, values[i]);
    }
    const char *qs[] = {"p01", "p05", "p25", "p50", "p75", "p95", "p99"};
    for (std::size_t i = 0; i < 7; i++) {
        out += ",\"" + std::string(qs[i]) + "\":";
        put_double(out, d.quantiles[i]);
    }
    out += ",\"exact_quantiles\":";
    out += d.count == 0 ? "null" : d.exact_quantiles ? "true" : "false";
    out += '}';
}

void put_column(std::string &out, ColumnProfile &col, std::int32_t top_n) {
    out += "{\"n\":" + std::to_string(col.count()) +
           ",\"nd\":" + std::to_string(col.distinct_estimate()) + ",\"exact\":";
    out += col.distinct_exact() < 0 ? "null" : std::to_string(col.distinct_exact());
    if (col.flags() & ColumnProfile::kDateKey)
        out += ",\"dk\":" + std::to_string(col.date_values());
    if (col.flags() & ColumnProfile::kTextPatterns)
        out += ",\"dk\":" + std::to_string(col.date_values()) +
               ",\"tk\":" + std::to_string(col.timestamp_values());
    out += ",\"stats\":";
    if (col.flags() & ColumnProfile::kNumber)
        put_stats(out, col.numbers());
    else
        out += "null";
    out += ",\"top\":";
    if (!col.values().texts_kept()) {
        out += "null";
    } else {
        out += '[';
        bool first = true;
        for (const auto &[text, count] : col.values().top(static_cast<std::size_t>(top_n))) {
            if (!first) out += ',';
            first = false;
            out += '[';
            put_string(out, text);
            out += ',' + std::to_string(count) + ']';
        }
        out += ']';
    }
    out += '}';
}

Datum profile_json(ProfileState *state) {
    std::string out = "{\"rows\":" + std::to_string(state ? state->rows : 0) + ",\"columns\":[";
    if (state)
        for (std::size_t i = 0; i < state->columns.size(); i++) {
            if (i) out += ',';
            put_column(out, state->columns[i], state->top_n);
        }
    out += "]}";
    return pg_call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(out.c_str())); });
}

// The look-ups kept by the state in argument 0, if any.
CallInfo *state_cache(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0)) return nullptr;
    auto *e = expanded_or_null<ProfileState>(PG_GETARG_DATUM(0));
    return e ? e->state->cache.info : nullptr;
}

// Where new look-ups go: fn_extra's context, or the state's own when the state exists but
// fn_extra is empty (a new FmgrInfo for every row: Citus).
MemoryContext info_context(FunctionCallInfo fcinfo, bool &in_state) {
    in_state = false;
    if (!PG_ARGISNULL(0))
        if (auto *e = expanded_or_null<ProfileState>(PG_GETARG_DATUM(0))) {
            in_state = true;
            return e->header.eoh_context;
        }
    return fcinfo->flinfo->fn_mcxt;
}

// The state updated with one row whose columns are `args`; the look-ups kept where they last.
Datum add_to_state(FunctionCallInfo fcinfo, CallInfo *info, bool in_state,
                   const NullableDatum *args) {
    if (!in_state) fcinfo->flinfo->fn_extra = info;
    auto state = update_state<ProfileState>(fcinfo, [&] { return new_state(fcinfo, info); });
    if (static_cast<int>(state->columns.size()) != info->ncolumns)
        fail(ErrorKind::InvalidParameter, "a profile summary of another column list");
    if (in_state) state->cache.info = info;
    add_row(*state, info, args);
    return state.datum();
}

} // namespace

DMINE_STATE_TYPE(profile_summary, ProfileState)

DMINE_FUNCTION(profile_summary_add) {
    const int ncolumns = PG_NARGS() - kFirstColumn;
    if (ncolumns < 1 || ncolumns > static_cast<int>(kMaxColumns))
        fail(ErrorKind::InvalidParameter, "dm_profile_summary takes 1 to 100 columns");
    CallInfo *info = static_cast<CallInfo *>(fcinfo->flinfo->fn_extra);
    bool in_state = info == nullptr && (info = state_cache(fcinfo)) != nullptr;
    if (!info) {
        MemoryContext cx = info_context(fcinfo, in_state);
        info = variadic_info(fcinfo, spec_arg(fcinfo, ncolumns).c_str(), ncolumns, cx);
    }
    return add_to_state(fcinfo, info, in_state, fcinfo->args + kFirstColumn);
}

// dm_profile_summary(top_n, spec, columns record): a NULL row is skipped.
DMINE_FUNCTION(profile_summary_add_row) {
    if (PG_ARGISNULL(kFirstColumn)) {
        if (PG_ARGISNULL(0)) PG_RETURN_NULL();
        PG_RETURN_DATUM(PG_GETARG_DATUM(0));
    }
    const Datum value = PG_GETARG_DATUM(kFirstColumn);
    CallInfo *info = static_cast<CallInfo *>(fcinfo->flinfo->fn_extra);
    bool in_state = info == nullptr && (info = state_cache(fcinfo)) != nullptr;
    if (!info) {
        MemoryContext cx = info_context(fcinfo, in_state);
        HeapTupleHeader first = pg_call([&] { return DatumGetHeapTupleHeader(value); });
        info = record_info(fcinfo, first, cx);
    }
    pg_call([&] { deform_row(info, value); });
    return add_to_state(fcinfo, info, in_state, info->args);
}

// The final function: {"rows": n, "columns": [{"n", "nd", "exact", "dk", "tk", "stats", "top"}]}.
DMINE_FUNCTION(dm_summary_profile) {
    StateView<ProfileState> state(fcinfo, 0);
    return profile_json(state.get());
}
