// Bottom-k point store with exact moments.
#include "kmeans/kmeans_sample.hpp"

#include "core/errors.hpp"
#include "core/interrupt.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_set>

namespace dmine::kmeans {
namespace {

constexpr std::uint64_t kMaxBytes = 256ull << 20; // kept points use at most this much memory
constexpr int kMaxDim = 100000;

void check_dim(int expected, int got) {
    if (expected != got)
        fail(ErrorKind::DimensionMismatch, "feature arrays have different lengths",
             "Expected " + std::to_string(expected) + " features, got " + std::to_string(got) + ".",
             "Every row must have the same number of features.");
}

} // namespace

// Near the ends of the double range a deviation can overflow: the mean is then updated as a
// weighted sum of finite terms and m2 saturates at Infinity (the trainer then takes the spread
// of such a feature from the kept points).
void Moments::add(const double *x) {
    std::size_t d = mean.size();
    count++;
    double inv = 1.0 / static_cast<double>(count);
    for (std::size_t j = 0; j < d; j++) {
        double delta = x[j] - mean[j];
        if (std::isfinite(delta)) {
            mean[j] += delta * inv;
            m2[j] += delta * (x[j] - mean[j]);
        } else {
            mean[j] = mean[j] - mean[j] * inv + x[j] * inv;
            m2[j] = std::numeric_limits<double>::infinity();
        }
    }
}

void Moments::merge(const Moments &o) {
    if (o.count == 0) return;
    if (count == 0) {
        *this = o;
        return;
    }
    double na = static_cast<double>(count), nb = static_cast<double>(o.count), n = na + nb;
    for (std::size_t j = 0; j < mean.size(); j++) {
        double delta = o.mean[j] - mean[j];
        if (std::isfinite(delta)) {
            mean[j] += delta * nb / n;
            m2[j] += o.m2[j] + delta * delta * na * nb / n;
        } else {
            mean[j] = mean[j] * (na / n) + o.mean[j] * (nb / n);
            m2[j] = std::numeric_limits<double>::infinity();
        }
    }
    count += o.count;
}

std::vector<double> Moments::sd() const {
    std::vector<double> out(mean.size(), 0.0);
    if (count == 0) return out;
    for (std::size_t j = 0; j < mean.size(); j++)
        out[j] = std::sqrt(std::max(0.0, m2[j]) / static_cast<double>(count));
    return out;
}

std::uint64_t PointSample::checked_size(std::uint64_t sample_size) {
    require(sample_size >= 1, ErrorKind::InvalidParameter, "sample_size must be at least 1");
    return sample_size;
}

std::uint64_t PointSample::budget_for(std::uint64_t sample_size, int dim) {
    std::uint64_t by_memory = kMaxBytes / (2 * (8 * static_cast<std::uint64_t>(dim) + 8));
    return std::min(sample_size, std::max<std::uint64_t>(1, by_memory));
}

std::size_t PointSample::size() const {
    return static_cast<std::size_t>(std::min<std::uint64_t>(rows(), budget_));
}

void PointSample::append(const double *x, std::uint64_t key) {
    if (keys_.size() == keys_.capacity()) { // grow geometrically, never past the buffer's size
        std::size_t cap =
            std::min<std::size_t>(2 * budget_, std::max<std::size_t>(2 * keys_.size(), 64));
        keys_.reserve(cap);
        values_.reserve(cap * dim_);
    }
    values_.insert(values_.end(), x, x + dim_);
    keys_.push_back(key);
    // Buffer up to twice the budget, then keep the smallest keys: amortised O(1) per row.
    if (keys_.size() >= 2 * budget_) compact(budget_);
}

void PointSample::add(const double *x, int dim) {
    if (dim_ == 0) {
        if (dim < 1)
            fail(ErrorKind::DimensionMismatch, "feature array is empty", {},
                 "Pass at least one feature per row.");
        if (dim > kMaxDim)
            fail(ErrorKind::DimensionMismatch, "too many features",
                 "At most " + std::to_string(kMaxDim) + " features are supported.");
        dim_ = dim;
        budget_ = budget_for(sample_size_, dim);
        moments_.mean.assign(dim, 0.0);
        moments_.m2.assign(dim, 0.0);
        rng_ = Rng(partial_stream(stream_key_, x, dim));
    }
    check_dim(dim_, dim);
    for (int j = 0; j < dim; j++)
        if (!std::isfinite(x[j]))
            fail(ErrorKind::Data, "features must be finite numbers",
                 "Element " + std::to_string(j + 1) + " is " +
                     (std::isnan(x[j]) ? "NaN" : "infinite") + ".",
                 "Filter out or impute NaN and infinite values.");
    moments_.add(x);
    std::uint64_t key = rng_.next();
    if (key <= threshold_) append(x, key);
}

std::vector<std::uint32_t> PointSample::selection(std::size_t target) const {
    std::vector<std::uint32_t> order(keys_.size());
    std::iota(order.begin(), order.end(), 0u);
    if (keys_.size() <= target) return order;
    std::nth_element(order.begin(), order.begin() + (target - 1), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return keys_[a] < keys_[b]; });
    std::vector<char> kept(keys_.size(), 0); // back to ascending positions in O(n), no sort
    for (std::size_t i = 0; i < target; i++) kept[order[i]] = 1;
    order.clear();
    for (std::uint32_t i = 0; i < kept.size(); i++)
        if (kept[i]) order.push_back(i);
    return order;
}

