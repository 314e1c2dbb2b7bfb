// Using an Isolation Forest row by row: scores, anomaly flags, explanations, JSON summary.
#include "agg_state.hpp"
#include "arrays.hpp"
#include "iforest/iforest_explain.hpp"
#include "iforest/iforest_model.hpp"
#include "iforest/iforest_sample.hpp"
#include "model_cache.hpp"

extern "C" {
#include "utils/jsonb.h"
#include "utils/tuplestore.h"
}

#include <string>

using namespace dmine;
using namespace dmine::pg;
using dmine::iforest::Forest;

namespace {

// The model in argument 0, decoded once per query, and the feature row in argument 1 checked
// against it.
struct ModelRow {
    const Forest &forest;
    const double *x;
};

ModelRow model_row(FunctionCallInfo fcinfo) {
    const Forest &forest = cached_model<Forest>(fcinfo, 0);
    auto x = float8_array_arg(fcinfo, 1, "feature array");
    forest.check_dim(x.size);
    iforest::check_finite(x.data, x.size);
    return {forest, x.data};
}

// Feature names from a text[] argument: one per feature, NULL elements allowed.
struct Names {
    Datum *values = nullptr;
    bool *nulls = nullptr;
};

Names names_arg(FunctionCallInfo fcinfo, int argno, int dim) {
    Names names;
    if (PG_NARGS() <= argno || PG_ARGISNULL(argno)) return names;
    ArrayType *array = pg_call([&] { return PG_GETARG_ARRAYTYPE_P(argno); });
    int count = ARR_NDIM(array) == 0 ? 0 : ARR_DIMS(array)[0];
    if (ARR_NDIM(array) > 1 || count != dim)
        fail(ErrorKind::DimensionMismatch,
             "feature names must be a one-dimensional text[] of " + std::to_string(dim) + " names",
             "Got " + std::to_string(ARR_NDIM(array) > 1 ? -1 : count) + " names.");
    pg_call([&] {
        int n;
        deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &names.values, &names.nulls, &n);
    });
    return names;
}

} // namespace

// s(x) = 2^(-E[h(x)] / c(ψ)) in (0, 1].
DMINE_FUNCTION(dm_iforest_score) {
    auto row = model_row(fcinfo);
    PG_RETURN_FLOAT8(row.forest.score(row.x));
}

// Whether the score exceeds the model's threshold (0.5 with contamination 'auto').
DMINE_FUNCTION(dm_iforest_is_anomaly) {
    auto row = model_row(fcinfo);
    PG_RETURN_BOOL(row.forest.is_anomaly(row.x));
}

// Each feature's isolation bits, in feature order.
DMINE_FUNCTION(dm_iforest_contributions) {
    auto row = model_row(fcinfo);
    auto explanation = iforest::explain(row.forest, row.x);
    std::vector<double> bits(row.forest.dim());
    for (const auto &c : explanation.features) bits[c.feature] = c.contribution;
    PG_RETURN_ARRAYTYPE_P(make_float8_array(bits.data(), static_cast<int>(bits.size())));
}

// One row per feature, most important first: rank, feature (1-based), name, contribution, share.
DMINE_FUNCTION(dm_iforest_explain) {
    auto row = model_row(fcinfo);
    Names names = names_arg(fcinfo, 2, row.forest.dim());
    auto explanation = iforest::explain(row.forest, row.x);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    int rank = 0;
    for (const auto &c : explanation.features) {
        Datum values[5];
        bool nulls[5] = {false, false, false, false, false};
        values[0] = Int32GetDatum(++rank);
        values[1] = Int32GetDatum(c.feature + 1);
        nulls[2] = names.values == nullptr || names.nulls[c.feature];
        values[2] = nulls[2] ? Datum(0) : names.values[c.feature];
        values[3] = Float8GetDatum(c.contribution);
        values[4] = Float8GetDatum(c.share);
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    }
    return static_cast<Datum>(0);
}

// A summary of the model as jsonb (the full model with its trees is model::text::jsonb).
DMINE_FUNCTION(dm_iforest_info) {
    auto [data, size] = model_bytes(fcinfo, 0);
    std::string json = Forest::decode(data, size).info_json();
    return pg_call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.c_str())); });
}
