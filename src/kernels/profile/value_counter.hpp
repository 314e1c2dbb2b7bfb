// Exact counts of a column's distinct values while they are few: an open-addressing table of
// 64-bit value hashes with their counts and the text of each value (for top values). Past
// kMaxDistinct values the table is dropped (only the count "more than kMaxDistinct" remains);
// past kMaxTextBytes of text the texts are dropped (the counts remain). Bounded memory.
#pragma once

#include "core/bytes.hpp"
#include "core/state_alloc.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dmine {

class ValueCounter {
public:
    static constexpr std::size_t kMaxDistinct = 12288;
    static constexpr std::size_t kMaxTextBytes = std::size_t{1} << 18;

    // Count `count` occurrences of the value of hash `hash`; true when the value is new and its
    // text is wanted (then call set_text).
    bool add(std::uint64_t hash, std::uint64_t count = 1);
    // The text of the value add() just reported new.
    void set_text(const char *text, std::size_t length);
    void merge(const ValueCounter &other);

    bool overflowed() const noexcept { return overflowed_; }
    bool texts_kept() const noexcept { return !overflowed_ && !texts_dropped_; }
    std::size_t distinct() const noexcept { return used_; }
    // The values by decreasing count: the first n and every value tied with the n-th.
    std::vector<std::pair<std::string, std::uint64_t>> top(std::size_t n) const;

    void serialize(ByteWriter &out) const;
    static ValueCounter deserialize(ByteReader &in);

private:
    struct Slot {
        std::uint64_t hash;
        std::uint64_t count; // 0: empty
        std::uint32_t offset;
        std::uint32_t length;
    };
    Slot *find(std::uint64_t hash);
    void grow();
    void overflow();
    void drop_texts();

    StateVector<Slot> slots_; // capacity a power of two, at most 3/4 full
    StateVector<char> text_;
    std::size_t used_ = 0;
    static constexpr std::size_t kNone = ~std::size_t{0};
    std::size_t last_ = kNone; // the slot add() just filled
    bool overflowed_ = false;
    bool texts_dropped_ = false;
};

} // namespace dmine
