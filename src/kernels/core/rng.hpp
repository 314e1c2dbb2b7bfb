// Deterministic random numbers: the same seed gives the same stream on every platform.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>

namespace dmine {

class Rng {
public:
    explicit Rng(std::uint64_t seed) : engine_(seed) {}

    std::uint64_t next() { return engine_(); }
    // Uniform in [0, 1) with 53 random bits (std distributions differ between libraries).
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    // Uniform integer in [0, n), n > 0, without modulo bias.
    std::uint64_t below(std::uint64_t n) {
        std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        std::uint64_t r;
        do r = engine_();
        while (r >= limit);
        return r % n;
    }

private:
    std::mt19937_64 engine_;
};

// Mix 64 bits (splitmix64 finaliser): seeds derived from one another stay independent.
inline std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// A hash of `n` doubles (-0 and 0 alike).
inline std::uint64_t hash_values(const double *x, int n) {
    std::uint64_t h = 0x6a09e667f3bcc909ULL;
    for (int j = 0; j < n; j++) {
        double v = x[j] == 0 ? 0.0 : x[j];
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        h = mix64(h ^ bits);
    }
    return h;
}

// The random stream of one partial state (a parallel worker's, a Citus shard's): `stream` mixed
// with the partial's first row. Partials that start from the same seed option draw distinct,
// uncorrelated keys, and the same rows in the same order still give the same keys.
inline std::uint64_t partial_stream(std::uint64_t stream, const double *first_row, int dim) {
    return mix64(stream ^ hash_values(first_row, dim));
}

} // namespace dmine
