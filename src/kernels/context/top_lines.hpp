// The k lines of highest score seen, each with an opaque payload: a bounded, mergeable state.
// Ties are broken by the payload bytes, so the result does not depend on the plan.
#pragma once

#include "core/bytes.hpp"
#include "core/state_alloc.hpp"

#include <cstdint>
#include <vector>

namespace dmine::context {

constexpr std::int64_t kMaxTopLines = 1000000;

class TopLines {
public:
    explicit TopLines(std::int64_t k);
    void add(double score, const std::uint8_t *payload, std::size_t size);
    void merge(const TopLines &other);
    void serialize(ByteWriter &out) const;
    static TopLines deserialize(ByteReader &in);
    // The kept lines, highest score first: (score, payload).
    std::vector<std::pair<double, std::vector<std::uint8_t>>> result() const;
    std::int64_t k() const noexcept { return k_; }

private:
    struct Entry {
        double score;
        StateVector<std::uint8_t> payload;
    };
    static bool before(const Entry &a, const Entry &b); // a ranks higher than b
    void prune();
    std::int64_t k_;
    StateVector<Entry> entries_;
};

} // namespace dmine::context
