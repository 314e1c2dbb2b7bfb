// Fitting a context summary from the grouped counts, and assessing lines against it.
#include "context/context_summary.hpp"

#include "core/errors.hpp"
#include "core/interrupt.hpp"
#include "core/rng.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace dmine::context {

namespace {

constexpr double kTimeSmoothing = 0.1; // pseudo-count per bin
constexpr double kTimeSupport = 0.005; // time: a bin with at most this share counts as empty
constexpr double kPriorShare = 0.05;   // time: weight of the overall profile in a group's

Group fit_group(const Options &options, const GroupCounts &counts, std::string key) {
    Group g;
    g.key = std::move(key);
    g.n = counts.n;
    if (options.kind == Kind::Time) {
        for (const auto &b : counts.buckets) g.bins[b.key] = b.count;
        return g;
    }
    std::uint64_t half = (counts.n + 1) / 2, seen = 0;
    for (const auto &b : counts.buckets) {
        seen += b.count;
        if (seen >= half) {
            g.center = bucket_center(options.scale, b.key);
            break;
        }
    }
    // Percentiles 1, 10, 90, 99: a Laplace law puts the q-th at c + b ln(2 (1 - q)) below the
    // centre and c + b ln(1 / (2 (1 - q))) above it.
    const double levels[4] = {0.01, 0.10, 0.90, 0.99};
    double t[4] = {g.center, g.center, g.center, g.center};
    std::uint64_t ranks[4];
    for (int i = 0; i < 4; i++)
        ranks[i] =
            std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(levels[i] * counts.n)));
    seen = 0;
    for (const auto &b : counts.buckets) {
        double v = bucket_center(options.scale, b.key);
        for (int i = 0; i < 4; i++)
            if (seen < ranks[i] && seen + b.count >= ranks[i]) t[i] = v;
        seen += b.count;
        g.spread_sum += static_cast<double>(b.count) * std::fabs(v - g.center);
    }
    // The scale is at least what the percentiles give: a value repeated on most lines (a quantity
    // of 1) would otherwise leave a spread near 0 and make every other value look extreme.
    // Percentiles that a few extreme lines (anomalies) cannot move: 10/90 from 50 lines, 1/99
    // from 1,000.
    double by_percentiles = 0;
    if (counts.n >= 50) by_percentiles = std::max(g.center - t[1], t[2] - g.center) / std::log(5.0);
    if (counts.n >= 1000)
        by_percentiles = std::max({by_percentiles, (g.center - t[0]) / std::log(50.0),
                                   (t[3] - g.center) / std::log(50.0)});
    g.spread_sum = std::max(g.spread_sum, static_cast<double>(counts.n) * by_percentiles);
    return g;
}

// The scale the percentiles of the lines' deviations from their group's median give (groups of
// at least min_rows lines; else all lines from the overall median), as fit_group does.
double pooled_spread(const Options &options, const ContextState &state) {
    std::vector<std::pair<double, std::uint64_t>> pairs;
    std::uint64_t n = 0;
    auto add = [&](const GroupCounts &c) {
        double center = 0;
        std::uint64_t half = (c.n + 1) / 2, seen = 0;
        for (const auto &b : c.buckets) {
            seen += b.count;
            if (seen >= half) {
                center = bucket_center(options.scale, b.key);
                break;
            }
        }
        for (const auto &b : c.buckets)
            pairs.emplace_back(bucket_center(options.scale, b.key) - center, b.count);
        n += c.n;
    };
    std::size_t i = 0;
    for (const auto &[key, counts] : state.groups()) {
        if ((++i & 1023) == 0) check_interrupts();
        if (counts.n >= static_cast<std::uint64_t>(options.min_rows)) add(counts);
    }
    if (n == 0) add(state.overall());
    if (n < 50) return 0;
    std::sort(pairs.begin(), pairs.end());
    const double levels[4] = {0.01, 0.10, 0.90, 0.99};
    double t[4] = {0, 0, 0, 0};
    std::uint64_t seen = 0;
    for (const auto &[v, count] : pairs) {
        for (int k = 0; k < 4; k++) {
            auto rank = std::max<std::uint64_t>(
                1, static_cast<std::uint64_t>(std::ceil(levels[k] * static_cast<double>(n))));
            if (seen < rank && seen + count >= rank) t[k] = v;
        }
        seen += count;
    }
    double by = std::max(-t[1], t[2]) / std::log(5.0);
    if (n >= 1000) by = std::max({by, -t[0] / std::log(50.0), t[3] / std::log(50.0)});
    return std::max(0.0, by);
}

