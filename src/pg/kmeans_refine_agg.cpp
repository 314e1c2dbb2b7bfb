// dm_kmeans_refine(model, features): one exact Lloyd pass over every row, combinable.
#include "agg_state.hpp"
#include "arrays.hpp"
#include "expanded_state.hpp"
#include "kmeans/kmeans_refine.hpp"
#include "model_cache.hpp"

#include <algorithm>
#include <cstring>

namespace {

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::kmeans;

// The accumulator and the identity of the model it was started with.
struct RefineAggState {
    static constexpr StateType kType{"kmeans_refine_summary", 0x524b4d44, 1}; // "DMKR"
    RefineState refine;
    StateVector<std::uint8_t> identity; // not serialized: only checks rows of one backend

    void merge(const RefineAggState &other) { refine.merge(other.refine); }
    void serialize(ByteWriter &out) const { refine.serialize(out); }
    static RefineAggState deserialize(ByteReader &in) {
        return RefineAggState{RefineState::deserialize(in), {}};
    }
};

RefineAggState new_state(FunctionCallInfo fcinfo) {
    auto [data, size] = model_bytes(fcinfo, 1);
    const auto *p = static_cast<const std::uint8_t *>(data);
    StateVector<std::uint8_t> bytes(p, p + size);
    Model model = Model::decode(data, size);
    const auto identity = model_identity(fcinfo, 1);
    return RefineAggState{RefineState(std::move(model), std::move(bytes)),
                          StateVector<std::uint8_t>(identity.begin(), identity.end())};
}

// Every row must carry the model the pass started with.
void check_same_model(RefineAggState &state, FunctionCallInfo fcinfo) {
    const auto identity = model_identity(fcinfo, 1);
    if (std::equal(identity.begin(), identity.end(), state.identity.begin(), state.identity.end()))
        return;
    auto [data, size] = model_bytes(fcinfo, 1);
    const auto &bytes = state.refine.model_bytes();
    if (size != bytes.size() || std::memcmp(data, bytes.data(), size) != 0)
        fail(ErrorKind::InvalidParameter, "dm_kmeans_refine needs the same model on every row", {},
             "Refine one model at a time, for example with a scalar subquery for the model.");
    state.identity.assign(identity.begin(), identity.end());
}

void add_row(RefineAggState &state, FunctionCallInfo fcinfo) {
    check_same_model(state, fcinfo);
    if (PG_ARGISNULL(2)) {
        state.refine.add_null();
        return;
    }
    auto x = float8_array_arg(fcinfo, 2, "feature array");
    state.refine.add(x.data, x.size);
}

Datum refined_model(FunctionCallInfo fcinfo, const RefineAggState *state) {
    if (!state || state->refine.rows() == 0) PG_RETURN_NULL();
    PG_RETURN_POINTER(make_bytea(state->refine.finish().encode()));
}

} // namespace

// 0.1.0 entry points (internal state).
DMINE_FUNCTION(dm_kmeans_refine_accum) {
    if (PG_ARGISNULL(1)) fail(ErrorKind::NullValue, "the model must not be NULL");
    auto *state = state_arg<RefineAggState>(fcinfo, [&] { return new_state(fcinfo); });
    add_row(*state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_kmeans_refine_combine) {
    return combine_states<RefineAggState>(fcinfo);
}
DMINE_FUNCTION(dm_kmeans_refine_serialize) {
    return serialize_state<RefineAggState>(fcinfo);
}
DMINE_FUNCTION(dm_kmeans_refine_deserialize) {
    return deserialize_state<RefineAggState>(fcinfo);
}

// The refined model; NULL when no non-NULL row was seen.
DMINE_FUNCTION(dm_kmeans_refine_final) {
    return refined_model(fcinfo, state_or_null<RefineAggState>(fcinfo, 0));
}

// The kmeans_refine_summary type: the model and the per-cluster sums of one Lloyd pass.
DMINE_STATE_TYPE(kmeans_refine_summary, RefineAggState)

DMINE_FUNCTION(kmeans_refine_summary_add) {
    if (PG_ARGISNULL(1)) fail(ErrorKind::NullValue, "the model must not be NULL");
    auto state = update_state<RefineAggState>(fcinfo, [&] { return new_state(fcinfo); });
    add_row(*state, fcinfo);
    return state.datum();
}

DMINE_FUNCTION(kmeans_refine_summary_final) {
    StateView<RefineAggState> state(fcinfo, 0);
    return refined_model(fcinfo, state.get());
}
