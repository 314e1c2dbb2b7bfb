// Aggregate plumbing: C++ transition states owned by the aggregate's memory context.
#pragma once

#include "boundary.hpp"
#include "bytes.hpp"
#include "errors.hpp"

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

// Make a T owned by `context`: it lives exactly as long as the aggregate's state.
template <typename T, typename... Args> T *make_owned(MemoryContext context, Args &&...args) {
    auto object = std::make_unique<T>(std::forward<Args>(args)...);
    delete_on_reset(context, object.get(), [](void *p) { delete static_cast<T *>(p); });
    return object.release();
}

// The transition state in argument 0, or a new one made by `make` in the aggregate context.
template <typename T, typename Make> T *state_arg(FunctionCallInfo fcinfo, Make &&make) {
    if (!PG_ARGISNULL(0)) return reinterpret_cast<T *>(PG_GETARG_POINTER(0));
    MemoryContext context = aggregate_context(fcinfo);
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
        // The combined state must live in the aggregate context, so copy b there.
        a = make_owned<T>(aggregate_context(fcinfo), *b);
        PG_RETURN_POINTER(a);
    }
    a->merge(*b);
    PG_RETURN_POINTER(a);
}

// The standard serialize: T::serialize(ByteWriter&) (may fold buffered input first).
template <typename T> Datum serialize_state(FunctionCallInfo fcinfo) {
    T *state = reinterpret_cast<T *>(PG_GETARG_POINTER(0));
    ByteWriter out;
    state->serialize(out);
    PG_RETURN_BYTEA_P(make_bytea(out.bytes()));
}

// The standard deserialize: T::deserialize(ByteReader&) returning a T.
template <typename T> Datum deserialize_state(FunctionCallInfo fcinfo) {
    auto [data, size] = bytea_arg(fcinfo, 0);
    ByteReader in(data, size);
    T *state = make_owned<T>(aggregate_context(fcinfo), T::deserialize(in));
    in.expect_end();
    PG_RETURN_POINTER(state);
}

} // namespace dmine::pg
