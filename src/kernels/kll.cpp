// KLL quantile sketch.
#include "kll.hpp"

#include "errors.hpp"
#include "rng.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dmine {

namespace {
constexpr std::size_t kMinLevelCapacity = 8;
constexpr std::size_t kMaxLevels = 64;
} // namespace

KllSketch::KllSketch(std::uint16_t k, std::uint32_t exact_limit)
    : k_(k), exact_limit_(exact_limit), levels_(1) {
    if (k < kMinLevelCapacity) fail(ErrorKind::InvalidParameter, "sketch size k must be at least 8");
    update_trigger();
}

std::size_t KllSketch::capacity(std::size_t level) const {
    const std::size_t depth = levels_.size() - 1 - level;
    const double cap = std::ceil(k_ * std::pow(2.0 / 3.0, static_cast<double>(depth)));
    return std::max(kMinLevelCapacity, static_cast<std::size_t>(cap));
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
        compact_level(h);
        update_trigger();
    }
}

void KllSketch::compact_level(std::size_t h) {
    if (h + 1 == levels_.size()) {
        if (levels_.size() >= kMaxLevels) fail(ErrorKind::Internal, "quantile sketch too deep");
        levels_.emplace_back();
    }
    auto &level = levels_[h];
    if (h == 0) std::sort(level.begin(), level.end()); // level 0 is kept unsorted
    // An odd item stays behind so that the level's weight is preserved exactly.
    double leftover = 0;
    const bool odd = level.size() % 2 == 1;
    if (odd) {
        leftover = level.back();
        level.pop_back();
    }
    coin_ = mix64(coin_);
    const std::size_t offset = coin_ & 1;
    std::vector<double> promoted;
    promoted.reserve(level.size() / 2);
    for (std::size_t i = offset; i < level.size(); i += 2) promoted.push_back(level[i]);
    size_ -= level.size() - promoted.size();
    level.clear();
    if (odd) level.push_back(leftover);
    auto &up = levels_[h + 1];
    const std::size_t middle = up.size();
    up.insert(up.end(), promoted.begin(), promoted.end());
    std::inplace_merge(up.begin(), up.begin() + middle, up.end());
}

void KllSketch::merge(const KllSketch &other) {
    if (other.n_ == 0) return;
    while (levels_.size() < other.levels_.size()) levels_.emplace_back();
    for (std::size_t h = 0; h < other.levels_.size(); h++) {
        auto &mine = levels_[h];
        const auto &theirs = other.levels_[h];
        const std::size_t middle = mine.size();
        mine.insert(mine.end(), theirs.begin(), theirs.end());
        if (h > 0) std::inplace_merge(mine.begin(), mine.begin() + middle, mine.end());
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
    if (n_ == 0) return result;
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
        const double p = ps[j];
        if (!(p >= 0 && p <= 1)) fail(ErrorKind::InvalidParameter, "quantile probabilities must lie in [0, 1]");
        const double target = p * last_rank;
        auto it = std::upper_bound(position.begin(), position.end(), target);
        if (it == position.begin()) {
            result[j] = items.values.front();
        } else if (it == position.end()) {
            result[j] = items.values.back();
        } else {
            const std::size_t hi = static_cast<std::size_t>(it - position.begin()), lo = hi - 1;
            const double frac = (target - position[lo]) / (position[hi] - position[lo]);
            result[j] = items.values[lo] + frac * (items.values[hi] - items.values[lo]);
        }
    }
    return result;
}

void KllSketch::serialize(ByteWriter &out) const {
    out.put(k_);
    out.put(exact_limit_);
    out.put(n_);
    out.put(coin_);
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
    auto levels = in.get<std::uint32_t>();
    if (levels == 0 || levels > kMaxLevels) fail(ErrorKind::Corrupted, "corrupted sketch: bad level count");
    s.levels_.clear();
    s.size_ = 0;
    std::uint64_t weight = 0;
    for (std::uint32_t h = 0; h < levels; h++) {
        s.levels_.push_back(in.get_vector<double>());
        s.size_ += s.levels_.back().size();
        weight += s.levels_.back().size() << h;
        if (h > 0 && !std::is_sorted(s.levels_.back().begin(), s.levels_.back().end()))
            fail(ErrorKind::Corrupted, "corrupted sketch: unsorted level");
    }
    if (weight != s.n_) fail(ErrorKind::Corrupted, "corrupted sketch: weights do not add up");
    s.update_trigger();
    return s;
}

} // namespace dmine
