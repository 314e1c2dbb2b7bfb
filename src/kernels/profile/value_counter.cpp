// Exact distinct counts and top values of a column while its values are few.
#include "profile/value_counter.hpp"

#include <algorithm>

namespace dmine {

ValueCounter::Slot *ValueCounter::find(std::uint64_t hash) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(hash * 0x9E3779B97F4A7C15ull >> 20) & mask;
    while (slots_[i].count != 0 && slots_[i].hash != hash) i = (i + 1) & mask;
    return &slots_[i];
}

void ValueCounter::grow() {
    StateVector<Slot> old;
    old.swap(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{0, 0, 0, 0});
    for (const Slot &s : old)
        if (s.count != 0) *find(s.hash) = s;
}

void ValueCounter::overflow() {
    overflowed_ = true;
    StateVector<Slot>().swap(slots_);
    StateVector<char>().swap(text_);
    last_ = kNone;
}

void ValueCounter::drop_texts() {
    texts_dropped_ = true;
    StateVector<char>().swap(text_);
}

bool ValueCounter::add(std::uint64_t hash, std::uint64_t count) {
    last_ = kNone;
    if (overflowed_) return false;
    if (slots_.empty()) grow();
    Slot *slot = find(hash);
    if (slot->count != 0) {
        slot->count += count;
        return false;
    }
    if (used_ == kMaxDistinct) {
        overflow();
        used_ = kMaxDistinct + 1;
        return false;
    }
    *slot = Slot{hash, count, 0, 0};
    used_++;
    if (used_ * 4 > slots_.size() * 3) {
        grow();
        slot = find(hash);
    }
    last_ = static_cast<std::size_t>(slot - slots_.data());
    return !texts_dropped_;
}

void ValueCounter::set_text(const char *text, std::size_t length) {
    if (last_ == kNone || texts_dropped_) return;
    if (text_.size() + length > kMaxTextBytes) {
        drop_texts();
        return;
    }
    slots_[last_].offset = static_cast<std::uint32_t>(text_.size());
    slots_[last_].length = static_cast<std::uint32_t>(length);
    text_.insert(text_.end(), text, text + length);
    last_ = kNone;
}

void ValueCounter::merge(const ValueCounter &other) {
    if (other.overflowed_) {
        if (!overflowed_) overflow();
        used_ = std::max(used_, other.used_);
        return;
    }
    if (other.texts_dropped_ && !texts_dropped_) drop_texts();
    for (const Slot &s : other.slots_) {
        if (s.count == 0) continue;
        if (add(s.hash, s.count)) set_text(other.text_.data() + s.offset, s.length);
        if (overflowed_) return;
    }
}

std::vector<std::pair<std::string, std::uint64_t>> ValueCounter::top(std::size_t n) const {
    std::vector<std::pair<std::string, std::uint64_t>> result;
    if (!texts_kept() || n == 0) return result;
    std::vector<const Slot *> order;
    for (const Slot &s : slots_)
        if (s.count != 0) order.push_back(&s);
    std::sort(order.begin(), order.end(),
              [](const Slot *a, const Slot *b) { return a->count > b->count; });
    for (std::size_t i = 0; i < order.size(); i++) {
        if (i >= n && order[i]->count < order[n - 1]->count) break;
        result.emplace_back(std::string(text_.data() + order[i]->offset, order[i]->length),
                            order[i]->count);
    }
    return result;
}

void ValueCounter::serialize(ByteWriter &out) const {
    out.put<std::uint8_t>(overflowed_);
    out.put<std::uint8_t>(texts_dropped_);
    out.put<std::uint64_t>(used_);
    std::vector<Slot> filled;
    for (const Slot &s : slots_)
        if (s.count != 0) filled.push_back(s);
    out.put_vector(filled);
    out.put_vector(text_);
}

ValueCounter ValueCounter::deserialize(ByteReader &in) {
    ValueCounter c;
    const bool overflowed = in.get<std::uint8_t>() != 0;
    c.texts_dropped_ = in.get<std::uint8_t>() != 0;
    const auto used = in.get<std::uint64_t>();
    auto filled = in.get_vector<Slot>(kMaxDistinct);
    auto text = in.get_vector<char>(kMaxTextBytes);
    if (overflowed ? (used <= kMaxDistinct || !filled.empty()) : used != filled.size())
        fail(ErrorKind::Corrupted, "corrupted value: distinct value counts");
    if (overflowed) {
        c.overflowed_ = true;
        c.used_ = used;
        return c;
    }
    c.text_.assign(text.begin(), text.end());
    for (const Slot &s : filled) {
        if (s.count == 0 ||
            (!c.texts_dropped_ && std::uint64_t{s.offset} + s.length > c.text_.size()))
            fail(ErrorKind::Corrupted, "corrupted value: distinct value texts");
        if (c.slots_.empty()) c.grow();
        Slot *slot = c.find(s.hash);
        if (slot->count != 0)
            fail(ErrorKind::Corrupted, "corrupted value: repeated distinct value");
        *slot = s;
        if (++c.used_ * 4 > c.slots_.size() * 3) c.grow();
    }
    return c;
}

} // namespace dmine
