// Helpers of the PL/pgSQL pipeline that PL/pgSQL cannot write: whether the running procedure
// may COMMIT, an error raised without the PL/pgSQL context lines of the frames below it, and the
// freed heap handed back to the system between steps.
#include "boundary.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/spi.h"
}

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace {

using namespace dmine::pg;

// The text argument i as a palloc'd C string, or "" when NULL.
char *text_arg_or_empty(FunctionCallInfo fcinfo, int i) {
    return pg_call(
        [&] { return PG_ARGISNULL(i) ? pstrdup("") : text_to_cstring(PG_GETARG_TEXT_PP(i)); });
}

// A SQLSTATE given as text (5 digits or upper-case letters, not of class 00 "success"), else
// P0001 (raise_exception).
int sqlstate_code(const char *s) {
    int n = 0;
    for (; s[n] != '\0'; n++)
        if (n >= 5 || !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'A' && s[n] <= 'Z')))
            return ERRCODE_RAISE_EXCEPTION;
    if (n != 5 || (s[0] == '0' && s[1] == '0')) return ERRCODE_RAISE_EXCEPTION;
    return MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
}

} // namespace

// Whether the procedure calling this (run_mining) runs in a non-atomic context, outside any
// subtransaction: then its COMMIT works. CALL inside BEGIN ... COMMIT, in a driver's
// non-autocommit mode, from a function or in a multi-statement query is atomic.
DMINE_FUNCTION(dm_run_can_commit) {
    bool can = pg_call([] { return SPI_inside_nonatomic_context() && !IsSubTransaction(); });
    PG_RETURN_BOOL(can);
}

// Raises an ERROR with the given message, SQLSTATE, detail and hint (empty or NULL: none), and
// no context: the pipeline's errors read as one message, not as a trace of its PL/pgSQL frames.
DMINE_FUNCTION(dm_run_raise) {
    char *message = text_arg_or_empty(fcinfo, 0);
    char *state = text_arg_or_empty(fcinfo, 1);
    char *detail = text_arg_or_empty(fcinfo, 2);
    char *hint = text_arg_or_empty(fcinfo, 3);
    int code = sqlstate_code(state);
    pg_call([&] {
        // Restored by the PG_CATCH of pg_call and of every exception handler above.
        error_context_stack = nullptr;
        ereport(ERROR,
                (errcode(code), errmsg_internal("%s", message[0] ? message : "mining run failed"),
                 detail[0] ? errdetail_internal("%s", detail) : 0,
                 hint[0] ? errhint("%s", hint) : 0));
    });
    PG_RETURN_VOID();
}

// Hands the heap a step freed back to the system (glibc keeps freed memory for reuse): a run's
// backend does not hold the largest step's memory through the next steps, nor after the run.
DMINE_FUNCTION(dm_run_release_memory) {
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    PG_RETURN_VOID();
}