// The scale b of a group's deviations (value kind), as assess_value_in takes it without leaving
// a line out.
double group_scale(const Options &options, const Group &g, double pooled, bool overall) {
    double b = g.n ? g.spread_sum / static_cast<double>(g.n) : 0.0;
    double floor =
        options.scale == Scale::Log ? options.min_spread : options.min_spread * std::fabs(g.center);
    if (!overall) b = std::max(b, pooled);
    return std::max({b, floor, 1e-12});
}

// Appends the deviations z = (t - c) / b of a group's buckets.
void add_deviations(const Options &options, const GroupCounts &counts, const Group &g, double b,
                    std::vector<std::pair<double, std::uint64_t>> &out) {
    for (const auto &bucket : counts.buckets)
        out.emplace_back((bucket_center(options.scale, bucket.key) - g.center) / b, bucket.count);
}

// The calibrated tail of the deviations: knots at the quantiles of tail 1, 10^(-1/8), ...,
// kTailLevel with their exact tail (ties included), then the scale of the excess beyond the last
// knot (its mean). Sorts `pairs` unless `sorted`.
Tail build_tail(std::vector<std::pair<double, std::uint64_t>> &pairs, bool sorted = false) {
    Tail tail;
    std::uint64_t n = 0;
    for (const auto &p : pairs) n += p.second;
    if (n < kTailMinLines) return tail;
    if (!sorted) std::sort(pairs.begin(), pairs.end());
    const double dn = static_cast<double>(n);
    std::size_t i = 0, last = 0;
    std::uint64_t before = 0, last_before = 0; // lines below pairs[i], below the last knot
    constexpr int kKnots = 16;
    for (int k = 0; k <= kKnots; k++) {
        double p = std::pow(kTailLevel, static_cast<double>(k) / kKnots);
        auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil((1 - p) * dn)));
        while (before + pairs[i].second < rank) before += pairs[i++].second;
        if (!tail.z.empty() && pairs[i].first <= tail.z.back()) continue;
        last = i; // the first pair of this value: its tail counts every line of the value
        last_before = before;
        while (last > 0 && pairs[last - 1].first == pairs[i].first)
            last_before -= pairs[--last].second;
        tail.z.push_back(pairs[i].first);
        tail.s.push_back(-std::log(static_cast<double>(n - last_before) / dn));
    }
    // The mean excess over the last knot of the lines at or beyond it: the maximum-likelihood
    // scale of an exponential tail (extreme lines, anomalies among them, only make it heavier).
    double excess = 0;
    for (std::size_t j = last; j < pairs.size(); j++)
        excess += static_cast<double>(pairs[j].second) * (pairs[j].first - pairs[last].first);
    tail.scale = excess / static_cast<double>(n - last_before);
    return tail;
}

// Negates the values of sorted pairs and keeps them in the order std::sort gives (the values
// reversed, equal values by increasing count): the low tail without sorting again.
void negate_sorted(std::vector<std::pair<double, std::uint64_t>> &pairs) {
    for (auto &p : pairs) p.first = -p.first;
    std::reverse(pairs.begin(), pairs.end());
    for (std::size_t i = 0, j; i < pairs.size(); i = j) {
        for (j = i + 1; j < pairs.size() && pairs[j].first == pairs[i].first;) j++;
        std::reverse(pairs.begin() + static_cast<std::ptrdiff_t>(i),
                     pairs.begin() + static_cast<std::ptrdiff_t>(j));
    }
}

double clamp_surprise(double s) {
    if (!(s >= 0)) return 0;
    return std::min(s, kMaxSurprise);
}

// The bin frequencies of `first`..`first + count`; with `cyclic`, smoothed over the neighbouring
// bins (1/4, 1/2, 1/4).
std::array<double, kTimeBins> bin_frequencies(const std::array<std::uint64_t, kTimeBins> &bins,
                                              int first, int count, bool cyclic) {
    std::array<double, kTimeBins> f{};
    for (int b = 0; b < count; b++) {
        double c = static_cast<double>(bins[first + b]);
        if (cyclic)
            c = 0.5 * c + 0.25 * static_cast<double>(bins[first + (b + count - 1) % count]) +
                0.25 * static_cast<double>(bins[first + (b + 1) % count]);
        f[b] = c;
    }
    return f;
}

