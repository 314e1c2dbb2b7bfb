// KLL quantile sketch.
#include "sketch/kll.hpp"

#include "core/errors.hpp"
#include "core/rng.hpp"
#include "core/wide_range.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace dmine {

namespace {
constexpr std::size_t kMinLevelCapacity = 8;
constexpr std::size_t kEntryCapacity = 1024; // batches the sorting of new values
constexpr std::size_t kMaxLevels = 64;
constexpr std::size_t kMaxDepth = 8; // levels kept below the top before sampling starts
} // namespace

KllSketch::KllSketch(std::uint16_t k, std::uint32_t exact_limit)
    : k_(k), exact_limit_(exact_limit), levels_(1) {
    if (k < kMinLevelCapacity)
        fail(ErrorKind::InvalidParameter, "sketch size k must be at least 8");
    update_trigger();
}

// Partial sketches (parallel workers, Citus shards, stored daily summaries) all start from the
// same coin; mixing in their first values gives each its own random choices, so that their
// errors do not line up when they are merged. The same rows in the same order flip the same.
void KllSketch::mix_first_values() {
    const Level &items = levels_[0];
    std::uint64_t first = 0, last = 0;
    const double a = items.front() == 0 ? 0.0 : items.front(); // -0 as 0
    const double b = items.back() == 0 ? 0.0 : items.back();
    std::memcpy(&first, &a, sizeof first);
    std::memcpy(&last, &b, sizeof last);
    coin_ = mix64(coin_ ^ mix64(first ^ mix64(last ^ items.size())));
}

std::uint64_t KllSketch::flip() {
    coin_ = mix64(coin_);
    return coin_;
}

std::size_t KllSketch::capacity(std::size_t level) const {
    const std::size_t depth = levels_.size() - 1 - level;
    const double cap = std::ceil(k_ * std::pow(2.0 / 3.0, static_cast<double>(depth)));
    // A larger capacity never adds error; the wide entry level batches the sorting work.
    const std::size_t floor = level == entry_ ? kEntryCapacity : kMinLevelCapacity;
    return std::max(floor, static_cast<std::size_t>(cap));
}

void KllSketch::update_trigger() {
    std::uint64_t total = 0;
    for (std::size_t h = 0; h < levels_.size(); h++) total += capacity(h);
    // Exact mode: keep every value until the limit is passed.
    trigger_ = levels_.size() == 1 ? std::max<std::uint64_t>(total, exact_limit_ + 1) : total;
}

void KllSketch::compress() {
    // Compact the lowest over-full level until the sketch fits its capacity again.
    while (size_ >= trigger_) {
        std::size_t h = 0;
        while (h < levels_.size() && levels_[h].size() < capacity(h)) h++;
        if (h == levels_.size()) break;
        if (levels_.size() == 1) mix_first_values(); // leaving exact mode: once per sketch
        compact_level(h);
        if (levels_.size() - 1 - entry_ > kMaxDepth) raise_entry_level();
        update_trigger();
    }
}

void KllSketch::compact_level(std::size_t h) {
    if (h + 1 == levels_.size()) {
        if (levels_.size() >= kMaxLevels) fail(ErrorKind::Internal, "quantile sketch too deep");
        levels_.emplace_back();
    }
    auto &level = levels_[h];
    if (h == entry_) std::sort(level.begin(), level.end());
    // An odd item stays behind so that the level's weight is preserved exactly.
    double leftover = 0;
    const bool odd = level.size() % 2 == 1;
    if (odd) {
        leftover = level.back();
        level.pop_back();
    }
    const std::size_t offset = flip() & 1;
    Level promoted;
    promoted.reserve(level.size() / 2);
    for (std::size_t i = offset; i < level.size(); i += 2) promoted.push_back(level[i]);
    size_ -= level.size() - promoted.size();
    level.clear();
    if (odd) level.push_back(leftover);
    merge_sorted_into(levels_[h + 1], promoted);
}

// New values now land one level up, sampled one per block of 2^entry.
void KllSketch::raise_entry_level() {
    compact_level(entry_);
    entry_++;
    tail_ = 0;
    schedule_sample();
}

void KllSketch::schedule_sample() {
    const std::uint64_t block = std::uint64_t{1} << entry_;
    const std::uint64_t pick = flip() % block;
    skip_ = tail_ + pick;
    tail_ = block - 1 - pick;
}

void KllSketch::merge_sorted_into(Level &level, const Level &items) {
    scratch_.resize(level.size() + items.size());
    std::merge(level.begin(), level.end(), items.begin(), items.end(), scratch_.begin());
    level.swap(scratch_);
}

