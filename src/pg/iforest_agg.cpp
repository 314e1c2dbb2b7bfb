// dm_iforest: one scan into a bounded, mergeable sample pool; the trees grow in the final step.
#include "agg_state.hpp"
#include "arrays.hpp"
#include "core/rng.hpp"
#include "expanded_state.hpp"
#include "iforest/iforest_fit.hpp"
#include "iforest/iforest_options.hpp"
#include "iforest/iforest_sample.hpp"

extern "C" {
#include "access/parallel.h"
#include "utils/jsonb.h"
}

#include <optional>
#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;
using namespace dmine::iforest;

// The options of the first row and, from the first non-NULL row on, the sample pool.
struct IforestState {
    static constexpr StateType kType{"iforest_summary", 0x46494d44, 1}; // "DMIF"
    Options options;
    std::uint64_t stream = 0;
    std::uint64_t nulls = 0; // NULL rows seen before the pool exists
    std::optional<SamplePool> pool;

    void add_null() {
        if (pool)
            pool->add_nulls(1);
        else
            nulls++;
    }
    void add(const double *x, int dim) {
        if (!pool) {
            pool.emplace(options, dim, partial_stream(stream, x, dim));
            pool->add_nulls(nulls);
            nulls = 0;
        }
        pool->add(x, dim);
    }
    void merge(const IforestState &other) {
        if (!other.pool) {
            if (pool)
                pool->add_nulls(other.nulls);
            else
                nulls += other.nulls;
            return;
        }
        if (!pool) {
            pool = other.pool;
            pool->add_nulls(nulls);
            nulls = 0;
        } else {
            pool->merge(*other.pool);
        }
    }
    void serialize(ByteWriter &out) const {
        out.put<std::uint8_t>(pool ? 1 : 0);
        if (pool) {
            pool->serialize(out);
            return;
        }
        out.put<std::int32_t>(options.n_trees);
        out.put<std::int32_t>(options.sample_size);
        out.put<std::int32_t>(options.max_depth);
        out.put<double>(options.contamination);
        out.put<std::uint64_t>(options.seed);
        out.put<std::uint64_t>(nulls);
    }
    static IforestState deserialize(ByteReader &in) {
        IforestState state;
        if (in.get<std::uint8_t>()) {
            state.pool = SamplePool::deserialize(in);
            state.options = state.pool->options();
            return state;
        }
        state.options.n_trees = in.get<std::int32_t>();
        state.options.sample_size = in.get<std::int32_t>();
        state.options.max_depth = in.get<std::int32_t>();
        state.options.contamination = in.get<double>();
        state.options.seed = in.get<std::uint64_t>();
        state.nulls = in.get<std::uint64_t>();
        try {
            validate(state.options);
        } catch (const Error &) {
            fail(ErrorKind::Corrupted, "corrupted Isolation Forest state: options out of range");
        }
        return state;
    }
};

// Options from a jsonb argument (absent or NULL: the defaults).
Options options_arg(FunctionCallInfo fcinfo, int argno) {
    if (PG_NARGS() <= argno || PG_ARGISNULL(argno)) return Options{};
    const char *text = pg_call(
        [&] { return DatumGetCString(DirectFunctionCall1(jsonb_out, PG_GETARG_DATUM(argno))); });
    return parse_options(text);
}

// Parallel workers draw different random keys (and every partial state mixes in its first
// row); a serial plan always uses stream 0.
std::uint64_t stream_id() {
    return IsParallelWorker() ? static_cast<std::uint64_t>(ParallelWorkerNumber) + 1 : 0;
}

IforestState new_state(FunctionCallInfo fcinfo) {
    IforestState s;
    s.options = options_arg(fcinfo, 2);
    s.stream = stream_id();
    return s;
}

// Skip NULL rows, check and pool the others.
void add_row(IforestState &state, FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1)) {
        state.add_null();
        return;
    }
    auto x = float8_array_arg(fcinfo, 1, "feature array");
    state.add(x.data, x.size);
}

// The fitted forest; fewer than 2 non-NULL rows is an error (22000).
Datum fitted_forest(const IforestState *state) {
    if (!state || !state->pool)
        fail(ErrorKind::Data, "Isolation Forest needs at least 2 rows, got 0",
             state && state->nulls ? std::to_string(state->nulls) + " NULL rows were skipped."
                                   : std::string(),
             "NULL feature arrays are skipped.");
    constexpr std::uint64_t kMaxCount = std::uint64_t(INT64_MAX);
    if (state->pool->rows_seen() > kMaxCount || state->pool->nulls_skipped() > kMaxCount)
        fail(ErrorKind::OutOfRange, "row count out of range for an Isolation Forest model");
    Forest forest = fit(*state->pool);
    PG_RETURN_POINTER(make_bytea(forest.encode()));
}

} // namespace

// 0.1.0 entry points (internal state).
DMINE_FUNCTION(dm_iforest_accum) {
    auto *state = state_arg<IforestState>(fcinfo, [&] { return new_state(fcinfo); });
    add_row(*state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_iforest_combine) {
    return combine_states<IforestState>(fcinfo);
}
DMINE_FUNCTION(dm_iforest_serialize) {
    return serialize_state<IforestState>(fcinfo);
}
DMINE_FUNCTION(dm_iforest_deserialize) {
    return deserialize_state<IforestState>(fcinfo);
}

// The fitted forest; fewer than 2 non-NULL rows is an error (22000).
DMINE_FUNCTION(dm_iforest_final) {
    return fitted_forest(state_or_null<IforestState>(fcinfo, 0));
}

// The iforest_summary type: the options and the sample pool of the trees.
DMINE_STATE_TYPE(iforest_summary, IforestState)

DMINE_FUNCTION(iforest_summary_add) {
    auto state = update_state<IforestState>(fcinfo, [&] { return new_state(fcinfo); });
    add_row(*state, fcinfo);
    return state.datum();
}

// Final function and accessor: the forest grown from the pool.
DMINE_FUNCTION(dm_summary_iforest) {
    StateView<IforestState> state(fcinfo, 0);
    return fitted_forest(state.get());
}
