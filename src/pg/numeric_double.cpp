// numeric -> double straight from the numeric's base-10000 digits.
//
// The layout is numeric.c's on-disk format (stable across releases, pg_upgrade keeps it):
// a varlena, then a uint16 header; a short header holds sign, display scale and a 6-bit
// weight, a long one the sign and display scale with an int16 weight after it; then the
// digits, most significant first. value = sum(digit[i] * 10000^(weight - i)).
#include "numeric_double.hpp"
#include "boundary.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace dmine::pg {

namespace {

constexpr std::uint16_t kSignMask = 0xC000, kNegative = 0x4000, kShort = 0x8000, kSpecial = 0xC000,
                        kShortSign = 0x2000, kShortWeightSign = 0x0040, kShortWeight = 0x003F;
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

double slow_path(Datum value) {
    return DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, value));
}

} // namespace

double numeric_to_double(Datum value) {
    auto *v = reinterpret_cast<struct varlena *>(PG_DETOAST_DATUM_PACKED(value));
    const auto *p = reinterpret_cast<const std::uint8_t *>(VARDATA_ANY(v));
    const std::size_t size = VARSIZE_ANY_EXHDR(v);
    if (size < 2) return slow_path(value);
    std::uint16_t header;
    std::memcpy(&header, p, 2);
    const std::uint16_t flags = header & kSignMask;
    if (flags == kSpecial) return slow_path(value); // NaN, ±Infinity
    bool negative;
    int weight;
    std::size_t offset;
    if (flags == kShort) {
        negative = (header & kShortSign) != 0;
        weight = (header & kShortWeightSign) ? (~0x3F | (header & kShortWeight))
                                             : (header & kShortWeight);
        offset = 2;
    } else {
        if (size < 4) return slow_path(value);
        negative = flags == kNegative;
        std::int16_t w;
        std::memcpy(&w, p + 2, 2);
        weight = w;
        offset = 4;
    }
    const std::size_t ndigits = (size - offset) / 2;
    if (ndigits == 0) return 0.0;
    if (ndigits > 4) return slow_path(value);
    std::uint64_t mantissa = 0;
    for (std::size_t i = 0; i < ndigits; i++) {
        std::uint16_t d;
        std::memcpy(&d, p + offset + 2 * i, 2);
        mantissa = mantissa * 10000 + d;
    }
    if (mantissa > (std::uint64_t{1} << 53)) return slow_path(value);
    const int exponent = 4 * (weight - static_cast<int>(ndigits) + 1);
    if (exponent < -22 || exponent > 22) return slow_path(value);
    double x = static_cast<double>(mantissa);
    x = exponent >= 0 ? x * kPow10[exponent] : x / kPow10[-exponent];
    return negative ? -x : x;
}

} // namespace dmine::pg

// dm_pipeline_float8(numeric): the pipeline's number of a numeric, NULL when NaN, infinite or
// not strictly within ±1e300 (dm_pipeline_number), from the digits.
DMINE_FUNCTION(dm_pipeline_float8) {
    const Datum value = PG_GETARG_DATUM(0);
    const double x = dmine::pg::pg_call([&] { return dmine::pg::numeric_to_double(value); });
    if (!(x > -1e300 && x < 1e300)) PG_RETURN_NULL();
    PG_RETURN_FLOAT8(x);
}

// dm_numeric_float8(numeric): numeric::float8 that never fails (beyond the range: ±Infinity).
DMINE_FUNCTION(dm_numeric_float8) {
    const Datum value = PG_GETARG_DATUM(0);
    PG_RETURN_FLOAT8(dmine::pg::pg_call([&] { return dmine::pg::numeric_to_double(value); }));
}
