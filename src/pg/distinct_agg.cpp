// dm_approx_distinct(anyelement): HyperLogLog estimate of the number of distinct values.
#include "agg_state.hpp"
#include "expanded_state.hpp"
#include "sketch/hyperloglog.hpp"
#include "core/rng.hpp"

extern "C" {
#include "nodes/nodeFuncs.h"
#include "utils/typcache.h"
}

#include <cmath>

namespace {

using namespace dmine;
using namespace dmine::pg;

struct DistinctState {
    static constexpr StateType kType{"distinct_summary", 0x44484d44, 1}; // "DMHD"
    HyperLogLog sketch;
    void merge(const DistinctState &other) { sketch.merge(other.sketch); }
    void serialize(ByteWriter &out) const { sketch.serialize(out); }
    static DistinctState deserialize(ByteReader &in) { return {HyperLogLog::deserialize(in)}; }
};

// The extended hash function of the argument's type, looked up once per query.
FmgrInfo *hash_function(FunctionCallInfo fcinfo) {
    if (fcinfo->flinfo->fn_extra) return static_cast<FmgrInfo *>(fcinfo->flinfo->fn_extra);
    return pg_call([&] {
        Oid type = get_fn_expr_argtype(fcinfo->flinfo, 1);
        // Called by Citus's worker_partial_agg, the function has no call expression: the
        // value's type is that of the aggregate's last argument.
        if (!OidIsValid(type)) {
            Aggref *aggref = AggGetAggref(fcinfo);
            if (aggref && aggref->args)
                type = exprType(reinterpret_cast<Node *>(
                    static_cast<TargetEntry *>(llast(aggref->args))->expr));
        }
        if (!OidIsValid(type))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("could not determine the type of the value to count")));
        TypeCacheEntry *entry = lookup_type_cache(type, TYPECACHE_HASH_EXTENDED_PROC_FINFO);
        if (!OidIsValid(entry->hash_extended_proc))
            ereport(ERROR,
                    (errcode(ERRCODE_UNDEFINED_FUNCTION),
                     errmsg("could not identify a hash function for type %s", format_type_be(type)),
                     errhint("Cast the value to text.")));
        auto *finfo =
            static_cast<FmgrInfo *>(MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(FmgrInfo)));
        fmgr_info_copy(finfo, &entry->hash_extended_proc_finfo, fcinfo->flinfo->fn_mcxt);
        fcinfo->flinfo->fn_extra = finfo;
        return finfo;
    });
}

void add_value(DistinctState &state, FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1)) return;
    FmgrInfo *hash = hash_function(fcinfo);
    Datum value = PG_GETARG_DATUM(1);
    Oid collation = PG_GET_COLLATION();
    auto h = pg_call([&] {
        return DatumGetUInt64(FunctionCall2Coll(hash, collation, value, UInt64GetDatum(0)));
    });
    // PostgreSQL's hashes are well mixed in the low bits; HyperLogLog reads the top bits too.
    state.sketch.add_hash(mix64(h));
}

std::int64_t estimate(const DistinctState *state) {
    return state ? static_cast<std::int64_t>(std::llround(state->sketch.estimate())) : 0;
}

} // namespace

// 0.1.0 entry points (internal state).
DMINE_FUNCTION(dm_distinct_accum) {
    auto *state = state_arg<DistinctState>(fcinfo, [] { return DistinctState{}; });
    add_value(*state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_distinct_combine) {
    return combine_states<DistinctState>(fcinfo);
}
DMINE_FUNCTION(dm_distinct_serialize) {
    return serialize_state<DistinctState>(fcinfo);
}
DMINE_FUNCTION(dm_distinct_deserialize) {
    return deserialize_state<DistinctState>(fcinfo);
}

DMINE_FUNCTION(dm_distinct_final) {
    PG_RETURN_INT64(estimate(state_or_null<DistinctState>(fcinfo, 0)));
}

// The distinct_summary type (dm_approx_distinct, stored HyperLogLog sketches).
DMINE_STATE_TYPE(distinct_summary, DistinctState)

DMINE_FUNCTION(distinct_summary_add) {
    auto state = update_state<DistinctState>(fcinfo, [] { return DistinctState{}; });
    add_value(*state, fcinfo);
    return state.datum();
}

// Final function and accessor.
DMINE_FUNCTION(dm_summary_distinct) {
    StateView<DistinctState> state(fcinfo, 0);
    PG_RETURN_INT64(estimate(state.get()));
}
