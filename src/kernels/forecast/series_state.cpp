// dm_forecast's state: collecting, merging and bucketing the points of one series.
#include "forecast/series_state.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dmine::forecast {

namespace {

constexpr std::uint32_t kStateTag = 0x46434453; // "SDCF"

std::string index_text(TimeKind kind, std::int64_t key) {
    return (kind == TimeKind::Index ? "period index " : "time ") + std::to_string(key);
}

} // namespace

ForecastState::ForecastState(TimeKind kind, std::string options_text, std::int64_t horizon)
    : kind_(kind), options_text_(std::move(options_text)), horizon_(horizon),
      options_(parse_forecast_options(options_text_, horizon)) {
    if (kind_ == TimeKind::Index && options_.grain != Grain::None)
        fail(ErrorKind::InvalidParameter,
             "invalid forecast option: grain applies to date and timestamp times only", {},
             "A bigint time is a period number already.");
    if (kind_ == TimeKind::Date && options_.grain == Grain::Hour)
        fail(ErrorKind::InvalidParameter, "invalid forecast option: grain hour needs timestamps");
    bucketed_ = kind_ != TimeKind::Index && options_.grain != Grain::None;
}

std::int64_t ForecastState::key_of(std::int64_t t) const {
    return bucketed_ ? bucket_of(kind_, options_.grain, t) : t;
}

void ForecastState::add(std::int64_t t, double y) {
    if (!std::isfinite(y))
        fail(ErrorKind::Data,
             "forecast input value at " + index_text(kind_, t) + " is " +
                 (std::isnan(y) ? "NaN" : "infinite"),
             {}, "Leave such rows out, or give them a NULL value to skip them.");
    keys_.push_back(key_of(t));
    values_.push_back(y);
    rows_++;
    if (keys_.size() >= 2 * compacted_ + 4096) compact();
}

// Sort by key and sum equal keys (an error for a period index: a duplicate time).
void ForecastState::compact() {
    const std::size_t n = keys_.size();
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return keys_[a] < keys_[b]; });
    StateVector<std::int64_t> keys;
    StateVector<double> values;
    keys.reserve(n);
    values.reserve(n);
    for (std::size_t i : order) {
        if (!keys.empty() && keys.back() == keys_[i]) {
            if (kind_ == TimeKind::Index)
                fail(ErrorKind::Data,
                     "duplicate " + index_text(kind_, keys_[i]) + " in a forecast series", {},
                     "Each period index appears once; sum the values per period first.");
            values.back() += values_[i];
        } else {
            keys.push_back(keys_[i]);
            values.push_back(values_[i]);
        }
    }
    keys_ = std::move(keys);
    values_ = std::move(values);
    compacted_ = keys_.size();
    if (compacted_ > kMaxPoints)
        fail(ErrorKind::Data,
             "a forecast series has more than " + std::to_string(kMaxPoints) + " distinct times",
             {}, "Give a grain (for example {\"grain\": \"day\"}) so times are summed per period.");
}

void ForecastState::merge(const ForecastState &other) {
    if (other.kind_ != kind_ || other.horizon_ != horizon_ || other.options_text_ != options_text_)
        fail(ErrorKind::InvalidParameter,
             "forecast states with different time types, horizons or options cannot be combined");
    keys_.insert(keys_.end(), other.keys_.begin(), other.keys_.end());
    values_.insert(values_.end(), other.values_.begin(), other.values_.end());
    rows_ += other.rows_;
    nulls_ += other.nulls_;
    if (keys_.size() >= 2 * compacted_ + 4096) compact();
}

void ForecastState::serialize(ByteWriter &out) const {
    out.put<std::uint32_t>(kStateTag);
    out.put<std::uint8_t>(static_cast<std::uint8_t>(kind_));
    out.put_string(options_text_);
    out.put<std::int64_t>(horizon_);
    out.put<std::uint64_t>(rows_);
    out.put<std::uint64_t>(nulls_);
    out.put_vector(keys_);
    out.put_vector(values_);
}

