// Real (non-internal) aggregate state types over the C++ states of agg_state.hpp.
//
// A state type is a varlena type whose bytes are the state's serialize() output sealed as a
// model (magic, version, size, checksum). In memory a state is a PostgreSQL expanded object:
// the C++ state itself, in its own small memory context under the aggregate context, updated in
// place row after row exactly like an `internal` state. PostgreSQL and Citus flatten it to the
// bytes only when they need them (parallel workers' results, text output for Citus, storing a
// summary in a table). So one aggregate definition works on one node, in parallel query (no
// SERIALFUNC/DESERIALFUNC) and on Citus (worker_partial_agg / coord_combine_agg).
//
// Recipe for a state struct T (with merge, serialize, static deserialize, copy constructor):
//   1. give T `static constexpr StateType kType{"sql_type_name", magic, version};`
//   2. DMINE_STATE_TYPE(sql_type_name, T) defines sql_type_name_in/_out/_recv/_send/_combine;
//   3. the transition function: `auto state = update_state<T>(fcinfo, make); ...;
//      return state.datum();` and the final function: `StateView<T> state(fcinfo, 0);`.
#pragma once

#include "agg_state.hpp"
#include "core/model_format.hpp"

extern "C" {
#include "utils/expandeddatum.h"
}

#include <cstring>
#include <string>

