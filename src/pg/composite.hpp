// Composite (row) results of SQL functions.
#pragma once

#include "boundary.hpp"

#include <cmath>

namespace dmine::pg {

// A row of the function's declared composite result type built from `values` and `nulls`.
Datum make_composite(FunctionCallInfo fcinfo, Datum *values, bool *nulls);

// A float8 Datum, NULL (via `null`) when the value is NaN: undefined figures read as NULL.
inline Datum float8_or_null(double value, bool &null) {
    null = std::isnan(value);
    return Float8GetDatum(null ? 0.0 : value);
}

} // namespace dmine::pg
