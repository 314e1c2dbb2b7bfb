// dm_kmeans and dm_kmeans_auto: one scan into a bounded point sample, the fit in the final step.
#include "agg_state.hpp"
#include "arrays.hpp"
#include "expanded_state.hpp"
#include "kmeans/kmeans_options.hpp"
#include "kmeans/kmeans_sample.hpp"
#include "kmeans/kmeans_train.hpp"

#include <nlohmann/json.hpp>

extern "C" {
#include "access/parallel.h"
}

#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::kmeans;

// The points seen so far and the parameters read from the first row.
struct KmeansState {
    static constexpr StateType kType{"kmeans_summary", 0x4b534d44, 1}; // "DMSK"
    Options options;
    std::int32_t k_min = 0, k_max = 0; // equal for dm_kmeans
    bool auto_k = false;
    PointSample sample;

    void merge(const KmeansState &other) { sample.merge(other.sample); }
    void serialize(ByteWriter &out) const {
        out.put_string(options_to_json(options).dump());
        out.put(k_min);
        out.put(k_max);
        out.put<std::uint8_t>(auto_k);
        sample.serialize(out);
    }
    static KmeansState deserialize(ByteReader &in) {
        Options options = parse_options(in.get_string(), ErrorKind::Corrupted);
        auto k_min = in.get<std::int32_t>();
        auto k_max = in.get<std::int32_t>();
        bool auto_k = in.get<std::uint8_t>() != 0;
        const bool k_ok = auto_k ? (k_min >= 2 && k_max >= k_min) : (k_min >= 0 && k_max == k_min);
        if (!k_ok) fail(ErrorKind::Corrupted, "corrupted kmeans state: k out of range");
        return KmeansState{options, k_min, k_max, auto_k, PointSample::deserialize(in)};
    }
};

std::int32_t int_arg(FunctionCallInfo fcinfo, int argno, const char *name) {
    if (PG_ARGISNULL(argno)) fail(ErrorKind::NullValue, std::string(name) + " must not be NULL");
    return PG_GETARG_INT32(argno);
}

// Options from a jsonb argument (absent or NULL: the defaults).
Options options_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_NARGS() <= argno || PG_ARGISNULL(argno)) return Options{};
    const char *text = pg_call(
        [&] { return DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(argno))); });
    return parse_options(text, ErrorKind::InvalidParameter);
}

// Parallel workers draw different random keys (and every partial state mixes in its first
// row); a serial plan always uses stream 0.
std::uint64_t stream_id() {
    return IsParallelWorker() ? static_cast<std::uint64_t>(ParallelWorkerNumber) + 1 : 0;
}

// Fail unless k (or k_min, k_max) can be fitted.
void check_k(bool auto_k, std::int32_t k_min, std::int32_t k_max) {
    if (!auto_k && k_min < 1)
        fail(ErrorKind::InvalidParameter, "k must be at least 1",
             "Got k = " + std::to_string(k_min) + ".");
    if (auto_k && k_min < 2)
        fail(ErrorKind::InvalidParameter, "k_min must be at least 2",
             "The silhouette is defined only for two clusters or more.");
    if (auto_k && k_max < k_min)
        fail(ErrorKind::InvalidParameter, "k_max must be at least k_min",
             "Got k_min = " + std::to_string(k_min) + ", k_max = " + std::to_string(k_max) + ".");
}

KmeansState new_state(FunctionCallInfo fcinfo, bool auto_k) {
    std::int32_t k_min = int_arg(fcinfo, 2, auto_k ? "k_min" : "k");
    std::int32_t k_max = auto_k ? int_arg(fcinfo, 3, "k_max") : k_min;
    Options options = options_arg(fcinfo, auto_k ? 4 : 3);
    check_k(auto_k, k_min, k_max);
    return KmeansState{options, k_min, k_max, auto_k,
                       PointSample(options.sample_size, options.seed, stream_id())};
}

// A point sample only (dm_kmeans_summary): k comes with the accessor.
KmeansState new_sample_state(FunctionCallInfo fcinfo) {
    Options options = options_arg(fcinfo, 2);
    return KmeansState{options, 0, 0, false,
                       PointSample(options.sample_size, options.seed, stream_id())};
}

void add_row(KmeansState &state, FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1)) {
        state.sample.add_null();
        return;
    }
    auto x = float8_array_arg(fcinfo, 1, "feature array");
    state.sample.add(x.data, x.size);
}

