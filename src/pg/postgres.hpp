// PostgreSQL headers for C++ glue files: include this instead of postgres.h.
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/elog.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
}

// PostgreSQL's own macros that clash with the C++ standard library.
#undef snprintf
#undef vsnprintf
#undef printf
#undef sprintf
#undef fprintf
#undef vfprintf
