// Composite results.
#include "composite.hpp"

#include "core/errors.hpp"

extern "C" {
#include "access/htup_details.h"
}

namespace dmine::pg {

Datum make_composite(FunctionCallInfo fcinfo, Datum *values, bool *nulls) {
    return pg_call([&] {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "function returning a row called in a context that cannot accept it");
        desc = BlessTupleDesc(desc);
        return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
    });
}

} // namespace dmine::pg
