// float8[] arguments and results.
#include "arrays.hpp"

#include "core/errors.hpp"

#include <cmath>
#include <string>

namespace dmine::pg {

Float8Array float8_array_arg(FunctionCallInfo fcinfo, int argno, const char *what) {
    ArrayType *array = pg_call([&] { return PG_GETARG_ARRAYTYPE_P(argno); });
    if (ARR_ELEMTYPE(array) != FLOAT8OID)
        fail(ErrorKind::InvalidParameter, std::string(what) + " must be a float8[] array");
    if (ARR_NDIM(array) > 1)
        fail(ErrorKind::DimensionMismatch, std::string(what) + " must be a one-dimensional array",
             "Got an array of " + std::to_string(ARR_NDIM(array)) + " dimensions.");
    int count = ARR_NDIM(array) == 0 ? 0 : ARR_DIMS(array)[0];
    if (ARR_HASNULL(array)) {
        const bits8 *bitmap = ARR_NULLBITMAP(array);
        for (int i = 0; i < count; i++)
            if (!(bitmap[i / 8] & (1 << (i % 8))))
                fail(ErrorKind::NullValue,
                     std::string(what) + " has a NULL element at position " + std::to_string(i + 1),
                     {}, "Replace NULLs, for example with coalesce(), or filter the row out.");
    }
    return {reinterpret_cast<const double *>(ARR_DATA_PTR(array)), count};
}

int first_nonfinite(const Float8Array &array) {
    for (int i = 0; i < array.size; i++)
        if (!std::isfinite(array.data[i])) return i + 1;
    return 0;
}

ArrayType *make_float8_array(const double *values, int count) {
    return pg_call([&] {
        Datum *datums = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
        for (int i = 0; i < count; i++) datums[i] = Float8GetDatum(values[i]);
        return construct_array(datums, count, FLOAT8OID, sizeof(double), FLOAT8PASSBYVAL,
                               TYPALIGN_DOUBLE);
    });
}

ArrayType *make_int64_array(const std::int64_t *values, int count) {
    return pg_call([&] {
        Datum *datums = static_cast<Datum *>(palloc(sizeof(Datum) * (count > 0 ? count : 1)));
        for (int i = 0; i < count; i++) datums[i] = Int64GetDatum(values[i]);
        return construct_array(datums, count, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
                               TYPALIGN_DOUBLE);
    });
}

ArrayType *make_float8_matrix(const double *values, int rows, int cols) {
    return pg_call([&] {
        int n = rows * cols;
        Datum *datums = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
        bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * (n > 0 ? n : 1)));
        for (int i = 0; i < n; i++) {
            nulls[i] = std::isnan(values[i]);
            datums[i] = Float8GetDatum(nulls[i] ? 0.0 : values[i]);
        }
        int dims[2] = {rows, cols};
        int lbs[2] = {1, 1};
        return construct_md_array(datums, nulls, 2, dims, lbs, FLOAT8OID, sizeof(double),
                                  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
    });
}

} // namespace dmine::pg
