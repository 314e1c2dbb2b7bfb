// dm_approx_distinct(anyelement): HyperLogLog estimate of the number of distinct values.
#include "agg_state.hpp"
#include "sketch/hyperloglog.hpp"
#include "core/rng.hpp"

extern "C" {
#include "utils/typcache.h"
}

#include <cmath>

namespace {

using namespace dmine;
using namespace dmine::pg;

struct DistinctState {
    HyperLogLog sketch;
    void merge(const DistinctState &other) { sketch.merge(other.sketch); }
    void serialize(ByteWriter &out) const { sketch.serialize(out); }
    static DistinctState deserialize(ByteReader &in) { return {HyperLogLog::deserialize(in)}; }
};

// The extended hash function of the argument's type, looked up once per query.
FmgrInfo *hash_function(FunctionCallInfo fcinfo) {
    if (fcinfo->flinfo->fn_extra) return static_cast<FmgrInfo *>(fcinfo->flinfo->fn_extra);
    Oid type = get_fn_expr_argtype(fcinfo->flinfo, 1);
    return pg_call([&] {
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

} // namespace

DMINE_FUNCTION(dm_distinct_accum) {
    auto *state = state_arg<DistinctState>(fcinfo, [] { return DistinctState{}; });
    if (PG_ARGISNULL(1)) PG_RETURN_POINTER(state);
    FmgrInfo *hash = hash_function(fcinfo);
    Datum value = PG_GETARG_DATUM(1);
    Oid collation = PG_GET_COLLATION();
    auto h = pg_call([&] {
        return DatumGetUInt64(FunctionCall2Coll(hash, collation, value, UInt64GetDatum(0)));
    });
    // PostgreSQL's hashes are well mixed in the low bits; HyperLogLog reads the top bits too.
    state->sketch.add_hash(mix64(h));
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
    const auto *state = state_or_null<DistinctState>(fcinfo, 0);
    if (!state) PG_RETURN_INT64(0);
    PG_RETURN_INT64(static_cast<int64>(std::llround(state->sketch.estimate())));
}
