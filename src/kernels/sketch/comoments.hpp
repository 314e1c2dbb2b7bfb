// Running means and co-moment matrix of feature vectors: covariance and Pearson correlation.
// Welford updates and Chan's pairwise merge keep it stable where sum-of-products cancels.
// Each feature's mean and co-moments are kept in units of a power of two of its own (0 for
// ordinary data; see wide_range.hpp), so correlations of values near ±1e308 or ±1e-300 are exact
// and covariances are Infinity only where the true value is beyond the double range.
#pragma once

#include "core/bytes.hpp"
#include "core/state_matrix.hpp"

#include <Eigen/Dense>
#include <cstdint>

namespace dmine {

class CoMoments {
public:
    static constexpr int kMaxDimension = 1000;

    explicit CoMoments(int dimension = 0);

    int dimension() const noexcept { return static_cast<int>(mean_.size()); }
    std::uint64_t count() const noexcept { return n_; }
    Eigen::VectorXd mean() const;

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
    StateDense<Eigen::VectorXi> unit_; // feature j's mean is in units of 2^unit_(j)
    StateVectorXd magnitude_;          // largest |value| of each feature
    bool scaled_ = false;              // some unit is not 0

    // Express feature j in units of 2^unit.
    void rescale(int j, int unit);
    void merge_aligned(const CoMoments &other);
    // Scaled covariance: the true one is cov(i, j) * 2^(unit_(i) + unit_(j)).
    Eigen::MatrixXd scaled_covariance() const;
};

} // namespace dmine
