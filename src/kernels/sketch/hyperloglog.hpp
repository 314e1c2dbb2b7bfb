// HyperLogLog distinct-count estimate (Flajolet et al. 2007, with the small-range correction
// of Heule et al. 2013): 2^14 registers, standard error 1.04/sqrt(2^14) ≈ 0.8%, mergeable.
#pragma once

#include "core/bytes.hpp"

#include <array>
#include <cstdint>

namespace dmine {

class HyperLogLog {
public:
    static constexpr int kPrecision = 14;
    static constexpr std::size_t kRegisters = std::size_t{1} << kPrecision;

    // Add a 64-bit hash of a value (the caller hashes; equal values give equal hashes).
    void add_hash(std::uint64_t hash) {
        const std::size_t index = hash >> (64 - kPrecision);
        const std::uint64_t rest = (hash << kPrecision) | (std::uint64_t{1} << (kPrecision - 1));
        const auto rank = static_cast<std::uint8_t>(__builtin_clzll(rest) + 1);
        if (rank > registers_[index]) registers_[index] = rank;
    }
    void merge(const HyperLogLog &other);
    double estimate() const;

    void serialize(ByteWriter &out) const;
    static HyperLogLog deserialize(ByteReader &in);

private:
    std::array<std::uint8_t, kRegisters> registers_{};
};

} // namespace dmine
