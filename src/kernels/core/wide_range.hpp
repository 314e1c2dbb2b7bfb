// Arithmetic near the ends of the double range. Accumulators keep their figures in units of a
// power of two (exact scaling but for underflow far below the largest value), so that means,
// deviations and their powers of finite values stay finite; differences and interpolations fall
// back to forms that cannot overflow when the plain form does.
#pragma once

#include "core/errors.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace dmine::wide {

// Scaled magnitudes stay within [2^-kBand, 2^kBand]: fourth powers of deviations times the
// fourth power of a row count up to 2^64 then stay below 2^780 (the merge formulas form such
// products), and fourth powers of small values far above the denormals.
constexpr int kBand = 128;

// The exponent x of m (m < 2^x; 0 for 0).
inline int exponent_of(double m) {
    int e = 0;
    std::frexp(m, &e);
    return e;
}

// The lowest unit: 2^-unit stays finite (a scaling factor), and denormals scaled by it are
// normal numbers well within the band.
constexpr int kMinUnit = -1000;

// The unit (a power-of-two exponent) for a state at unit `e` whose largest magnitude is `m`:
// `e` while m / 2^e is within the band (so ordinary data keeps e = 0), else one near m.
inline int unit_for(double m, int e) {
    if (m == 0 || !std::isfinite(m)) return e;
    const int x = exponent_of(m);
    return x - e > kBand || x - e < -kBand ? std::max(x, kMinUnit) : e;
}

// a + t (b - a) for t in [0, 1]: finite for finite a and b.
inline double lerp(double a, double b, double t) {
    const double d = b - a;
    if (std::isfinite(d)) return a + t * d;
    return a * (1 - t) + b * t;
}

// (a - b) / 2, never overflowing for finite a and b.
inline double half_difference(double a, double b) {
    const double d = a - b;
    return std::isfinite(d) ? d * 0.5 : a * 0.5 - b * 0.5;
}

// An error for a figure that is beyond the double range (22003).
[[noreturn]] inline void out_of_range(const std::string &what, std::string hint = {}) {
    fail(ErrorKind::OutOfRange, what + " is beyond the range of double precision", {},
         hint.empty() ? "Rescale the input (for example divide it by a power of ten)." : hint);
}

} // namespace dmine::wide