// The total of prior frequencies as bin_surprise weighs them (kTimeSmoothing added per bin).
double prior_total(const std::array<double, kTimeBins> &g, int count) {
    double total = 0;
    for (int b = 0; b < count; b++) total += g[b] + kTimeSmoothing;
    return total;
}

// -ln P(bin of a line at most as frequent as `bin`), among `first`..`first + count` bins. A group
// (`prior` set: the overall profile's frequencies of those bins, and their total) gets
// `prior_lines` pseudo-lines spread like the overall profile; the overall group kTimeSmoothing
// per bin.
double bin_surprise(const std::array<std::uint64_t, kTimeBins> &bins, int first, int count, int bin,
                    bool cyclic, const std::array<double, kTimeBins> *prior, double prior_total,
                    double prior_lines) {
    auto f = bin_frequencies(bins, first, count, cyclic);
    double total = 0;
    for (int b = 0; b < count; b++) {
        f[b] += prior ? prior_lines * ((*prior)[b] + kTimeSmoothing) / prior_total : kTimeSmoothing;
        total += f[b];
    }
    double p = 0;
    for (int b = 0; b < count; b++)
        if (f[b] <= f[bin - first]) p += f[b] / total;
    return clamp_surprise(-std::log(std::min(1.0, p)));
}

// A bin holding at most kTimeSupport of the group's lines (at least one line) is no evidence
// that the group sells at that hour: a few stray lines, the anomalies among them, count as
// none (leaving the line out is not enough when a store holds several of them).
void without_stray(std::array<std::uint64_t, kTimeBins> &b, std::uint64_t lines) {
    auto support = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(kTimeSupport * static_cast<double>(lines)));
    for (auto &c : b)
        if (c <= support) c = 0;
}

} // namespace

void IntIndex::reset(std::size_t keys) {
    std::size_t capacity = 16;
    while (capacity < 2 * keys) capacity *= 2;
    slots_.assign(capacity, Slot{});
}

void IntIndex::insert(std::int64_t key, std::size_t value) {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = mix64(static_cast<std::uint64_t>(key)) & mask;
    while (slots_[i].value != npos) i = (i + 1) & mask;
    slots_[i] = Slot{key, value};
}

std::size_t IntIndex::find(std::int64_t key) const noexcept {
    if (slots_.empty()) return npos;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = mix64(static_cast<std::uint64_t>(key)) & mask;; i = (i + 1) & mask) {
        const Slot &s = slots_[i];
        if (s.value == npos || s.key == key) return s.value;
    }
}

double Tail::surprise(double x, double floor) const {
    if (z.empty()) return x >= 0 ? x + std::log(2.0) : -std::log1p(-0.5 * std::exp(x));
    if (x <= z.front()) return s.front();
    if (x >= z.back()) return s.back() + (x - z.back()) / std::max({scale, floor, 1e-12});
    auto it = std::upper_bound(z.begin(), z.end(), x);
    std::size_t j = static_cast<std::size_t>(it - z.begin());
    double w = (x - z[j - 1]) / (z[j] - z[j - 1]);
    return s[j - 1] + w * (s[j] - s[j - 1]);
}

Side parse_side(const std::string &side) {
    if (side == "both") return Side::Both;
    if (side == "high") return Side::High;
    if (side == "low") return Side::Low;
    fail(ErrorKind::InvalidParameter, "side must be 'both', 'high' or 'low', got '" + side + "'");
}