void PointSample::compact(std::size_t target) {
    if (keys_.size() <= target) return;
    std::vector<std::uint32_t> keep = selection(target);
    std::uint64_t max_key = 0;
    const std::size_t d = static_cast<std::size_t>(dim_);
    for (std::size_t i = 0; i < keep.size(); i++) { // keep[i] >= i: moving forward is safe
        if (keep[i] != i) {
            std::copy_n(values_.begin() + keep[i] * d, d, values_.begin() + i * d);
            keys_[i] = keys_[keep[i]];
        }
        max_key = std::max(max_key, keys_[i]);
    }
    values_.resize(keep.size() * d);
    keys_.resize(keep.size());
    threshold_ = max_key;
}

void PointSample::merge(const PointSample &o) {
    if (o.dim_ == 0) {
        nulls_ += o.nulls_;
        return;
    }
    if (dim_ == 0) {
        std::uint64_t nulls = nulls_;
        Rng rng = rng_;
        *this = o;
        nulls_ += nulls;
        rng_ = rng;
        return;
    }
    check_dim(dim_, o.dim_);
    budget_ = std::min(budget_, o.budget_);
    threshold_ = std::min(threshold_, o.threshold_);
    const std::size_t d = static_cast<std::size_t>(dim_);
    values_.reserve(values_.size() + o.values_.size());
    keys_.reserve(keys_.size() + o.keys_.size());
    for (std::size_t i = 0; i < o.keys_.size(); i++)
        if (o.keys_[i] <= threshold_) {
            values_.insert(values_.end(), o.values_.begin() + i * d,
                           o.values_.begin() + (i + 1) * d);
            keys_.push_back(o.keys_[i]);
        }
    moments_.merge(o.moments_);
    nulls_ += o.nulls_;
    // Our own rows above the new threshold cannot be in the sample either; compact drops them.
    compact(std::min<std::size_t>(budget_, keys_.size()));
    std::size_t kept = 0;
    for (std::size_t i = 0; i < keys_.size(); i++)
        if (keys_[i] <= threshold_) {
            if (kept != i) {
                std::copy_n(values_.begin() + i * d, d, values_.begin() + kept * d);
                keys_[kept] = keys_[i];
            }
            kept++;
        }
    values_.resize(kept * d);
    keys_.resize(kept);
}

std::size_t count_distinct_upto(const Matrix &x, std::size_t limit) {
    const auto d = static_cast<std::size_t>(x.cols());
    auto row = [&](Eigen::Index i) { return x.row(i).data(); };
    auto hash = [&](Eigen::Index i) {
        std::uint64_t h = 0x9e3779b97f4a7c15ULL;
        for (std::size_t j = 0; j < d; j++) {
            double v = row(i)[j] == 0 ? 0.0 : row(i)[j]; // -0 and 0 are the same point
            std::uint64_t bits;
            std::memcpy(&bits, &v, sizeof bits);
            h = mix64(h ^ bits);
        }
        return static_cast<std::size_t>(h);
    };
    auto equal = [&](Eigen::Index a, Eigen::Index b) {
        return std::equal(row(a), row(a) + d, row(b));
    };
    std::unordered_set<Eigen::Index, decltype(hash), decltype(equal)> seen(16, hash, equal);
    for (Eigen::Index i = 0; i < x.rows() && seen.size() < limit; i++) {
        if ((i & 8191) == 0) check_interrupts();
        seen.insert(i);
    }
    return seen.size();
}

