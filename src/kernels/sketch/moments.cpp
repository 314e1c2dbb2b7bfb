// Running moments with exact pairwise merge.
#include "sketch/moments.hpp"

#include "core/errors.hpp"
#include "core/wide_range.hpp"

#include <Eigen/Core>

#include <cmath>
#include <algorithm>
#include <limits>

namespace dmine {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

void Moments::rescale(int unit) {
    const int shift = unit_ - unit;
    mean_ = std::ldexp(mean_, shift);
    m2_ = std::ldexp(m2_, 2 * shift);
    m3_ = std::ldexp(m3_, 3 * shift);
    m4_ = std::ldexp(m4_, 4 * shift);
    unit_ = unit;
}

double Moments::mean() const noexcept {
    return std::ldexp(mean_, unit_);
}

void Moments::add(double x) {
    bool wider = n_ == 0; // the magnitude can only grow with a new minimum or maximum
    if (n_ == 0) {
        min_ = max_ = x;
    } else if (x < min_) {
        min_ = x;
        wider = true;
    } else if (x > max_) {
        max_ = x;
        wider = true;
    }
    if (wider) {
        const int unit = wide::unit_for(magnitude(), n_ == 0 ? 0 : unit_);
        if (unit != unit_) rescale(unit);
    }
    if (unit_ != 0) x = std::ldexp(x, -unit_);
    const double n1 = static_cast<double>(n_);
    n_++;
    const double n = static_cast<double>(n_);
    const double delta = x - mean_;
    const double delta_n = delta / n;
    const double delta_n2 = delta_n * delta_n;
    const double term1 = delta * delta_n * n1;
    mean_ += delta_n;
    m4_ += term1 * delta_n2 * (n * n - 3 * n + 3) + 6 * delta_n2 * m2_ - 4 * delta_n * m3_;
    m3_ += term1 * delta_n * (n - 2) - 3 * delta_n * m2_;
    m2_ += term1;
}

void Moments::add_block(const double *values, std::size_t count) {
    if (count == 0) return;
    Eigen::Map<const Eigen::ArrayXd> x(values, static_cast<Eigen::Index>(count));
    Moments block;
    block.n_ = count;
    block.min_ = x.minCoeff();
    block.max_ = x.maxCoeff();
    block.unit_ = wide::unit_for(block.magnitude(), 0);
    const double factor = std::ldexp(1.0, -block.unit_); // exact: a power of two
    block.mean_ = block.unit_ == 0 ? x.mean() : (x * factor).mean();
    double m2 = 0, m3 = 0, m4 = 0;
    // Chunks of fixed size keep the deviations in registers without a heap buffer.
    constexpr Eigen::Index kChunk = 64;
    for (Eigen::Index start = 0; start < x.size(); start += kChunk) {
        const Eigen::Index len = std::min(kChunk, x.size() - start);
        Eigen::Array<double, Eigen::Dynamic, 1, 0, kChunk, 1> d; // no heap: at most kChunk
        if (block.unit_ == 0)
            d = x.segment(start, len) - block.mean_;
        else
            d = x.segment(start, len) * factor - block.mean_;
        Eigen::Array<double, Eigen::Dynamic, 1, 0, kChunk, 1> d2 = d.square();
        m2 += d2.sum();
        m3 += (d2 * d).sum();
        m4 += d2.square().sum();
    }
    block.m2_ = m2;
    block.m3_ = m3;
    block.m4_ = m4;
    merge(block);
}

void Moments::merge(const Moments &b) {
    if (b.n_ == 0) return;
    if (n_ == 0) {
        *this = b;
        return;
    }
    // The unit of the state with the larger values holds both within the band.
    Moments other = b;
    const int unit = magnitude() >= other.magnitude() ? unit_ : other.unit_;
    if (unit_ != unit) rescale(unit);
    if (other.unit_ != unit) other.rescale(unit);
    merge_aligned(other);
}

// Chan / Pébay merge of two states in the same unit.
void Moments::merge_aligned(const Moments &b) {
    const double na = static_cast<double>(n_), nb = static_cast<double>(b.n_);
    const double n = na + nb;
    const double delta = b.mean_ - mean_;
    const double delta2 = delta * delta, delta3 = delta2 * delta, delta4 = delta2 * delta2;
    const double m2 = m2_ + b.m2_ + delta2 * na * nb / n;
    const double m3 = m3_ + b.m3_ + delta3 * na * nb * (na - nb) / (n * n) +
                      3 * delta * (na * b.m2_ - nb * m2_) / n;
    const double m4 = m4_ + b.m4_ + delta4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n) +
                      6 * delta2 * (na * na * b.m2_ + nb * nb * m2_) / (n * n) +
                      4 * delta * (na * b.m3_ - nb * m3_) / n;
    mean_ = (na * mean_ + nb * b.mean_) / n;
    m2_ = m2;
    m3_ = m3;
    m4_ = m4;
    n_ += b.n_;
    if (b.min_ < min_) min_ = b.min_;
    if (b.max_ > max_) max_ = b.max_;
}

double Moments::variance() const noexcept {
    return n_ < 2 ? kNaN : std::ldexp(m2_ / static_cast<double>(n_ - 1), 2 * unit_);
}

double Moments::stddev() const noexcept {
    return n_ < 2 ? kNaN : std::ldexp(std::sqrt(m2_ / static_cast<double>(n_ - 1)), unit_);
}

double Moments::skewness() const noexcept {
    if (n_ < 3 || m2_ == 0) return kNaN;
    const double n = static_cast<double>(n_);
    const double g1 = std::sqrt(n) * m3_ / std::pow(m2_, 1.5);
    return g1 * std::sqrt(n * (n - 1)) / (n - 2);
}

double Moments::kurtosis() const noexcept {
    if (n_ < 4 || m2_ == 0) return kNaN;
    const double n = static_cast<double>(n_);
    const double g2 = n * m4_ / (m2_ * m2_) - 3;
    return (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6);
}

void Moments::serialize(ByteWriter &out) const {
    out.put(n_);
    for (double v : {mean_, m2_, m3_, m4_, min_, max_}) out.put(v);
    out.put<std::int32_t>(unit_);
}

Moments Moments::deserialize(ByteReader &in) {
    Moments m;
    m.n_ = in.get<std::uint64_t>();
    m.mean_ = in.get<double>();
    m.m2_ = in.get<double>();
    m.m3_ = in.get<double>();
    m.m4_ = in.get<double>();
    m.min_ = in.get<double>();
    m.max_ = in.get<double>();
    m.unit_ = in.get<std::int32_t>();
    if (m.unit_ < -1100 || m.unit_ > 1100) fail(ErrorKind::Corrupted, "corrupted moments state");
    return m;
}

} // namespace dmine
