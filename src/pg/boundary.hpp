// The C++/PostgreSQL error boundary, used by every SQL-callable function.
//
// PostgreSQL reports errors with longjmp, which must never cross live C++ objects, and C++
// exceptions must never unwind into PostgreSQL. So:
//  - DMINE_FUNCTION(name) defines a thin extern "C" entry point that runs the C++ body inside
//    `try`, maps exceptions to SQLSTATEs, and raises the PostgreSQL error after the catch;
//  - pg_call(f) runs a PostgreSQL call that may ereport under PG_TRY and turns its error into
//    a C++ exception (PgError), rethrown as the original error at the boundary.
#pragma once

#include "postgres.hpp"

#include <exception>
#include <type_traits>
#include <utility>

namespace dmine::pg {

// A PostgreSQL error caught by pg_call, carried through C++ frames.
class PgError : public std::exception {
public:
    explicit PgError(ErrorData *data) : data_(data) {}
    ErrorData *data() const noexcept { return data_; }
    const char *what() const noexcept override {
        return data_ && data_->message ? data_->message : "PostgreSQL error";
    }

private:
    ErrorData *data_;
};

using FunctionBody = Datum (*)(FunctionCallInfo);

// Run body(fcinfo); on any exception, raise the matching PostgreSQL error. Never returns on error.
Datum call_guarded(const char *function_name, FunctionBody body, FunctionCallInfo fcinfo) noexcept;

// Run fn(arg) for PostgreSQL callbacks that are no SQL function (expanded-object methods):
// exceptions become PostgreSQL errors as in call_guarded.
void run_guarded(const char *what, void (*fn)(void *), void *arg) noexcept;

[[noreturn]] void throw_pg_error(MemoryContext context);

// Run fn(arg) under PG_TRY; false when it raised a PostgreSQL error (then call throw_pg_error).
bool run_pg_try(void (*fn)(void *), void *arg) noexcept;

// Run f(), a call into PostgreSQL that may ereport. f must hold no C++ object with a destructor.
template <typename F> auto pg_call(F &&f) -> decltype(f()) {
    using Result = decltype(f());
    MemoryContext context = CurrentMemoryContext;
    if constexpr (std::is_void_v<Result>) {
        auto thunk = [](void *p) { (*static_cast<F *>(p))(); };
        if (!run_pg_try(thunk, &f)) throw_pg_error(context);
    } else {
        static_assert(std::is_trivially_copyable_v<Result>, "pg_call returns plain values");
        struct Call {
            F *f;
            Result result;
        } call{&f, Result{}};
        auto thunk = [](void *p) {
            auto *c = static_cast<Call *>(p);
            c->result = (*c->f)();
        };
        if (!run_pg_try(thunk, &call)) throw_pg_error(context);
        return call.result;
    }
}

// Install the interrupt hook for the kernels (called from _PG_init).
void install_interrupt_hook();

} // namespace dmine::pg

// Define SQL-callable function `name` whose C++ body follows as a block using `fcinfo`.
#define DMINE_FUNCTION(name)                                                                       \
    static Datum name##_body(FunctionCallInfo fcinfo);                                             \
    extern "C" {                                                                                   \
    PG_FUNCTION_INFO_V1(name);                                                                     \
    Datum name(PG_FUNCTION_ARGS) {                                                                 \
        return dmine::pg::call_guarded(#name, name##_body, fcinfo);                                \
    }                                                                                              \
    }                                                                                              \
    static Datum name##_body(FunctionCallInfo fcinfo)
