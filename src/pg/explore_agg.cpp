// group_summary: the one-pass state of dm_breakdowns (dm_breakdown_summary) and dm_trends
// (dm_sales_summary), and dm_group_rows, the rows of a summary.
#include "agg_state.hpp"
#include "expanded_state.hpp"
#include "explore/group_summary.hpp"

extern "C" {
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
}

#include <cmath>
#include <limits>
#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;
using explore::GroupSummary;
using explore::KeyRef;

struct GroupAggState {
    static constexpr StateType kType{"group_summary", 0x44475253, 1}; // "DGRS"
    GroupSummary summary;
    void merge(const GroupAggState &other) { summary.merge(other.summary); }
    void serialize(ByteWriter &out) const { summary.serialize(out); }
    static GroupAggState deserialize(ByteReader &in) { return {GroupSummary::deserialize(in)}; }
};

// The bytes of a text Datum (detoasted when compressed or out of line).
KeyRef text_key(Datum datum) {
    auto *v = reinterpret_cast<struct varlena *>(DatumGetPointer(datum));
    if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
        v = pg_call([&] { return pg_detoast_datum_packed(v); });
    return KeyRef{VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), false};
}

KeyRef text_arg(FunctionCallInfo fcinfo, int argno) {
    return PG_ARGISNULL(argno) ? KeyRef{} : text_key(PG_GETARG_DATUM(argno));
}

// An integer key argument as its 8 bytes (kept in `buf`).
KeyRef int8_arg(FunctionCallInfo fcinfo, int argno, std::int64_t &buf) {
    if (PG_ARGISNULL(argno)) return KeyRef{};
    buf = PG_GETARG_INT64(argno);
    return KeyRef{reinterpret_cast<const char *>(&buf), sizeof buf, false};
}

double float8_arg(FunctionCallInfo fcinfo, int argno) {
    return PG_ARGISNULL(argno) ? std::numeric_limits<double>::quiet_NaN() : PG_GETARG_FLOAT8(argno);
}

// A date argument as days from 2000-01-01; NULL and infinite dates as kNoDay.
std::int32_t day_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) return explore::kNoDay;
    DateADT d = PG_GETARG_DATEADT(argno);
    return DATE_NOT_FINITE(d) ? explore::kNoDay : d;
}

explore::GrowthPeriod period_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) return explore::GrowthPeriod::None;
    KeyRef k = text_key(PG_GETARG_DATUM(argno));
    std::string p(k.data, k.size);
    if (p == "month") return explore::GrowthPeriod::Month;
    if (p == "quarter") return explore::GrowthPeriod::Quarter;
    if (p == "year") return explore::GrowthPeriod::Year;
    fail(ErrorKind::InvalidParameter, "unknown growth_period \"" + p + "\"", {},
         "Use 'month', 'quarter' or 'year'.");
}

} // namespace

// The type's functions; combine merges a stored partial summary straight from its bytes.
DMINE_FUNCTION(group_summary_in) {
    return state_in<GroupAggState>(fcinfo);
}
DMINE_FUNCTION(group_summary_out) {
    return state_out<GroupAggState>(fcinfo);
}
DMINE_FUNCTION(group_summary_recv) {
    return state_recv<GroupAggState>(fcinfo);
}
DMINE_FUNCTION(group_summary_send) {
    return state_send<GroupAggState>(fcinfo);
}

DMINE_FUNCTION(group_summary_combine) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || expanded_or_null<GroupAggState>(PG_GETARG_DATUM(1)))
        return combine_expanded<GroupAggState>(fcinfo);
    auto [data, size] = flat_bytes(PG_GETARG_DATUM(1));
    StateUpdate<GroupAggState> a(
        writable_state<GroupAggState>(fcinfo, 0, no_new_state<GroupAggState>));
    auto opened = open_model(data, size, GroupAggState::kType.magic, GroupAggState::kType.version,
                             GroupAggState::kType.name);
    a->summary.merge_serialized(opened.payload);
    opened.payload.expect_end();
    return a.datum();
}

