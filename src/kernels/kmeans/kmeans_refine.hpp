// One exact Lloyd pass over every row: assign each row to its nearest centroid of a model and
// accumulate per-cluster sums; the result is the model with centroids moved to the means, exact
// sizes and SSE. Accumulators merge, so the pass can run in parallel.
//
// Sums are kept as offsets from the model's centroids, which keeps the SSE computed from them
// accurate (SSE = sum of squared offsets - n * squared mean offset). They are long double, whose
// wider exponent holds squared offsets of rows near ±1e308; a refined figure beyond the double
// range is refused (ErrorKind::OutOfRange), never stored.
#pragma once

#include "core/bytes.hpp"
#include "kmeans/kmeans_model.hpp"
#include "core/state_alloc.hpp"

#include <cstdint>
#include <vector>

namespace dmine::kmeans {

class RefineState {
public:
    // Start a pass with `model`, whose encoded bytes are `bytes`. Defined inline: an out-of-line
    // constructor becomes an alias in the bitcode, which PostgreSQL's JIT inliner cannot read.
    RefineState(Model model, StateVector<std::uint8_t> bytes)
        : model_(std::move(model)), bytes_(std::move(bytes)),
          sum_(static_cast<std::size_t>(model_.k) * model_.dim, 0.0),
          sumsq_(static_cast<std::size_t>(model_.k) * model_.dim, 0.0), count_(model_.k, 0) {}
    RefineState(Model model, const std::vector<std::uint8_t> &bytes)
        : RefineState(std::move(model), StateVector<std::uint8_t>(bytes.begin(), bytes.end())) {}

    void add(const double *x, int n);
    void add_null() { nulls_++; }
    // Merge a state of the same model (else InvalidParameter).
    void merge(const RefineState &other);

    void serialize(ByteWriter &out) const;
    static RefineState deserialize(ByteReader &in);

    const StateVector<std::uint8_t> &model_bytes() const { return bytes_; }
    std::uint64_t rows() const { return rows_; }

    // The refined model; needs rows() >= 1.
    Model finish() const;

private:
    Model model_;
    StateVector<std::uint8_t> bytes_;
    StateVector<long double> sum_, sumsq_; // k x dim offsets from the centroids, original units
    StateVector<std::uint64_t> count_;
    std::uint64_t rows_ = 0, nulls_ = 0;
};

} // namespace dmine::kmeans
