// Aggregate plumbing: C++ states owned by memory contexts, and bytea conversion.
#include "agg_state.hpp"

#include <cstring>

namespace dmine::pg {

MemoryContext aggregate_context(FunctionCallInfo fcinfo) {
    MemoryContext context = nullptr;
    if (!AggCheckCallContext(fcinfo, &context))
        fail(ErrorKind::Internal, "aggregate function called in non-aggregate context");
    return context;
}

void delete_on_reset(MemoryContext context, void *object, void (*deleter)(void *)) {
    auto *callback = static_cast<MemoryContextCallback *>(
        MemoryContextAllocExtended(context, sizeof(MemoryContextCallback), MCXT_ALLOC_NO_OOM));
    if (!callback) {
        deleter(object);
        throw std::bad_alloc();
    }
    callback->func = deleter;
    callback->arg = object;
    MemoryContextRegisterResetCallback(context, callback);
}

void *context_alloc(MemoryContext context, std::size_t bytes) {
    if (bytes > MaxAllocSize) throw std::bad_alloc();
    void *p = MemoryContextAllocExtended(context, bytes, MCXT_ALLOC_NO_OOM);
    if (!p) throw std::bad_alloc();
    return p;
}

bytea *make_bytea(const std::vector<std::uint8_t> &bytes) {
    if (bytes.size() > MaxAllocSize - VARHDRSZ)
        fail(ErrorKind::InvalidParameter, "state too large to serialize",
             "The serialized state exceeds 1 GB.");
    auto *result =
        static_cast<bytea *>(palloc_extended(bytes.size() + VARHDRSZ, MCXT_ALLOC_NO_OOM));
    if (!result) throw std::bad_alloc();
    SET_VARSIZE(result, bytes.size() + VARHDRSZ);
    if (!bytes.empty()) std::memcpy(VARDATA(result), bytes.data(), bytes.size());
    return result;
}

std::pair<const void *, std::size_t> bytea_arg(FunctionCallInfo fcinfo, int argno) {
    bytea *value = pg_call([&] { return PG_GETARG_BYTEA_PP(argno); });
    return {VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value)};
}

} // namespace dmine::pg
