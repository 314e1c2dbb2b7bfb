// The dmine.histogram row shared by the histogram aggregates.
#pragma once

#include "boundary.hpp"
#include "sketch/histogram.hpp"

namespace dmine::pg {

// (edges float8[], counts bigint[], below bigint, above bigint, exact boolean)
Datum make_histogram_row(FunctionCallInfo fcinfo, const Histogram &h);

} // namespace dmine::pg
