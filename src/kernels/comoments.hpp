// Running means and co-moment matrix of feature vectors: covariance and Pearson correlation.
// Welford updates and Chan's pairwise merge keep it stable where sum-of-products cancels.
#pragma once

#include "bytes.hpp"
#include "state_matrix.hpp"

#include <Eigen/Dense>
#include <cstdint>

namespace dmine {

class CoMoments {
public:
    static constexpr int kMaxDimension = 1000;

    explicit CoMoments(int dimension = 0);

    int dimension() const noexcept { return static_cast<int>(mean_.size()); }
    std::uint64_t count() const noexcept { return n_; }
    const StateVectorXd &mean() const noexcept { return mean_; }

    // Add one vector of `dimension()` finite values.
    void add(const double *x);
    void merge(const CoMoments &other);

    // Sample covariance (divisor n - 1), NaN below two vectors.
    Eigen::MatrixXd covariance() const;
    // Pearson correlation; NaN where a feature has zero variance (as pandas).
    Eigen::MatrixXd correlation() const;

    void serialize(ByteWriter &out) const;
    static CoMoments deserialize(ByteReader &in);

private:
    std::uint64_t n_ = 0;
    StateVectorXd mean_;
    StateMatrixXd c_; // sum of outer products of deviations; only the lower triangle is kept
    StateVectorXd delta_;
};

} // namespace dmine
