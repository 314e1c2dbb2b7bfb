// The error boundary: exceptions become PostgreSQL errors after the C++ frames are gone.
#include "boundary.hpp"

#include "core/errors.hpp"
#include "core/interrupt.hpp"
#include "state_memory.hpp"

#include <cstdio>
#include <cstring>
#include <new>

extern "C" {
PG_MODULE_MAGIC;
void _PG_init(void);
}

void _PG_init(void) {
    dmine::pg::install_interrupt_hook();
    dmine::pg::install_state_memory();
}

namespace dmine::pg {
namespace {

// A plain record of the error to raise: filled inside catch blocks, raised after them. It is
// static so that the success path pays nothing for it (a backend runs one function at a time).
struct PendingError {
    int sqlstate;
    ErrorData *pg_error;
    bool interrupted;
    char message[1024];
    char detail[1024];
    char hint[512];
};
PendingError pending;

PendingError &reset_pending() {
    pending.sqlstate = 0;
    pending.pg_error = nullptr;
    pending.interrupted = false;
    pending.message[0] = pending.detail[0] = pending.hint[0] = '\0';
    return pending;
}

int sqlstate_of(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::InvalidParameter:
        return ERRCODE_INVALID_PARAMETER_VALUE;
    case ErrorKind::NullValue:
        return ERRCODE_NULL_VALUE_NOT_ALLOWED;
    case ErrorKind::DimensionMismatch:
        return ERRCODE_ARRAY_SUBSCRIPT_ERROR;
    case ErrorKind::Data:
        return ERRCODE_DATA_EXCEPTION;
    case ErrorKind::InvalidText:
        return ERRCODE_INVALID_TEXT_REPRESENTATION;
    case ErrorKind::Corrupted:
        return ERRCODE_INVALID_BINARY_REPRESENTATION;
    case ErrorKind::OutOfRange:
        return ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
    case ErrorKind::Internal:
        return ERRCODE_INTERNAL_ERROR;
    }
    return ERRCODE_INTERNAL_ERROR;
}

void copy_text(char *dst, std::size_t size, const char *src) {
    std::snprintf(dst, size, "%s", src ? src : "");
}

[[noreturn]] void raise(const char *function_name, PendingError &e) {
    if (e.pg_error) ReThrowError(e.pg_error);
    if (e.interrupted) {
        CHECK_FOR_INTERRUPTS();
        ereport(ERROR,
                (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling statement due to interrupt")));
    }
    ereport(ERROR,
            (errcode(e.sqlstate), errmsg("%s", e.message),
             e.detail[0] ? errdetail("%s", e.detail) : 0, e.hint[0] ? errhint("%s", e.hint) : 0,
             e.sqlstate == ERRCODE_INTERNAL_ERROR ? errcontext("dmine function %s", function_name)
                                                  : 0));
    pg_unreachable();
}

// Throw Interrupted when a cancel, statement timeout or termination is pending.
void throw_if_cancel_pending() {
    if (InterruptPending && (QueryCancelPending || ProcDiePending)) throw Interrupted();
}

} // namespace

[[noreturn]] void throw_pg_error(MemoryContext context) {
    MemoryContextSwitchTo(context);
    ErrorData *data = CopyErrorData();
    FlushErrorState();
    throw PgError(data);
}

bool run_pg_try(void (*fn)(void *), void *arg) noexcept {
    volatile bool ok = true;
    PG_TRY();
    { fn(arg); }
    PG_CATCH();
    { ok = false; }
    PG_END_TRY();
    return ok;
}

void install_interrupt_hook() {
    set_interrupt_hook(&throw_if_cancel_pending);
}

namespace {

// Record the exception being handled (call inside a catch block only).
void record_current_exception() noexcept {
    try {
        throw;
    } catch (const PgError &e) {
        reset_pending().pg_error = e.data();
    } catch (const Error &e) {
        reset_pending().sqlstate = sqlstate_of(e.kind());
        copy_text(pending.message, sizeof pending.message, e.what());
        copy_text(pending.detail, sizeof pending.detail, e.detail().c_str());
        copy_text(pending.hint, sizeof pending.hint, e.hint().c_str());
    } catch (const Interrupted &) {
        reset_pending().interrupted = true;
    } catch (const std::bad_alloc &) {
        reset_pending().sqlstate = ERRCODE_OUT_OF_MEMORY;
        copy_text(pending.message, sizeof pending.message, "out of memory");
    } catch (const std::exception &e) {
        reset_pending().sqlstate = ERRCODE_INTERNAL_ERROR;
        copy_text(pending.message, sizeof pending.message, e.what());
    } catch (...) {
        reset_pending().sqlstate = ERRCODE_INTERNAL_ERROR;
        copy_text(pending.message, sizeof pending.message, "unknown C++ exception");
    }
}

} // namespace

Datum call_guarded(const char *function_name, FunctionBody body, FunctionCallInfo fcinfo) noexcept {
    try {
        // Aggregate states allocate in the aggregate's context, where work_mem counts them.
        StateMemoryScope scope(call_state_context(fcinfo));
        return body(fcinfo);
    } catch (...) {
        record_current_exception();
    }
    raise(function_name, pending);
}

void run_guarded(const char *what, void (*fn)(void *), void *arg) noexcept {
    try {
        fn(arg);
        return;
    } catch (...) {
        record_current_exception();
    }
    raise(what, pending);
}

} // namespace dmine::pg