std::vector<Eigen::Index> random_subset(Eigen::Index n, std::uint64_t size, Rng &rng) {
    auto m =
        static_cast<Eigen::Index>(std::min<std::uint64_t>(size, static_cast<std::uint64_t>(n)));
    std::unordered_set<Eigen::Index> chosen; // Floyd's algorithm: O(m) memory whatever n is
    chosen.reserve(m);
    for (Eigen::Index j = n - m; j < n; j++) {
        auto t = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(j) + 1));
        chosen.insert(chosen.count(t) ? j : t);
    }
    std::vector<Eigen::Index> index(chosen.begin(), chosen.end());
    std::sort(index.begin(), index.end());
    return index;
}

Matrix PointSample::points(bool sorted) const {
    std::vector<std::uint32_t> order = selection(size()); // the buffer may hold twice the budget
    const int d = dim_;
    const double *v = values_.data();
    if (sorted)
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            return std::lexicographical_compare(v + std::size_t(a) * d, v + std::size_t(a) * d + d,
                                                v + std::size_t(b) * d, v + std::size_t(b) * d + d);
        });
    Matrix out(order.size(), d);
    for (std::size_t i = 0; i < order.size(); i++) {
        if (i % 8192 == 0) check_interrupts();
        std::copy_n(v + order[i] * static_cast<std::size_t>(d), d, out.row(i).data());
    }
    return out;
}

void PointSample::serialize(ByteWriter &out) const {
    out.put<std::uint64_t>(sample_size_);
    out.put<std::uint64_t>(seed_);
    out.put<std::int32_t>(dim_);
    out.put<std::uint64_t>(budget_);
    out.put<std::uint64_t>(nulls_);
    out.put<std::uint64_t>(moments_.count);
    out.put_vector(moments_.mean);
    out.put_vector(moments_.m2);
    // Only the sample itself: rows beyond the budget in the buffer cannot be in any merge.
    std::vector<std::uint32_t> keep = selection(std::min<std::size_t>(budget_, keys_.size()));
    std::uint64_t threshold = threshold_;
    if (keep.size() < keys_.size()) {
        threshold = 0;
        for (auto i : keep) threshold = std::max(threshold, keys_[i]);
    }
    std::vector<std::uint64_t> keys(keep.size());
    std::vector<double> values(keep.size() * dim_);
    for (std::size_t i = 0; i < keep.size(); i++) {
        keys[i] = keys_[keep[i]];
        std::copy_n(values_.begin() + std::size_t(keep[i]) * dim_, dim_, values.begin() + i * dim_);
    }
    out.put<std::uint64_t>(threshold);
    out.put_vector(keys);
    out.put_vector(values);
}

PointSample PointSample::deserialize(ByteReader &in) {
    auto sample_size = in.get<std::uint64_t>();
    auto seed = in.get<std::uint64_t>();
    if (sample_size < 1) fail(ErrorKind::Corrupted, "corrupted kmeans state: sample size");
    PointSample s(sample_size, seed, 0x5eed);
    s.dim_ = in.get<std::int32_t>();
    s.budget_ = in.get<std::uint64_t>();
    s.nulls_ = in.get<std::uint64_t>();
    s.moments_.count = in.get<std::uint64_t>();
    s.moments_.mean = in.get_vector<double, StateAllocator<double>>(kMaxDim);
    s.moments_.m2 = in.get_vector<double, StateAllocator<double>>(kMaxDim);
    s.threshold_ = in.get<std::uint64_t>();
    s.keys_ = in.get_vector<std::uint64_t, StateAllocator<std::uint64_t>>();
    s.values_ = in.get_vector<double, StateAllocator<double>>();
    bool ok = s.dim_ >= 0 && s.dim_ <= kMaxDim && s.moments_.mean.size() == std::size_t(s.dim_) &&
              s.moments_.m2.size() == std::size_t(s.dim_) &&
              s.values_.size() == s.keys_.size() * std::size_t(s.dim_) &&
              s.keys_.size() <= s.budget_ && s.keys_.size() <= s.moments_.count &&
              (s.dim_ > 0 || s.moments_.count == 0) &&
              s.moments_.count <= std::uint64_t(INT64_MAX) && // rows + NULLs are bigint in models
              s.nulls_ <= std::uint64_t(INT64_MAX) - s.moments_.count &&
              (s.dim_ == 0 || s.budget_ == budget_for(sample_size, s.dim_));
    if (!ok) fail(ErrorKind::Corrupted, "corrupted kmeans state");
    // Rows added after a round trip draw from a stream of the state's own rows and keys.
    s.rng_ =
        Rng(mix64(s.stream_key_ ^ mix64(s.moments_.count) ^ (s.keys_.empty() ? 0 : s.keys_[0])));
    return s;
}

} // namespace dmine::kmeans
