// HyperLogLog distinct-count estimate.
#include "sketch/hyperloglog.hpp"

#include "core/errors.hpp"

#include <cmath>

namespace dmine {

void HyperLogLog::merge(const HyperLogLog &other) {
    for (std::size_t i = 0; i < kRegisters; i++)
        if (other.registers_[i] > registers_[i]) registers_[i] = other.registers_[i];
}

double HyperLogLog::estimate() const {
    const double m = static_cast<double>(kRegisters);
    double sum = 0;
    std::size_t zeros = 0;
    for (auto r : registers_) {
        sum += std::ldexp(1.0, -r);
        zeros += r == 0;
    }
    const double alpha = 0.7213 / (1 + 1.079 / m);
    const double raw = alpha * m * m / sum;
    // Linear counting is more accurate while many registers are still empty; 11500 is the
    // crossover Heule et al. (2013) measured for precision 14.
    if (zeros > 0) {
        const double linear = m * std::log(m / static_cast<double>(zeros));
        if (linear <= 11500) return linear;
    }
    return raw;
}

void HyperLogLog::serialize(ByteWriter &out) const {
    out.put_array(registers_.data(), registers_.size());
}

HyperLogLog HyperLogLog::deserialize(ByteReader &in) {
    HyperLogLog h;
    auto registers = in.get_vector<std::uint8_t>(kRegisters);
    if (registers.size() != kRegisters)
        fail(ErrorKind::Corrupted, "corrupted state: bad register count");
    for (std::size_t i = 0; i < kRegisters; i++) {
        if (registers[i] > 64 - kPrecision + 1)
            fail(ErrorKind::Corrupted, "corrupted state: bad register");
        h.registers_[i] = registers[i];
    }
    return h;
}

} // namespace dmine
