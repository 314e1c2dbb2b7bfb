// Exact dictionaries of keys for the exploration summaries: byte strings (a key's text or an
// integer's bytes) with a small tag, numbered 0, 1, 2... in order of first appearance.
#pragma once

#include "core/bytes.hpp"
#include "core/state_alloc.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace dmine::explore {

// A key as the glue hands it over: bytes, or NULL.
struct KeyRef {
    const char *data = nullptr;
    std::size_t size = 0;
    bool null = true;
};

std::uint64_t hash_key(std::uint16_t tag, const char *data, std::size_t size) noexcept;

class KeyDictionary {
public:
    static constexpr std::uint32_t kMaxKeys = 0x7fffffffu;

    // The number of (tag, bytes), added when new.
    std::uint32_t intern(std::uint16_t tag, const char *data, std::size_t size);
    std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(ends_.size()); }
    std::uint16_t tag(std::uint32_t id) const noexcept {
        std::uint16_t t;
        std::memcpy(&t, arena_.data() + (id == 0 ? 0 : ends_[id - 1]), 2);
        return t;
    }
    std::string_view bytes(std::uint32_t id) const noexcept {
        std::uint64_t start = (id == 0 ? 0 : ends_[id - 1]) + 2;
        return std::string_view(arena_.data() + start, ends_[id] - start);
    }
    bool equals(std::uint32_t id, std::uint16_t t, const char *data,
                std::size_t size) const noexcept {
        std::uint64_t start = id == 0 ? 0 : ends_[id - 1];
        if (ends_[id] - start != size + 2) return false;
        std::uint16_t own;
        std::memcpy(&own, arena_.data() + start, 2);
        return own == t && (size == 0 || std::memcmp(arena_.data() + start + 2, data, size) == 0);
    }

    void serialize(ByteWriter &out) const;
    static KeyDictionary deserialize(ByteReader &in); // checks: no duplicate, offsets in order

private:
    void grow();
    StateVector<char> arena_;          // per key: its tag (2 bytes) then its bytes
    StateVector<std::uint64_t> ends_;  // end offset in arena_ of each key
    StateVector<std::uint64_t> slots_; // (hash high 32 bits << 32) | (id + 1); 0 empty
};

// A set of 64-bit keys other than UINT64_MAX (open addressing, linear probing).
class KeySet {
public:
    bool insert(std::uint64_t key); // true when new
    // Room for n keys. Call it before inserting keys taken from another set: they come in hash
    // order, which clusters a smaller table (linear probing) into quadratic time.
    void reserve(std::size_t n);
    std::size_t size() const noexcept { return size_; }
    template <typename F> void for_each(F &&f) const {
        for (std::uint64_t k : slots_)
            if (k != kEmpty) f(k);
    }

private:
    static constexpr std::uint64_t kEmpty = UINT64_MAX;
    void rehash(std::size_t capacity);
    StateVector<std::uint64_t> slots_;
    std::size_t size_ = 0;
};

} // namespace dmine::explore