Summary Summary::fit(const ContextState &state) {
    Summary s;
    s.options_ = state.options();
    s.skipped_ = state.skipped();
    s.rows_seen_ = state.overall().n + state.skipped();
    s.overall_ = fit_group(s.options_, state.overall(), std::string());
    if (s.options_.kind == Kind::Value) s.pooled_spread_ = pooled_spread(s.options_, state);
    s.groups_.reserve(state.groups().size());
    const bool value = s.options_.kind == Kind::Value;
    std::vector<std::pair<double, std::uint64_t>> deviations; // one side at a time: memory
    // The high tail, then the low one from the same deviations negated (sorted by then, when
    // they are enough for a tail).
    auto both_tails = [&](TailIndex high, TailIndex low) {
        s.tails_[high] = build_tail(deviations);
        negate_sorted(deviations);
        s.tails_[low] = build_tail(deviations, true);
        deviations.clear();
    };
    std::size_t i = 0;
    for (const auto &[key, counts] : state.groups()) {
        if ((++i & 1023) == 0) check_interrupts();
        s.groups_.push_back(fit_group(s.options_, counts, std::string(key.data(), key.size())));
        const Group &g = s.groups_.back();
        if (value && g.n >= static_cast<std::uint64_t>(s.options_.min_rows)) {
            double b = group_scale(s.options_, g, s.pooled_spread_, false);
            add_deviations(s.options_, counts, g, b, deviations);
        }
    }
    if (value) {
        both_tails(kGroupHigh, kGroupLow);
        double b = group_scale(s.options_, s.overall_, 0, true);
        add_deviations(s.options_, state.overall(), s.overall_, b, deviations);
        both_tails(kOverallHigh, kOverallLow);
    }
    std::sort(s.groups_.begin(), s.groups_.end(),
              [](const Group &a, const Group &b) { return a.key < b.key; });
    s.index();
    return s;
}

void Summary::index() {
    by_key_.clear();
    by_key_.reserve(groups_.size());
    by_int_.reset(groups_.size());
    for (std::size_t i = 0; i < groups_.size(); i++) {
        const std::string &k = groups_[i].key;
        by_key_.emplace(std::string_view(k), i);
        std::int64_t v;
        auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), v);
        if (ec == std::errc() && end == k.data() + k.size() && std::to_string(v) == k)
            by_int_.insert(v, i);
    }
    time_memo_.clear();
    if (options_.kind != Kind::Time) return;
    auto overall_bins = overall_.bins;
    without_stray(overall_bins, overall_.n);
    prior_hours_ = bin_frequencies(overall_bins, 0, 24, true);
    prior_days_ = bin_frequencies(overall_bins, 24, 7, false);
    prior_hours_total_ = prior_total(prior_hours_, 24);
    prior_days_total_ = prior_total(prior_days_, 7);
}

const Group *Summary::find(std::string_view key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : &groups_[it->second];
}

const Group *Summary::find(std::int64_t key) const {
    std::size_t i = by_int_.find(key);
    return i == IntIndex::npos ? nullptr : &groups_[i];
}

const Group *Summary::find(const std::string *key) const {
    return key ? find(std::string_view(*key)) : &overall_;
}

std::optional<Assessment> Summary::assess_value(const std::string *key, double x, Side side,
                                                bool leave_out) const {
    if (options_.kind != Kind::Value)
        fail(ErrorKind::InvalidParameter, "this context summary counts times, not values", {},
             "Pass a timestamp.");
    return assess_value_in(find(key), x, side, leave_out);
}

std::optional<Assessment> Summary::assess_value_in(const Group *g, double x, Side side,
                                                   bool leave_out) const {
    const bool overall = g == &overall_;
    if (!g || !std::isfinite(x)) return std::nullopt;
    if (options_.scale == Scale::Log && !(x > 0)) return std::nullopt;
    double t = options_.scale == Scale::Log ? std::log(x) : x;
    std::uint64_t n = g->n - (leave_out && g->n > 0 ? 1 : 0);
    if (n < 1 || (!overall && n < static_cast<std::uint64_t>(options_.min_rows)))
        return std::nullopt;
    double d = t - g->center;
    std::int32_t bucket;
    double own = leave_out && value_bucket(options_.scale, x, bucket)
                     ? std::fabs(bucket_center(options_.scale, bucket) - g->center)
                     : 0.0;
    double b = std::max(0.0, g->spread_sum - own) / static_cast<double>(n);
    double floor = options_.scale == Scale::Log ? options_.min_spread
                                                : options_.min_spread * std::fabs(g->center);
    if (!overall) b = std::max(b, pooled_spread_);
    b = std::max({b, floor, 1e-12});
    Assessment a;
    a.overall = overall;
    a.group = g;
    a.lines = n;
    a.spread = b;
    a.typical = options_.scale == Scale::Log ? std::exp(g->center) : g->center;
    a.ratio = options_.scale == Scale::Log ? std::exp(d) : d / b;
    // The calibrated tails of z (Laplace when the lines were too few to calibrate); beyond the
    // last knot the scale is at least min_spread (in z units: floor / b).
    double z = d / b, fz = floor / b;
    const Tail &high = tails_[overall ? kOverallHigh : kGroupHigh];
    const Tail &low = tails_[overall ? kOverallLow : kGroupLow];
    if (side == Side::High) {
        a.surprise = clamp_surprise(high.surprise(z, fz));
    } else if (side == Side::Low) {
        a.surprise = clamp_surprise(low.surprise(-z, fz));
    } else { // P(Z >= |z|) + P(Z <= -|z|)
        double sh = high.surprise(std::fabs(z), fz), sl = low.surprise(std::fabs(z), fz);
        double m = std::min(sh, sl);
        a.surprise = clamp_surprise(m - std::log1p(std::exp(-std::fabs(sh - sl))));
    }
    return a;
}

