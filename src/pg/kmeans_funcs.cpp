// Using a K-Means model row by row: assignment, distances, centroids, JSON view.
#include "agg_state.hpp"
#include "arrays.hpp"
#include "kmeans/kmeans_model.hpp"
#include "model_cache.hpp"

extern "C" {
#include "utils/jsonb.h"
#include "utils/tuplestore.h"
}

#include <cmath>
#include <string>

using namespace dmine;
using namespace dmine::pg;
using dmine::kmeans::Model;

namespace {

const Model &model_arg(FunctionCallInfo fcinfo) {
    return cached_model<Model>(fcinfo, 0);
}

} // namespace

// Cluster (1..k) of the nearest centroid.
DMINE_FUNCTION(dm_kmeans_assign) {
    const Model &model = model_arg(fcinfo);
    auto x = float8_array_arg(fcinfo, 1, "feature array");
    PG_RETURN_INT32(model.nearest(x.data, x.size).first + 1);
}

// Distance to the nearest centroid, or to centroid `cluster` (1..k) when given.
DMINE_FUNCTION(dm_kmeans_distance) {
    const Model &model = model_arg(fcinfo);
    auto x = float8_array_arg(fcinfo, 1, "feature array");
    if (PG_NARGS() > 2) PG_RETURN_FLOAT8(model.distance(x.data, x.size, PG_GETARG_INT32(2) - 1));
    PG_RETURN_FLOAT8(model.nearest(x.data, x.size).second);
}

// One row per cluster: cluster, size, sse, centroid (original units).
DMINE_FUNCTION(dm_kmeans_centroids) {
    auto [data, size] = model_bytes(fcinfo, 0);
    Model model = Model::decode(data, size);
    pg_call([&] { InitMaterializedSRF(fcinfo, 0); });
    auto *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    for (int c = 0; c < model.k; c++) {
        Datum values[4];
        bool nulls[4] = {false, false, false, false};
        values[0] = Int32GetDatum(c + 1);
        values[1] = Int64GetDatum(static_cast<int64>(std::llround(model.sizes[c])));
        values[2] = Float8GetDatum(model.sse[c]);
        values[3] = PointerGetDatum(
            make_float8_array(model.centroids.data() + std::size_t(c) * model.dim, model.dim));
        pg_call([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
    }
    return static_cast<Datum>(0);
}

// The model's text form as jsonb.
DMINE_FUNCTION(dm_kmeans_info) {
    auto [data, size] = model_bytes(fcinfo, 0);
    std::string json = Model::decode(data, size).to_json();
    return pg_call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.c_str())); });
}
