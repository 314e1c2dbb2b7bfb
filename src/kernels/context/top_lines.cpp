// The k lines of highest score.
#include "context/top_lines.hpp"

#include "core/errors.hpp"
#include "core/interrupt.hpp"

#include <algorithm>
#include <cmath>

namespace dmine::context {

TopLines::TopLines(std::int64_t k) : k_(k) {
    if (k < 0 || k > kMaxTopLines)
        fail(ErrorKind::InvalidParameter, "the number of lines kept must be between 0 and 1000000");
}

bool TopLines::before(const Entry &a, const Entry &b) {
    if (a.score != b.score) return a.score > b.score;
    return std::lexicographical_compare(b.payload.begin(), b.payload.end(), a.payload.begin(),
                                        a.payload.end());
}

void TopLines::add(double score, const std::uint8_t *payload, std::size_t size) {
    if (k_ == 0 || std::isnan(score)) return;
    entries_.push_back(Entry{score, StateVector<std::uint8_t>(payload, payload + size)});
    if (static_cast<std::int64_t>(entries_.size()) >= 2 * k_ + 16) prune();
}

void TopLines::prune() {
    if (static_cast<std::int64_t>(entries_.size()) <= k_) return;
    check_interrupts();
    std::nth_element(entries_.begin(), entries_.begin() + k_, entries_.end(), before);
    entries_.erase(entries_.begin() + k_, entries_.end());
}

void TopLines::merge(const TopLines &other) {
    k_ = std::max(k_, other.k_);
    for (const auto &e : other.entries_) {
        entries_.push_back(e);
        if (static_cast<std::int64_t>(entries_.size()) >= 2 * k_ + 16) prune();
    }
}

void TopLines::serialize(ByteWriter &out) const {
    auto copy = *this;
    copy.prune();
    out.put<std::int64_t>(k_);
    out.put<std::uint64_t>(copy.entries_.size());
    for (const auto &e : copy.entries_) {
        out.put<double>(e.score);
        out.put_vector(e.payload);
    }
}

TopLines TopLines::deserialize(ByteReader &in) {
    auto k = in.get<std::int64_t>();
    if (k < 0 || k > kMaxTopLines)
        fail(ErrorKind::Corrupted, "corrupted top lines state: k out of range");
    TopLines t(k);
    auto count = in.get<std::uint64_t>();
    if (count > static_cast<std::uint64_t>(k) || count > in.remaining() / 16)
        fail(ErrorKind::Corrupted, "corrupted top lines state: count out of range");
    for (std::uint64_t i = 0; i < count; i++) {
        double score = in.get<double>();
        if (std::isnan(score)) fail(ErrorKind::Corrupted, "corrupted top lines state: NaN score");
        auto payload = in.get_vector<std::uint8_t, StateAllocator<std::uint8_t>>(1u << 30);
        t.entries_.push_back(Entry{score, std::move(payload)});
    }
    return t;
}

std::vector<std::pair<double, std::vector<std::uint8_t>>> TopLines::result() const {
    auto copy = *this;
    copy.prune();
    std::sort(copy.entries_.begin(), copy.entries_.end(), before);
    std::vector<std::pair<double, std::vector<std::uint8_t>>> out;
    out.reserve(copy.entries_.size());
    for (const auto &e : copy.entries_)
        out.emplace_back(e.score, std::vector<std::uint8_t>(e.payload.begin(), e.payload.end()));
    return out;
}

} // namespace dmine::context