namespace dmine::pg {

// The identity of a state type: SQL name (messages), magic number and version of its bytes.
struct StateType {
    const char *name;
    std::uint32_t magic;
    std::uint16_t version;
};

// The context under which a new state's own context goes: the aggregate context inside an
// aggregate (PostgreSQL and Citus then keep the expanded object as is), else the current one.
MemoryContext state_parent_context(FunctionCallInfo fcinfo);

// A new small memory context for one state, child of `parent`.
MemoryContext new_state_context(MemoryContext parent);

// The flat bytes (after the varlena header) of a non-expanded state datum, detoasted.
std::pair<const std::uint8_t *, std::size_t> flat_bytes(Datum datum);

// Text form of sealed bytes (base64) and back (22P02 on malformed text).
Datum state_text_out(const std::uint8_t *data, std::size_t size);
std::vector<std::uint8_t> state_text_in(const char *text);

// A varlena holding `size` bytes, in the current memory context.
Datum make_varlena(const std::uint8_t *data, std::size_t size);

// The in-memory form; the header must come first.
template <typename T> struct ExpandedState {
    ExpandedObjectHeader header;
    T *state;
    std::uint8_t *flat; // sealed bytes cached between get_flat_size and flatten_into
    std::size_t flat_size;

    void forget_flat() noexcept {
        if (flat) pfree(flat);
        flat = nullptr;
    }
};

// The sealed bytes of a state (written once, with the fast checksum: states reach megabytes).
template <typename T> std::vector<std::uint8_t> seal_state(T &state) {
    ByteWriter out;
    begin_envelope(out);
    state.serialize(out);
    return finish_envelope(out, T::kType.magic, T::kType.version, Checksum::Fletcher64);
}

// A state read back from sealed bytes; every check fails as `kind` (22P02 text, 22P03 binary).
template <typename T> T open_state(const void *data, std::size_t size, ErrorKind kind) {
    try {
        auto opened = open_model(data, size, T::kType.magic, T::kType.version, T::kType.name);
        T state = T::deserialize(opened.payload);
        opened.payload.expect_end();
        return state;
    } catch (const Error &e) {
        if (e.kind() != ErrorKind::Corrupted || kind == ErrorKind::Corrupted) throw;
        fail(kind, e.what(), e.detail(), e.hint());
    }
}

template <typename T> struct StateMethods {
    static void fill_flat(void *arg) {
        auto *e = static_cast<ExpandedState<T> *>(arg);
        StateMemoryScope scope(e->header.eoh_context);
        auto bytes = seal_state(*e->state);
        e->flat = static_cast<std::uint8_t *>(context_alloc(e->header.eoh_context, bytes.size()));
        std::memcpy(e->flat, bytes.data(), bytes.size());
        e->flat_size = bytes.size();
    }
    static Size get_flat_size(ExpandedObjectHeader *eoh) {
        auto *e = reinterpret_cast<ExpandedState<T> *>(eoh);
        if (!e->flat) run_guarded(T::kType.name, &fill_flat, e);
        return VARHDRSZ + e->flat_size;
    }
    static void flatten_into(ExpandedObjectHeader *eoh, void *result, Size allocated_size) {
        auto *e = reinterpret_cast<ExpandedState<T> *>(eoh);
        if (!e->flat) get_flat_size(eoh);
        SET_VARSIZE(result, VARHDRSZ + e->flat_size);
        std::memcpy(VARDATA(result), e->flat, e->flat_size);
    }
    static constexpr ExpandedObjectMethods methods{&get_flat_size, &flatten_into};
};

// Our expanded object behind `datum`, or null when the datum is flat.
template <typename T> ExpandedState<T> *expanded_or_null(Datum datum) {
    const auto *pointer = DatumGetPointer(datum);
    if (!VARATT_IS_EXTERNAL_EXPANDED(pointer)) return nullptr;
    varatt_expanded ref; // DatumGetEOHP's body, inline: this runs for every row
    std::memcpy(&ref, VARDATA_EXTERNAL(pointer), sizeof ref);
    ExpandedObjectHeader *eoh = ref.eohptr;
    if (eoh->eoh_methods != &StateMethods<T>::methods)
        fail(ErrorKind::Internal, std::string("not a ") + T::kType.name + " value");
    return reinterpret_cast<ExpandedState<T> *>(eoh);
}

// A new expanded state under `parent` holding make()'s state.
template <typename T, typename Make>
ExpandedState<T> *new_expanded(MemoryContext parent, Make &&make) {
    MemoryContext context = new_state_context(parent);
    try {
        auto *e = static_cast<ExpandedState<T> *>(context_alloc(context, sizeof(ExpandedState<T>)));
        EOH_init_header(&e->header, &StateMethods<T>::methods, context);
        e->state = nullptr;
        e->flat = nullptr;
        e->flat_size = 0;
        StateMemoryScope scope(context);
        e->state = make_owned<T>(context, make());
        return e;
    } catch (...) {
        MemoryContextDelete(context);
        throw;
    }
}

// A writable state: argument `argno` updated in place when it is our read-write expanded
// object, else a new one (from make() when NULL, from a copy of the value otherwise). The state's
// containers grow in its own context while this object lives.
template <typename T> class StateUpdate {
public:
    explicit StateUpdate(ExpandedState<T> *e) : e_(e), scope_(e->header.eoh_context) {}
    T *operator->() const noexcept { return e_->state; }
    T &operator*() const noexcept { return *e_->state; }
    Datum datum() const noexcept { return EOHPGetRWDatum(&e_->header); }

private:
    ExpandedState<T> *e_;
    StateMemoryScope scope_;
};

template <typename T, typename Make>
ExpandedState<T> *writable_state(FunctionCallInfo fcinfo, int argno, Make &&make) {
    if (PG_ARGISNULL(argno)) return new_expanded<T>(state_parent_context(fcinfo), make);
    Datum datum = PG_GETARG_DATUM(argno);
    if (auto *e = expanded_or_null<T>(datum)) {
        if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(datum))) {
            e->forget_flat();
            return e;
        }
        const T &source = *e->state;
        return new_expanded<T>(state_parent_context(fcinfo), [&] { return T(source); });
    }
    const auto bytes = flat_bytes(datum);
    return new_expanded<T>(state_parent_context(fcinfo), [&] {
        return open_state<T>(bytes.first, bytes.second, ErrorKind::Corrupted);
    });
}

template <typename T, typename Make>
StateUpdate<T> update_state(FunctionCallInfo fcinfo, Make &&make) {
    return StateUpdate<T>(writable_state<T>(fcinfo, 0, make));
}

