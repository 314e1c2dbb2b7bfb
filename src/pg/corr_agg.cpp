// dm_corr and dm_cov: Pearson correlation and covariance matrices of feature vectors.
#include "agg_state.hpp"
#include "arrays.hpp"
#include "expanded_state.hpp"
#include "sketch/comoments.hpp"

#include <string>

namespace {

using namespace dmine;
using namespace dmine::pg;

// Co-moments plus the count of NULL vectors skipped.
struct CorrState {
    static constexpr StateType kType{"comoments_summary", 0x434d4d44, 1}; // "DMMC"
    CoMoments moments;
    std::uint64_t null_rows = 0;

    void merge(const CorrState &other) {
        if (other.moments.count() > 0 && moments.count() > 0 &&
            other.moments.dimension() != moments.dimension())
            fail(ErrorKind::DimensionMismatch, "feature vectors have different lengths");
        moments.merge(other.moments);
        null_rows += other.null_rows;
    }
    void serialize(ByteWriter &out) const {
        moments.serialize(out);
        out.put(null_rows);
    }
    static CorrState deserialize(ByteReader &in) {
        CorrState s{CoMoments::deserialize(in)};
        s.null_rows = in.get<std::uint64_t>();
        return s;
    }
};

// The feature vector in argument 1: one dimension, no NULL, finite, the state's length.
Float8Array checked_vector(FunctionCallInfo fcinfo, int expected) {
    auto x = float8_array_arg(fcinfo, 1, "feature vector");
    if (x.size == 0) fail(ErrorKind::DimensionMismatch, "feature vector must not be empty");
    if (expected > 0 && x.size != expected)
        fail(ErrorKind::DimensionMismatch, "feature vectors have different lengths",
             "Expected " + std::to_string(expected) + " elements, got " + std::to_string(x.size) +
                 ".");
    if (int pos = first_nonfinite(x))
        fail(ErrorKind::Data,
             "feature vector has NaN or infinity at position " + std::to_string(pos), {},
             "Filter such rows out, or replace the values.");
    return x;
}

Datum matrix_result(FunctionCallInfo fcinfo, const CorrState *state, bool correlation) {
    if (!state || state->moments.count() == 0) PG_RETURN_NULL();
    const Eigen::MatrixXd m =
        correlation ? state->moments.correlation() : state->moments.covariance();
    // Eigen is column-major; the SQL matrix is row-major (symmetric anyway).
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows = m;
    PG_RETURN_ARRAYTYPE_P(make_float8_matrix(rows.data(), int(rows.rows()), int(rows.cols())));
}

void add_row(CorrState &state, FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(1)) {
        state.null_rows++;
        return;
    }
    int dimension = state.moments.count() > 0 ? state.moments.dimension() : 0;
    auto x = checked_vector(fcinfo, dimension);
    if (dimension == 0) state.moments = CoMoments(x.size);
    state.moments.add(x.data);
}

} // namespace

// 0.1.0 entry points (internal state).
DMINE_FUNCTION(dm_corr_accum) {
    auto *state = state_arg<CorrState>(fcinfo, [] { return CorrState{CoMoments(0)}; });
    add_row(*state, fcinfo);
    PG_RETURN_POINTER(state);
}

DMINE_FUNCTION(dm_corr_combine) {
    return combine_states<CorrState>(fcinfo);
}
DMINE_FUNCTION(dm_corr_serialize) {
    return serialize_state<CorrState>(fcinfo);
}
DMINE_FUNCTION(dm_corr_deserialize) {
    return deserialize_state<CorrState>(fcinfo);
}
DMINE_FUNCTION(dm_corr_final) {
    return matrix_result(fcinfo, state_or_null<CorrState>(fcinfo, 0), true);
}
DMINE_FUNCTION(dm_cov_final) {
    return matrix_result(fcinfo, state_or_null<CorrState>(fcinfo, 0), false);
}

// The comoments_summary type (dm_corr, dm_cov, stored co-moments).
DMINE_STATE_TYPE(comoments_summary, CorrState)

DMINE_FUNCTION(comoments_summary_add) {
    auto state = update_state<CorrState>(fcinfo, [] { return CorrState{CoMoments(0)}; });
    add_row(*state, fcinfo);
    return state.datum();
}

// Final functions and accessors.
DMINE_FUNCTION(dm_summary_corr) {
    StateView<CorrState> state(fcinfo, 0);
    return matrix_result(fcinfo, state.get(), true);
}
DMINE_FUNCTION(dm_summary_cov) {
    StateView<CorrState> state(fcinfo, 0);
    return matrix_result(fcinfo, state.get(), false);
}
