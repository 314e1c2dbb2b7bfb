// dm_decompose(y, period, first_position): seasonal decomposition of a regular series.
#include "arrays.hpp"
#include "composite.hpp"
#include "core/errors.hpp"
#include "trends/decompose.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace {

using namespace dmine;
using namespace dmine::pg;

// A one-dimensional float8[] whose NaN elements are NULL (undefined values read as NULL).
ArrayType *float8_array_with_nulls(const std::vector<double> &values) {
    int n = static_cast<int>(values.size());
    return pg_call([&] {
        Datum *datums = static_cast<Datum *>(palloc(sizeof(Datum) * (n > 0 ? n : 1)));
        bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * (n > 0 ? n : 1)));
        for (int i = 0; i < n; i++) {
            nulls[i] = std::isnan(values[i]);
            datums[i] = Float8GetDatum(nulls[i] ? 0.0 : values[i]);
        }
        int dims[1] = {n};
        int lbs[1] = {1};
        return construct_md_array(datums, nulls, n > 0 ? 1 : 0, dims, lbs, FLOAT8OID,
                                  sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
    });
}

} // namespace

// Row (trend float8[], seasonal_index float8[], strength float8, slope float8).
DMINE_FUNCTION(dm_decompose) {
    auto y = float8_array_arg(fcinfo, 0, "series");
    if (int bad = first_nonfinite(y))
        fail(ErrorKind::Data, "series value " + std::to_string(bad) + " is NaN or infinite");
    int period = PG_GETARG_INT32(1);
    int first = PG_GETARG_INT32(2);
    if (first < 1 || first > period)
        fail(ErrorKind::InvalidParameter, "first_position must be between 1 and the period (" +
                                              std::to_string(period) + "), got " +
                                              std::to_string(first));
    trends::Decomposition d =
        trends::decompose(std::vector<double>(y.data, y.data + y.size), period, first - 1);
    Datum values[4];
    bool nulls[4] = {};
    values[0] = PointerGetDatum(float8_array_with_nulls(d.trend));
    values[1] = PointerGetDatum(float8_array_with_nulls(d.seasonal));
    values[2] = float8_or_null(d.strength, nulls[2]);
    values[3] = float8_or_null(d.slope, nulls[3]);
    return make_composite(fcinfo, values, nulls);
}
