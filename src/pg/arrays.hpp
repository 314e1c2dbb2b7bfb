// float8[] arguments and results: validated views and constructors.
#pragma once

#include "boundary.hpp"

#include <cstdint>
#include <vector>

namespace dmine::pg {

// A read-only view of a one-dimensional float8[] without NULL elements.
struct Float8Array {
    const double *data;
    int size;
};

// Argument `argno` as a float8 vector; errors on NULL elements or more than one dimension.
// `what` names the argument in messages. Does not check finiteness (callers decide).
Float8Array float8_array_arg(FunctionCallInfo fcinfo, int argno, const char *what);

// Position (1-based) of the first NaN or infinity, or 0 when every element is finite.
int first_nonfinite(const Float8Array &array);

// A new one-dimensional float8[].
ArrayType *make_float8_array(const double *values, int count);

// A new one-dimensional bigint[].
ArrayType *make_int64_array(const std::int64_t *values, int count);

// A new two-dimensional float8[rows][cols], row-major values; NaN elements become NULL.
ArrayType *make_float8_matrix(const double *values, int rows, int cols);

} // namespace dmine::pg
