// One column's single-pass profile.
#include "profile/column_profile.hpp"

#include <cmath>

namespace dmine {

namespace {

bool digits(const char *s, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

} // namespace

bool is_date_key(std::int64_t key) noexcept {
    if (key < 10000101 || key > 99991231) return false;
    const std::int64_t y = key / 10000, m = key / 100 % 100, d = key % 100;
    if (m < 1 || m > 12) return false;
    const bool leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    const std::int64_t days = m == 2 ? 28 + leap : 30 + (m + m / 8) % 2;
    return d >= 1 && d <= days;
}

bool is_date_text(const char *s, std::size_t n) noexcept {
    if (n < 8 || n > 10 || !digits(s, 4)) return false;
    std::size_t i = 4;
    if (s[i] == '-') i++;
    if (i + 2 > n || !digits(s + i, 2)) return false;
    i += 2;
    if (i < n && s[i] == '-') i++;
    return i + 2 == n && digits(s + i, 2);
}

bool is_timestamp_text(const char *s, std::size_t n) noexcept {
    return n >= 16 && digits(s, 4) && s[4] == '-' && digits(s + 5, 2) && s[7] == '-' &&
           digits(s + 8, 2) && (s[10] == ' ' || s[10] == 'T') && digits(s + 11, 2) &&
           s[13] == ':' && digits(s + 14, 2);
}

std::int64_t ColumnProfile::distinct_estimate() const {
    return static_cast<std::int64_t>(std::llround(hll_.estimate()));
}

void ColumnProfile::merge(const ColumnProfile &other) {
    if (other.flags_ != flags_) fail(ErrorKind::InvalidParameter, "profiles of different columns");
    count_ += other.count_;
    date_values_ += other.date_values_;
    timestamp_values_ += other.timestamp_values_;
    hll_.merge(other.hll_);
    values_.merge(other.values_);
    numbers_.merge(other.numbers_);
}

void ColumnProfile::serialize(ByteWriter &out) {
    out.put(flags_);
    out.put(count_);
    out.put(date_values_);
    out.put(timestamp_values_);
    hll_.serialize(out);
    values_.serialize(out);
    numbers_.serialize(out);
}

ColumnProfile ColumnProfile::deserialize(ByteReader &in) {
    ColumnProfile p;
    p.flags_ = in.get<std::uint8_t>();
    if (p.flags_ > 7) fail(ErrorKind::Corrupted, "corrupted value: column flags");
    p.count_ = in.get<std::uint64_t>();
    p.date_values_ = in.get<std::uint64_t>();
    p.timestamp_values_ = in.get<std::uint64_t>();
    p.hll_ = HyperLogLog::deserialize(in);
    p.values_ = ValueCounter::deserialize(in);
    p.numbers_ = ValueSummary::deserialize(in);
    return p;
}

} // namespace dmine