std::optional<Assessment> Summary::assess_time(const std::string *key, std::int64_t timestamp,
                                               bool leave_out) const {
    if (options_.kind != Kind::Time)
        fail(ErrorKind::InvalidParameter, "this context summary describes values, not times", {},
             "Pass a number.");
    return assess_time_in(find(key), timestamp, leave_out);
}

std::optional<Assessment> Summary::assess_time_in(const Group *g, std::int64_t timestamp,
                                                  bool leave_out) const {
    const bool overall = g == &overall_;
    if (!g) return std::nullopt;
    std::uint64_t n = g->n - (leave_out && g->n > 0 ? 1 : 0);
    if (n < 1 || (!overall && n < static_cast<std::uint64_t>(options_.min_rows)))
        return std::nullopt;
    int hour, weekday;
    time_bins(timestamp, hour, weekday);
    Assessment a;
    a.overall = overall;
    a.group = g;
    a.lines = n;
    a.hour = hour;
    a.weekday = weekday;
    auto [sh, hour_share] = time_part(*g, n, hour, leave_out);
    auto [sd, day_share] = time_part(*g, n, 24 + weekday, leave_out);
    a.typical = hour_share;
    a.spread = day_share;
    a.by_weekday = sd > sh;
    a.surprise = std::max(sh, sd);
    return a;
}

std::pair<double, double> Summary::time_part(const Group &g, std::uint64_t n, int bin,
                                             bool leave_out) const {
    std::size_t gi =
        &g == &overall_ ? groups_.size() : static_cast<std::size_t>(&g - groups_.data());
    if (groups_.size() >= kTimeMemoGroups || gi > groups_.size())
        return compute_time_part(g, n, bin, leave_out);
    if (time_memo_.empty())
        time_memo_.assign((groups_.size() + 1) * 2 * kTimeBins, {std::nan(""), std::nan("")});
    auto &m =
        time_memo_[(gi * 2 + (leave_out ? 1 : 0)) * kTimeBins + static_cast<std::size_t>(bin)];
    if (std::isnan(m[0])) {
        auto [s, share] = compute_time_part(g, n, bin, leave_out);
        m = {s, share};
    }
    return {m[0], m[1]};
}

// The line's bin (counted once less when left out), stray bins emptied; a group's profile is
// mixed with the overall one (kPriorShare of its lines, at least kPrior pseudo-lines): an hour
// common in all lines is never absurd for one store.
std::pair<double, double> Summary::compute_time_part(const Group &g, std::uint64_t n, int bin,
                                                     bool leave_out) const {
    auto bins = g.bins;
    if (leave_out && bins[bin]) bins[bin]--;
    without_stray(bins, n);
    const bool overall = &g == &overall_, hours = bin < 24;
    double prior_lines = std::max(kPrior, kPriorShare * static_cast<double>(n));
    const auto *prior = overall ? nullptr : hours ? &prior_hours_ : &prior_days_;
    double surprise = bin_surprise(bins, hours ? 0 : 24, hours ? 24 : 7, bin, hours, prior,
                                   hours ? prior_hours_total_ : prior_days_total_, prior_lines);
    return {surprise, static_cast<double>(bins[bin]) / static_cast<double>(n)};
}

std::optional<double> Summary::typical(const std::string *key) const {
    if (options_.kind != Kind::Value)
        fail(ErrorKind::InvalidParameter, "a time context summary has no typical value");
    const Group *g = find(key);
    if (!g || g->n < 1 || (key && g->n < static_cast<std::uint64_t>(options_.min_rows)))
        return std::nullopt;
    return options_.scale == Scale::Log ? std::exp(g->center) : g->center;
}

} // namespace dmine::context