ForecastState ForecastState::deserialize(ByteReader &in) {
    if (in.get<std::uint32_t>() != kStateTag)
        fail(ErrorKind::Corrupted, "corrupted forecast state: wrong tag");
    auto kind = in.get<std::uint8_t>();
    if (kind > 2) fail(ErrorKind::Corrupted, "corrupted forecast state: time kind");
    std::string text = in.get_string();
    auto horizon = in.get<std::int64_t>();
    ForecastState state = [&] {
        try {
            return ForecastState(static_cast<TimeKind>(kind), text, horizon);
        } catch (const Error &) {
            fail(ErrorKind::Corrupted, "corrupted forecast state: options");
        }
    }();
    state.rows_ = in.get<std::uint64_t>();
    state.nulls_ = in.get<std::uint64_t>();
    // A state holds at most kMaxPoints compacted keys plus what arrived since (compact()).
    const std::uint64_t max_keys = 2 * kMaxPoints + 4096;
    state.keys_ = in.get_vector<std::int64_t, StateAllocator<std::int64_t>>(max_keys);
    state.values_ = in.get_vector<double, StateAllocator<double>>(max_keys);
    if (state.keys_.size() != state.values_.size())
        fail(ErrorKind::Corrupted, "corrupted forecast state: sizes differ");
    // Counts fit an int64 (the forecast's text form reads them as such).
    constexpr std::uint64_t kMaxCount = 0x7fffffffffffffff;
    if (state.rows_ > kMaxCount || state.nulls_ > kMaxCount)
        fail(ErrorKind::Corrupted, "corrupted forecast state: counts");
    if (state.keys_.size() > state.rows_)
        fail(ErrorKind::Corrupted, "corrupted forecast state: more points than rows");
    for (double v : state.values_)
        if (!std::isfinite(v)) fail(ErrorKind::Corrupted, "corrupted forecast state: value");
    // Times within PostgreSQL's date (days) and timestamp (microseconds) ranges.
    const auto kind_t = static_cast<TimeKind>(kind);
    const std::int64_t lo = kind_t == TimeKind::Date ? -2451545 : -211813488000000000;
    const std::int64_t hi = kind_t == TimeKind::Date ? 2147483494 : 9223371331200000000;
    if (kind_t != TimeKind::Index)
        for (std::int64_t k : state.keys_)
            if (k < lo || k >= hi) fail(ErrorKind::Corrupted, "corrupted forecast state: time");
    return state;
}

Series ForecastState::series() const {
    ForecastState copy = *this;
    copy.compact();
    Series s;
    s.kind = kind_;
    s.rows = rows_;
    std::vector<std::int64_t> keys(copy.keys_.begin(), copy.keys_.end());
    std::vector<double> values(copy.values_.begin(), copy.values_.end());
    if (kind_ != TimeKind::Index) {
        s.grain = options_.grain;
        if (!bucketed_) {
            s.grain = infer_grain(kind_, keys);
            // Timestamps all at midnight are dates; anything finer is summed per day at least.
            std::vector<std::int64_t> buckets;
            std::vector<double> sums;
            for (std::size_t i = 0; i < keys.size(); i++) {
                std::int64_t b = bucket_of(kind_, s.grain, keys[i]);
                if (!buckets.empty() && buckets.back() == b)
                    sums.back() += values[i];
                else {
                    buckets.push_back(b);
                    sums.push_back(values[i]);
                }
            }
            keys = std::move(buckets);
            values = std::move(sums);
        }
    }
    s.period = options_.period ? options_.period : default_period(s.grain);
    if (keys.empty()) return s;
    std::int64_t last = keys.back();
    std::int64_t first = keys.front();
    const std::uint64_t span = static_cast<std::uint64_t>(last) - static_cast<std::uint64_t>(first);
    if (span >= static_cast<std::uint64_t>(options_.max_history)) {
        s.dropped = span + 1 - static_cast<std::uint64_t>(options_.max_history);
        first = last - options_.max_history + 1;
    }
    s.first = first;
    s.y.assign(static_cast<std::size_t>(last - first + 1), 0.0);
    std::size_t present = 0;
    for (std::size_t i = 0; i < keys.size(); i++)
        if (keys[i] >= first) {
            s.y[static_cast<std::size_t>(keys[i] - first)] = values[i];
            present++;
        }
    s.filled = s.y.size() - present;
    return s;
}

} // namespace dmine::forecast