// A read-only view of the state in argument `argno` (expanded, or read from its bytes).
template <typename T> class StateView {
public:
    StateView(FunctionCallInfo fcinfo, int argno) {
        if (PG_ARGISNULL(argno)) return;
        Datum datum = PG_GETARG_DATUM(argno);
        if (auto *e = expanded_or_null<T>(datum)) {
            state_ = e->state;
            return;
        }
        auto [data, size] = flat_bytes(datum);
        MemoryContext context = CurrentMemoryContext;
        StateMemoryScope scope(context);
        state_ = make_owned<T>(context, open_state<T>(data, size, ErrorKind::Corrupted));
    }
    explicit operator bool() const noexcept { return state_ != nullptr; }
    T *get() const noexcept { return state_; }
    T *operator->() const noexcept { return state_; }
    T &operator*() const noexcept { return *state_; }

private:
    T *state_ = nullptr;
};

// For writable_state on an argument known not to be NULL.
template <typename T> T no_new_state() {
    fail(ErrorKind::Internal, "unexpected NULL state");
}

// combine(a, b): b merged into a (a updated in place when it is ours).
template <typename T> Datum combine_expanded(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1)) {
        if (PG_ARGISNULL(0)) PG_RETURN_NULL();
        if (auto *e = expanded_or_null<T>(PG_GETARG_DATUM(0))) return EOHPGetRWDatum(&e->header);
        return PG_GETARG_DATUM(0);
    }
    if (PG_ARGISNULL(0)) {
        auto *e = writable_state<T>(fcinfo, 1, no_new_state<T>);
        return EOHPGetRWDatum(&e->header);
    }
    StateView<T> b(fcinfo, 1);
    StateUpdate<T> a(writable_state<T>(fcinfo, 0, no_new_state<T>));
    a->merge(*b);
    return a.datum();
}

// The bytes of a state datum: flattened from the expanded form, or as stored.
template <typename T> std::vector<std::uint8_t> state_bytes(Datum datum) {
    if (auto *e = expanded_or_null<T>(datum)) {
        StateMemoryScope scope(e->header.eoh_context);
        return seal_state(*e->state);
    }
    auto [data, size] = flat_bytes(datum);
    return std::vector<std::uint8_t>(data, data + size);
}

template <typename T> Datum state_in(FunctionCallInfo fcinfo) {
    auto bytes = state_text_in(PG_GETARG_CSTRING(0));
    open_state<T>(bytes.data(), bytes.size(), ErrorKind::InvalidText);
    return make_varlena(bytes.data(), bytes.size());
}

template <typename T> Datum state_out(FunctionCallInfo fcinfo) {
    auto bytes = state_bytes<T>(PG_GETARG_DATUM(0));
    return state_text_out(bytes.data(), bytes.size());
}

template <typename T> Datum state_recv(FunctionCallInfo fcinfo) {
    auto *buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    const auto *data = reinterpret_cast<const std::uint8_t *>(buf->data + buf->cursor);
    std::size_t size = static_cast<std::size_t>(buf->len - buf->cursor);
    open_state<T>(data, size, ErrorKind::Corrupted);
    buf->cursor = buf->len;
    return make_varlena(data, size);
}

template <typename T> Datum state_send(FunctionCallInfo fcinfo) {
    auto bytes = state_bytes<T>(PG_GETARG_DATUM(0));
    return make_varlena(bytes.data(), bytes.size()); // a bytea
}

} // namespace dmine::pg

// The input, output, receive, send and combine functions of state type `name` over struct T.
#define DMINE_STATE_TYPE(name, T)                                                                  \
    DMINE_FUNCTION(name##_in) {                                                                    \
        return dmine::pg::state_in<T>(fcinfo);                                                     \
    }                                                                                              \
    DMINE_FUNCTION(name##_out) {                                                                   \
        return dmine::pg::state_out<T>(fcinfo);                                                    \
    }                                                                                              \
    DMINE_FUNCTION(name##_recv) {                                                                  \
        return dmine::pg::state_recv<T>(fcinfo);                                                   \
    }                                                                                              \
    DMINE_FUNCTION(name##_send) {                                                                  \
        return dmine::pg::state_send<T>(fcinfo);                                                   \
    }                                                                                              \
    DMINE_FUNCTION(name##_combine) {                                                               \
        return dmine::pg::combine_expanded<T>(fcinfo);                                             \
    }
