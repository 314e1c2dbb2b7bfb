// Running count, mean, central moments (2nd to 4th), min and max of a stream of finite values.
// Updates follow Welford; merges follow Chan et al. and Pébay (2008), so partial results from
// parallel workers combine exactly, without the cancellation of sum-of-squares formulas.
// The mean and moments are kept in units of 2^unit (see wide_range.hpp): 0 for ordinary data,
// so that values near ±1e308 or ±1e-300 still give representable means, deviations, skewness
// and kurtosis; the variance alone may then exceed the double range (Infinity).
#pragma once

#include "core/bytes.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace dmine {

class Moments {
public:
    void add(double x);
    // Add `count` finite values at once: two passes over the block, then an exact merge.
    void add_block(const double *values, std::size_t count);
    void merge(const Moments &other);

    std::uint64_t count() const noexcept { return n_; }
    double mean() const noexcept;
    double min() const noexcept { return min_; }
    double max() const noexcept { return max_; }
    // Sample variance (divisor n - 1), as pandas; NaN below two values.
    double variance() const noexcept;
    double stddev() const noexcept;
    // Adjusted Fisher-Pearson skewness (G1), as pandas; NaN below three values.
    double skewness() const noexcept;
    // Bias-corrected excess kurtosis (G2), as pandas; NaN below four values.
    double kurtosis() const noexcept;

    void serialize(ByteWriter &out) const;
    static Moments deserialize(ByteReader &in);

private:
    std::uint64_t n_ = 0;
    double mean_ = 0, m2_ = 0, m3_ = 0, m4_ = 0;
    double min_ = 0, max_ = 0;
    int unit_ = 0; // mean_ is in units of 2^unit_, m2_ of 4^unit_, and so on

    // Express the state in units of 2^unit.
    void rescale(int unit);
    void merge_aligned(const Moments &other);
    double magnitude() const noexcept { return std::fmax(std::fabs(min_), std::fabs(max_)); }
};

} // namespace dmine