namespace {

// (state, values text[], amount float8, customer text or bigint, day date, growth_period text)
Datum breakdown_add(FunctionCallInfo fcinfo, const KeyRef &customer) {
    auto state = update_state<GroupAggState>(fcinfo, [&] {
        return GroupAggState{GroupSummary(explore::GroupKind::Values, period_arg(fcinfo, 5))};
    });
    if (PG_ARGISNULL(1)) return state.datum();
    ArrayType *array = PG_GETARG_ARRAYTYPE_P(1);
    Datum *elems = nullptr;
    bool *nulls = nullptr;
    int n = 0;
    pg_call(
        [&] { deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n); });
    if (n > explore::kMaxFamilies)
        fail(ErrorKind::InvalidParameter, "at most 64 values per line, got " + std::to_string(n));
    KeyRef groups[explore::kMaxFamilies];
    for (int i = 0; i < n; i++) groups[i] = nulls[i] ? KeyRef{} : text_key(elems[i]);
    state->summary.add_values(groups, n, float8_arg(fcinfo, 2), std::nan(""), customer, KeyRef{},
                              day_arg(fcinfo, 4));
    return state.datum();
}

// (state, day date, hour int, amount float8, quantity float8, customer, order: text or bigint)
Datum sales_add(FunctionCallInfo fcinfo, const KeyRef &customer, const KeyRef &order) {
    auto state = update_state<GroupAggState>(
        fcinfo, [] { return GroupAggState{GroupSummary(explore::GroupKind::Calendar)}; });
    std::int32_t day = day_arg(fcinfo, 1);
    if (day == explore::kNoDay) return state.datum();
    int hour = explore::kNoHour;
    if (!PG_ARGISNULL(2)) {
        hour = PG_GETARG_INT32(2);
        if (hour < 0 || hour > 23)
            fail(ErrorKind::InvalidParameter,
                 "hour must be between 0 and 23, got " + std::to_string(hour));
    }
    state->summary.add_calendar(day, hour, float8_arg(fcinfo, 3), float8_arg(fcinfo, 4), customer,
                                order);
    return state.datum();
}

} // namespace

DMINE_FUNCTION(dm_breakdown_summary_add) {
    return breakdown_add(fcinfo, text_arg(fcinfo, 3));
}

DMINE_FUNCTION(dm_breakdown_summary_add_ids) {
    std::int64_t buf;
    return breakdown_add(fcinfo, int8_arg(fcinfo, 3, buf));
}

DMINE_FUNCTION(dm_sales_summary_add) {
    return sales_add(fcinfo, text_arg(fcinfo, 5), text_arg(fcinfo, 6));
}

DMINE_FUNCTION(dm_sales_summary_add_ids) {
    std::int64_t customer, order;
    return sales_add(fcinfo, int8_arg(fcinfo, 5, customer), int8_arg(fcinfo, 6, order));
}

// Final function: the finished summary's bytes (no keys nor pairs), so that what PostgreSQL
// copies out of the aggregate is small.
DMINE_FUNCTION(group_summary_finish) {
    StateView<GroupAggState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    ByteWriter out;
    state->summary.serialize_finished(out);
    auto bytes = seal_model(GroupAggState::kType.magic, GroupAggState::kType.version, out.bytes());
    return make_varlena(bytes.data(), bytes.size());
}

// Rows (family, key, revenue, lines, quantity, customers, orders, growth) of a summary.
DMINE_FUNCTION(dm_group_rows) {
    StateView<GroupAggState> state(fcinfo, 0);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    if (!state) return static_cast<Datum>(0);
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    for (const auto &r : state->summary.rows()) {
        Datum values[8];
        bool nulls[8] = {};
        values[0] = Int32GetDatum(r.family);
        nulls[1] = r.null_key;
        values[3] = Int64GetDatum(r.lines);
        values[4] = Float8GetDatum(r.quantity);
        values[5] = Int64GetDatum(r.customers);
        values[6] = Int64GetDatum(r.orders);
        nulls[7] = std::isnan(r.growth);
        values[7] = Float8GetDatum(nulls[7] ? 0.0 : r.growth);
        values[2] = Float8GetDatum(r.revenue);
        pg_call([&] {
            if (!r.null_key)
                values[1] = PointerGetDatum(
                    cstring_to_text_with_len(r.key.data(), static_cast<int>(r.key.size())));
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        });
    }
    return static_cast<Datum>(0);
}
