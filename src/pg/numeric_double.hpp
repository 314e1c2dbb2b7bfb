// numeric -> double from the digits (no text round trip), as numeric::float8 rounds it.
#pragma once

#include "postgres.hpp"

namespace dmine::pg {

// The double nearest to a numeric value: exact decoding when the value has at most 16
// significant digits in a short enough range (one correctly rounded operation, as strtod
// gives), else PostgreSQL's own conversion. NaN gives NaN, beyond the double range ±Infinity.
// May ereport (the slow path): call it inside pg_call.
double numeric_to_double(Datum value);

} // namespace dmine::pg
