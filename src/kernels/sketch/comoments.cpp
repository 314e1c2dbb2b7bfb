// Running co-moments with pairwise merge.
#include "sketch/comoments.hpp"

#include "core/errors.hpp"
#include "core/wide_range.hpp"

#include <cmath>
#include <limits>
#include <string>

namespace dmine {

CoMoments::CoMoments(int dimension) {
    if (dimension < 0 || dimension > kMaxDimension)
        fail(ErrorKind::InvalidParameter,
             "feature vectors must have 1 to " + std::to_string(kMaxDimension) + " elements");
    mean_ = Eigen::VectorXd::Zero(dimension);
    c_ = Eigen::MatrixXd::Zero(dimension, dimension);
    delta_.resize(dimension);
    unit_ = Eigen::VectorXi::Zero(dimension);
    magnitude_ = Eigen::VectorXd::Zero(dimension);
}

void CoMoments::rescale(int j, int unit) {
    const int shift = unit_(j) - unit, d = dimension();
    mean_(j) = std::ldexp(mean_(j), shift);
    for (int i = 0; i < d; i++) // lower triangle: row j left of the diagonal, column j below
        if (i != j) {
            double &c = i < j ? c_(j, i) : c_(i, j);
            c = std::ldexp(c, shift);
        }
    c_(j, j) = std::ldexp(c_(j, j), 2 * shift);
    unit_(j) = unit;
    scaled_ = (unit_.array() != 0).any();
}

Eigen::VectorXd CoMoments::mean() const {
    Eigen::VectorXd out = mean_;
    for (int j = 0; j < dimension(); j++) out(j) = std::ldexp(out(j), unit_(j));
    return out;
}

void CoMoments::add(const double *x) {
    Eigen::Map<const Eigen::VectorXd> v(x, dimension());
    for (int j = 0; j < dimension(); j++) {
        if (!(std::fabs(x[j]) > magnitude_(j))) continue; // the unit depends on the magnitude
        magnitude_(j) = std::fabs(x[j]);
        const int unit = wide::unit_for(magnitude_(j), unit_(j));
        if (unit != unit_(j)) rescale(j, unit);
    }
    n_++;
    if (scaled_) {
        for (int j = 0; j < dimension(); j++) delta_(j) = std::ldexp(x[j], -unit_(j)) - mean_(j);
    } else {
        delta_ = v - mean_;
    }
    mean_ += delta_ / static_cast<double>(n_);
    // (n-1)/n · δδᵀ = δ · (x - new mean)ᵀ
    c_.selfadjointView<Eigen::Lower>().rankUpdate(delta_, 1.0 - 1.0 / static_cast<double>(n_));
}

void CoMoments::merge(const CoMoments &b) {
    if (b.n_ == 0) return;
    if (n_ == 0) {
        *this = b;
        return;
    }
    if (b.dimension() != dimension())
        fail(ErrorKind::DimensionMismatch, "feature vectors have different lengths",
             "Expected " + std::to_string(dimension()) + " elements, got " +
                 std::to_string(b.dimension()) + ".");
    // Per feature, the unit of the side with the larger values holds both.
    CoMoments other = b;
    for (int j = 0; j < dimension(); j++) {
        const int unit = magnitude_(j) >= other.magnitude_(j) ? unit_(j) : other.unit_(j);
        if (unit_(j) != unit) rescale(j, unit);
        if (other.unit_(j) != unit) other.rescale(j, unit);
    }
    magnitude_ = magnitude_.cwiseMax(other.magnitude_);
    merge_aligned(other);
}

// Chan's merge of two states in the same units.
void CoMoments::merge_aligned(const CoMoments &b) {
    const double na = static_cast<double>(n_), nb = static_cast<double>(b.n_), n = na + nb;
    Eigen::VectorXd delta = b.mean_ - mean_;
    c_.triangularView<Eigen::Lower>() += b.c_;
    c_.selfadjointView<Eigen::Lower>().rankUpdate(delta, na * nb / n);
    mean_ += delta * (nb / n);
    n_ += b.n_;
}

Eigen::MatrixXd CoMoments::scaled_covariance() const {
    const int d = dimension();
    if (n_ < 2) return Eigen::MatrixXd::Constant(d, d, std::numeric_limits<double>::quiet_NaN());
    Eigen::MatrixXd full = c_.selfadjointView<Eigen::Lower>();
    return full / static_cast<double>(n_ - 1);
}

Eigen::MatrixXd CoMoments::covariance() const {
    Eigen::MatrixXd cov = scaled_covariance();
    if (!scaled_) return cov;
    for (int i = 0; i < dimension(); i++)
        for (int j = 0; j < dimension(); j++)
            cov(i, j) = std::ldexp(cov(i, j), unit_(i) + unit_(j));
    return cov;
}

Eigen::MatrixXd CoMoments::correlation() const {
    Eigen::MatrixXd cov = scaled_covariance(); // correlation does not depend on the units
    const int d = dimension();
    Eigen::VectorXd sd = cov.diagonal().cwiseSqrt();
    Eigen::MatrixXd corr(d, d);
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            const double denom = sd(i) * sd(j);
            corr(i, j) = denom > 0 ? cov(i, j) / denom : std::numeric_limits<double>::quiet_NaN();
        }
    // Rounding can push |r| a hair past 1; the diagonal is exactly 1 where defined.
    for (int i = 0; i < d; i++) {
        for (int j = 0; j < d; j++)
            if (std::isfinite(corr(i, j))) corr(i, j) = std::max(-1.0, std::min(1.0, corr(i, j)));
        if (sd(i) > 0) corr(i, i) = 1.0;
    }
    return corr;
}

void CoMoments::serialize(ByteWriter &out) const {
    out.put<std::int32_t>(dimension());
    out.put(n_);
    out.put_array(mean_.data(), mean_.size());
    for (int j = 0; j < dimension(); j++)
        for (int i = j; i < dimension(); i++) out.put(c_(i, j));
    for (int j = 0; j < dimension(); j++) {
        out.put<std::int32_t>(unit_(j));
        out.put(magnitude_(j));
    }
}

CoMoments CoMoments::deserialize(ByteReader &in) {
    auto d = in.get<std::int32_t>();
    if (d < 0 || d > kMaxDimension) fail(ErrorKind::Corrupted, "corrupted state: bad dimension");
    CoMoments m(d);
    m.n_ = in.get<std::uint64_t>();
    auto mean = in.get_vector<double>(static_cast<std::uint64_t>(d));
    if (mean.size() != static_cast<std::size_t>(d))
        fail(ErrorKind::Corrupted, "corrupted state: bad mean");
    for (int i = 0; i < d; i++) m.mean_(i) = mean[i];
    for (int j = 0; j < d; j++)
        for (int i = j; i < d; i++) m.c_(i, j) = in.get<double>();
    for (int j = 0; j < d; j++) {
        m.unit_(j) = in.get<std::int32_t>();
        m.magnitude_(j) = in.get<double>();
        if (m.unit_(j) < -1100 || m.unit_(j) > 1100 || !(m.magnitude_(j) >= 0))
            fail(ErrorKind::Corrupted, "corrupted state: bad feature unit");
    }
    m.scaled_ = (m.unit_.array() != 0).any();
    return m;
}

} // namespace dmine