void KllSketch::merge(const KllSketch &other) {
    if (other.n_ == 0) return;
    while (levels_.size() < other.levels_.size()) levels_.emplace_back();
    const std::uint32_t entry = std::max(entry_, other.entry_);
    if (entry != entry_) std::sort(levels_[entry_].begin(), levels_[entry_].end());
    for (std::size_t h = 0; h < other.levels_.size(); h++) {
        auto &mine = levels_[h];
        if (h == entry) {
            mine.insert(mine.end(), other.levels_[h].begin(), other.levels_[h].end());
        } else if (h == other.entry_) {
            auto sorted = other.levels_[h];
            std::sort(sorted.begin(), sorted.end());
            merge_sorted_into(mine, sorted);
        } else {
            merge_sorted_into(mine, other.levels_[h]);
        }
    }
    if (entry != entry_) {
        entry_ = entry;
        tail_ = 0;
        schedule_sample();
    }
    n_ += other.n_;
    size_ += other.size_;
    coin_ ^= other.coin_;
    update_trigger();
    if (levels_.size() == 1 && n_ > exact_limit_) trigger_ = 0; // leave exact mode now
    compress();
    update_trigger();
}

KllSketch::WeightedItems KllSketch::sorted_items() const {
    std::vector<std::pair<double, std::uint64_t>> items;
    items.reserve(size_);
    for (std::size_t h = 0; h < levels_.size(); h++)
        for (double v : levels_[h]) items.emplace_back(v, std::uint64_t{1} << h);
    std::sort(items.begin(), items.end());
    WeightedItems out;
    out.values.reserve(items.size());
    out.weights.reserve(items.size());
    for (auto &[v, w] : items) {
        out.values.push_back(v);
        out.weights.push_back(w);
    }
    return out;
}

std::vector<double> KllSketch::quantiles(const std::vector<double> &ps) const {
    std::vector<double> result(ps.size(), std::numeric_limits<double>::quiet_NaN());
    for (double p : ps)
        if (!(p >= 0 && p <= 1))
            fail(ErrorKind::InvalidParameter, "quantile probabilities must lie in [0, 1]");
    if (size_ == 0) return result;
    const auto items = sorted_items();
    // Each item stands for a block of ranks; its position is the block's centre (0-based), so
    // with unit weights positions are 0, 1, 2, … and this is pandas' linear interpolation.
    std::vector<double> position(items.values.size());
    double before = 0;
    for (std::size_t i = 0; i < position.size(); i++) {
        const double w = static_cast<double>(items.weights[i]);
        position[i] = before + (w - 1) / 2;
        before += w;
    }
    const double last_rank = before - 1;
    for (std::size_t j = 0; j < ps.size(); j++) {
        const double target = ps[j] * last_rank;
        auto it = std::upper_bound(position.begin(), position.end(), target);
        if (it == position.begin()) {
            result[j] = items.values.front();
        } else if (it == position.end()) {
            result[j] = items.values.back();
        } else {
            const std::size_t hi = static_cast<std::size_t>(it - position.begin()), lo = hi - 1;
            const double frac = (target - position[lo]) / (position[hi] - position[lo]);
            result[j] = wide::lerp(items.values[lo], items.values[hi], frac);
        }
    }
    return result;
}

void KllSketch::serialize(ByteWriter &out) const {
    out.put(k_);
    out.put(exact_limit_);
    out.put(n_);
    out.put(coin_);
    out.put(entry_);
    out.put(skip_);
    out.put(tail_);
    out.put<std::uint32_t>(static_cast<std::uint32_t>(levels_.size()));
    for (const auto &level : levels_) out.put_vector(level);
}

KllSketch KllSketch::deserialize(ByteReader &in) {
    auto k = in.get<std::uint16_t>();
    auto exact_limit = in.get<std::uint32_t>();
    if (k < kMinLevelCapacity) fail(ErrorKind::Corrupted, "corrupted sketch: bad k");
    KllSketch s(k, exact_limit);
    s.n_ = in.get<std::uint64_t>();
    s.coin_ = in.get<std::uint64_t>();
    s.entry_ = in.get<std::uint32_t>();
    s.skip_ = in.get<std::uint64_t>();
    s.tail_ = in.get<std::uint64_t>();
    auto levels = in.get<std::uint32_t>();
    if (levels == 0 || levels > kMaxLevels || s.entry_ >= levels)
        fail(ErrorKind::Corrupted, "corrupted sketch: bad level count");
    const std::uint64_t block = std::uint64_t{1} << s.entry_;
    if (s.skip_ >= 2 * block || s.tail_ >= block)
        fail(ErrorKind::Corrupted, "corrupted sketch: bad sampler");
    s.levels_.clear();
    s.size_ = 0;
    double weight = 0;
    for (std::uint32_t h = 0; h < levels; h++) {
        s.levels_.push_back(in.get_vector<double, StateAllocator<double>>());
        s.size_ += s.levels_.back().size();
        weight += std::ldexp(static_cast<double>(s.levels_.back().size()), static_cast<int>(h));
        if (h != s.entry_ && !std::is_sorted(s.levels_.back().begin(), s.levels_.back().end()))
            fail(ErrorKind::Corrupted, "corrupted sketch: unsorted level");
    }
    // Sampled blocks make the retained weight differ from the count by about a block per merge.
    if (weight > 2.0 * (static_cast<double>(s.n_) + static_cast<double>(block)))
        fail(ErrorKind::Corrupted, "corrupted sketch: weights do not add up");
    s.update_trigger();
    return s;
}

} // namespace dmine
