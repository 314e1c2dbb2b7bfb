// Aggregate plumbing: C++ transition states living in the aggregate's memory context.
//
// A state object and, through StateAllocator, its containers' buffers are palloc'd in the
// aggregate context (see state_memory.hpp), so PostgreSQL's hash aggregation counts them
// against work_mem and spills; a reset callback runs the destructor before the memory goes.
#pragma once

#include "boundary.hpp"
#include "core/bytes.hpp"
#include "core/errors.hpp"
#include "state_memory.hpp"

#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace dmine::pg {

// The aggregate memory context; an error when called outside an aggregate.
MemoryContext aggregate_context(FunctionCallInfo fcinfo);

// Register `object` to be deleted by `deleter` when `context` is reset or deleted.
void delete_on_reset(MemoryContext context, void *object, void (*deleter)(void *));

// palloc in `context`, std::bad_alloc on failure (never ereports).
void *context_alloc(MemoryContext context, std::size_t bytes);

// Make a T in `context`, destroyed when the context is reset or deleted; its containers
// allocate in `context` too. One chunk holds the object, then its reset callback.
template <typename T, typename... Args> T *make_owned(MemoryContext context, Args &&...args) {
    static_assert(alignof(T) <= MAXIMUM_ALIGNOF, "over-aligned state");
    constexpr std::size_t callback_offset = MAXALIGN(sizeof(T));
    StateMemoryScope scope(context);
    void *chunk = context_alloc(context, callback_offset + sizeof(MemoryContextCallback));
    T *object;
    try {
        object = new (chunk) T(std::forward<Args>(args)...);
    } catch (...) {
        pfree(chunk);
        throw;
    }
    auto *callback =
        reinterpret_cast<MemoryContextCallback *>(static_cast<char *>(chunk) + callback_offset);
    callback->func = [](void *p) { static_cast<T *>(p)->~T(); };
    callback->arg = object;
    MemoryContextRegisterResetCallback(context, callback);
    return object;
}

// The transition state in argument 0, or a new one made by `make` in the aggregate context.
template <typename T, typename Make> T *state_arg(FunctionCallInfo fcinfo, Make &&make) {
    if (!PG_ARGISNULL(0)) return reinterpret_cast<T *>(PG_GETARG_POINTER(0));
    MemoryContext context = aggregate_context(fcinfo);
    StateMemoryScope scope(context); // what make() allocates moves into the state
    return make_owned<T>(context, make());
}

// The state in argument `argno`, or null.
template <typename T> T *state_or_null(FunctionCallInfo fcinfo, int argno) {
    if (PG_ARGISNULL(argno)) return nullptr;
    return reinterpret_cast<T *>(PG_GETARG_POINTER(argno));
}

// A new bytea in the current memory context holding `bytes`.
bytea *make_bytea(const std::vector<std::uint8_t> &bytes);

// The bytes of a bytea argument (detoasted).
std::pair<const void *, std::size_t> bytea_arg(FunctionCallInfo fcinfo, int argno);

// The standard combine for C++ states: merge `b` into `a`, taking `b` when `a` is empty.
// T needs merge(const T&) and a copy constructor.
template <typename T> Datum combine_states(FunctionCallInfo fcinfo) {
    T *a = state_or_null<T>(fcinfo, 0);
    T *b = state_or_null<T>(fcinfo, 1);
    if (!b) {
        if (!a) PG_RETURN_NULL();
        PG_RETURN_POINTER(a);
    }
    if (!a) {
        // b may live in per-input-tuple memory (deserialize): copy it to the aggregate context.
        a = make_owned<T>(aggregate_context(fcinfo), *b);
        PG_RETURN_POINTER(a);
    }
    a->merge(*b); // grows a in the aggregate context, the call's state context
    PG_RETURN_POINTER(a);
}

// The standard serialize: T::serialize(ByteWriter&) (may fold buffered input first).
template <typename T> Datum serialize_state(FunctionCallInfo fcinfo) {
    T *state = reinterpret_cast<T *>(PG_GETARG_POINTER(0));
    ByteWriter out;
    state->serialize(out);
    PG_RETURN_BYTEA_P(make_bytea(out.bytes()));
}

// The standard deserialize: T::deserialize(ByteReader&) returning a T. As PostgreSQL's own
// deserialize functions, it builds the state in the current (per-input-tuple) context: the
// combine function that follows merges it or copies it into the aggregate context.
template <typename T> Datum deserialize_state(FunctionCallInfo fcinfo) {
    auto [data, size] = bytea_arg(fcinfo, 0);
    MemoryContext context = CurrentMemoryContext;
    StateMemoryScope scope(context);
    ByteReader in(data, size);
    T *state = make_owned<T>(context, T::deserialize(in));
    in.expect_end();
    PG_RETURN_POINTER(state);
}

} // namespace dmine::pg