Datum accumulate(FunctionCallInfo fcinfo, bool auto_k) {
    auto *state = state_arg<KmeansState>(fcinfo, [&] { return new_state(fcinfo, auto_k); });
    add_row(*state, fcinfo);
    PG_RETURN_POINTER(state);
}

Datum accumulate_expanded(FunctionCallInfo fcinfo, bool auto_k) {
    auto state = update_state<KmeansState>(fcinfo, [&] { return new_state(fcinfo, auto_k); });
    add_row(*state, fcinfo);
    return state.datum();
}

// The model fitted on the sample with k in [k_min, k_max]; NULL without a non-NULL row.
Datum fit_result(FunctionCallInfo fcinfo, const KmeansState *state, bool auto_k, std::int32_t k_min,
                 std::int32_t k_max, const Options &options) {
    if (!state || state->sample.rows() == 0) PG_RETURN_NULL();
    constexpr std::uint64_t kMaxCount = std::uint64_t(INT64_MAX);
    if (state->sample.rows() > kMaxCount ||
        state->sample.nulls() > kMaxCount - state->sample.rows())
        fail(ErrorKind::OutOfRange, "row count out of range for a K-Means model");
    Model model = auto_k ? train_auto(state->sample, k_min, k_max, options)
                         : train(state->sample, k_min, options);
    PG_RETURN_POINTER(make_bytea(model.encode()));
}

} // namespace

// 0.1.0 entry points (internal state).
DMINE_FUNCTION(dm_kmeans_accum) {
    return accumulate(fcinfo, false);
}
DMINE_FUNCTION(dm_kmeans_auto_accum) {
    return accumulate(fcinfo, true);
}
DMINE_FUNCTION(dm_kmeans_combine) {
    return combine_states<KmeansState>(fcinfo);
}
DMINE_FUNCTION(dm_kmeans_serialize) {
    return serialize_state<KmeansState>(fcinfo);
}
DMINE_FUNCTION(dm_kmeans_deserialize) {
    return deserialize_state<KmeansState>(fcinfo);
}

// The fitted model; NULL when no non-NULL row was seen.
DMINE_FUNCTION(dm_kmeans_final) {
    const auto *state = state_or_null<KmeansState>(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    return fit_result(fcinfo, state, state->auto_k, state->k_min, state->k_max, state->options);
}

// The kmeans_summary type: the point sample (and, for dm_kmeans, k and the options).
DMINE_STATE_TYPE(kmeans_summary, KmeansState)

DMINE_FUNCTION(kmeans_summary_add) {
    return accumulate_expanded(fcinfo, false);
}
DMINE_FUNCTION(kmeans_summary_add_auto) {
    return accumulate_expanded(fcinfo, true);
}
DMINE_FUNCTION(kmeans_summary_add_sample) {
    auto state = update_state<KmeansState>(fcinfo, [&] { return new_sample_state(fcinfo); });
    add_row(*state, fcinfo);
    return state.datum();
}

// Final function of dm_kmeans and dm_kmeans_auto: k and the options from the state.
DMINE_FUNCTION(kmeans_summary_fit) {
    StateView<KmeansState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    if (state->k_min == 0)
        fail(ErrorKind::InvalidParameter, "this kmeans summary has no k",
             "Fit a summary made by dm_kmeans_summary with dm_summary_kmeans(summary, k).");
    return fit_result(fcinfo, state.get(), state->auto_k, state->k_min, state->k_max,
                      state->options);
}

// Accessors: k (and options, else those of the summary) as arguments.
DMINE_FUNCTION(dm_summary_kmeans) {
    StateView<KmeansState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    std::int32_t k = int_arg(fcinfo, 1, "k");
    check_k(false, k, k);
    Options options = PG_ARGISNULL(2) ? state->options : options_arg(fcinfo, 2);
    return fit_result(fcinfo, state.get(), false, k, k, options);
}
DMINE_FUNCTION(dm_summary_kmeans_auto) {
    StateView<KmeansState> state(fcinfo, 0);
    if (!state) PG_RETURN_NULL();
    std::int32_t k_min = int_arg(fcinfo, 1, "k_min"), k_max = int_arg(fcinfo, 2, "k_max");
    check_k(true, k_min, k_max);
    Options options = PG_ARGISNULL(3) ? state->options : options_arg(fcinfo, 3);
    return fit_result(fcinfo, state.get(), true, k_min, k_max, options);
}
