// Exact key dictionaries and key sets (see key_dictionary.hpp).
#include "explore/key_dictionary.hpp"

#include "core/interrupt.hpp"
#include "core/rng.hpp"

#include <cstring>

namespace dmine::explore {

std::uint64_t hash_key(std::uint16_t tag, const char *data, std::size_t size) noexcept {
    std::uint64_t h = 0x9e3779b97f4a7c15ull ^ (std::uint64_t(tag) << 48) ^ size;
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t chunk;
        std::memcpy(&chunk, data + i, 8);
        h = mix64(h ^ chunk);
    }
    std::uint64_t tail = 0;
    if (i < size) std::memcpy(&tail, data + i, size - i);
    return mix64(h ^ tail ^ (std::uint64_t(size) << 56));
}

void KeyDictionary::grow() {
    std::size_t capacity = slots_.empty() ? 64 : slots_.size() * 2;
    StateVector<std::uint64_t> slots(capacity, 0);
    for (std::uint32_t id = 0; id < size(); id++) {
        if ((id & 0xffff) == 0xffff) check_interrupts();
        std::string_view b = bytes(id);
        std::uint64_t h = hash_key(tag(id), b.data(), b.size());
        std::size_t i = h & (capacity - 1);
        while (slots[i] != 0) i = (i + 1) & (capacity - 1);
        slots[i] = (h & 0xffffffff00000000ull) | (std::uint64_t(id) + 1);
    }
    slots_.swap(slots);
}

std::uint32_t KeyDictionary::intern(std::uint16_t t, const char *data, std::size_t size) {
    if ((std::uint64_t(ends_.size()) + 1) * 10 > slots_.size() * 7) grow();
    std::uint64_t h = hash_key(t, data, size);
    std::uint64_t high = h & 0xffffffff00000000ull;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        std::uint64_t s = slots_[i];
        if (s == 0) {
            if (ends_.size() >= kMaxKeys)
                fail(ErrorKind::InvalidParameter, "too many distinct keys in one summary");
            auto id = static_cast<std::uint32_t>(ends_.size());
            const char *tb = reinterpret_cast<const char *>(&t);
            arena_.insert(arena_.end(), tb, tb + 2);
            if (size) arena_.insert(arena_.end(), data, data + size);
            ends_.push_back(arena_.size());
            slots_[i] = high | (std::uint64_t(id) + 1);
            return id;
        }
        if ((s & 0xffffffff00000000ull) == high) {
            auto id = static_cast<std::uint32_t>((s & 0xffffffffu) - 1);
            if (equals(id, t, data, size)) return id;
        }
    }
}

void KeyDictionary::serialize(ByteWriter &out) const {
    out.put_vector(arena_);
    out.put_vector(ends_);
}

KeyDictionary KeyDictionary::deserialize(ByteReader &in) {
    auto arena = in.get_vector<char>();
    auto ends = in.get_vector<std::uint64_t>(kMaxKeys);
    KeyDictionary d;
    std::uint64_t start = 0;
    for (std::uint64_t end : ends) {
        if (end < start + 2 || end > arena.size())
            fail(ErrorKind::Corrupted, "corrupted summary: key offsets out of order");
        start = end;
    }
    if (start != arena.size()) fail(ErrorKind::Corrupted, "corrupted summary: stray key bytes");
    start = 0;
    for (std::uint64_t end : ends) {
        std::uint16_t t;
        std::memcpy(&t, arena.data() + start, 2);
        auto before = d.size();
        if (d.intern(t, arena.data() + start + 2, end - start - 2) != before)
            fail(ErrorKind::Corrupted, "corrupted summary: a key appears twice");
        start = end;
    }
    return d;
}

void KeySet::reserve(std::size_t n) {
    std::size_t capacity = slots_.empty() ? 256 : slots_.size();
    while (n * 5 > capacity * 4) capacity *= 2; // at most 80% full
    if (capacity > slots_.size()) rehash(capacity);
}

void KeySet::rehash(std::size_t capacity) {
    StateVector<std::uint64_t> slots(capacity, kEmpty);
    std::size_t n = 0;
    for (std::uint64_t k : slots_) {
        if ((++n & 0xfffff) == 0) check_interrupts();
        if (k == kEmpty) continue;
        std::size_t i = mix64(k) & (capacity - 1);
        while (slots[i] != kEmpty) i = (i + 1) & (capacity - 1);
        slots[i] = k;
    }
    slots_.swap(slots);
}

bool KeySet::insert(std::uint64_t key) {
    if ((size_ + 1) * 5 > slots_.size() * 4) rehash(slots_.empty() ? 256 : slots_.size() * 2);
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = mix64(key) & mask;; i = (i + 1) & mask) {
        if (slots_[i] == key) return false;
        if (slots_[i] == kEmpty) {
            slots_[i] = key;
            size_++;
            return true;
        }
    }
}

} // namespace dmine::explore
