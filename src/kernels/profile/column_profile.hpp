// One column's profile in a single pass: non-NULL count, HyperLogLog distinct estimate, exact
// distinct counts and top values while the values are few (ValueCounter), the statistics of
// numbers (ValueSummary) and the counts of values that read as dates (yyyymmdd integers, ISO
// date and date-time texts). The caller hashes values and converts numbers.
#pragma once

#include "core/bytes.hpp"
#include "profile/value_counter.hpp"
#include "sketch/hyperloglog.hpp"
#include "sketch/value_summary.hpp"

#include <cstdint>

namespace dmine {

// True when `key` is a valid yyyymmdd date between 1000-01-01 and 9999-12-31.
bool is_date_key(std::int64_t key) noexcept;
// ^\d{4}-?\d{2}-?\d{2}$ and ^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2} (the ISO date and date-time shapes).
bool is_date_text(const char *s, std::size_t n) noexcept;
bool is_timestamp_text(const char *s, std::size_t n) noexcept;

class ColumnProfile {
public:
    enum Flags : std::uint8_t {
        kNumber = 1,       // statistics of the values as numbers
        kDateKey = 2,      // count the yyyymmdd integers
        kTextPatterns = 4, // count the ISO date and date-time texts
    };
    ColumnProfile() = default;
    explicit ColumnProfile(std::uint8_t flags) : flags_(flags) {}

    void add_null() {
        if (flags_ & kNumber) numbers_.add_null();
    }
    // A non-NULL value of hash `hash`; true when its text is wanted (then set_text).
    bool add_value(std::uint64_t hash) {
        count_++;
        hll_.add_hash(hash);
        return values_.add(hash);
    }
    void set_text(const char *text, std::size_t length) { values_.set_text(text, length); }
    void add_number(double x) { numbers_.add(x); }
    void add_integer(std::int64_t x) {
        numbers_.add(static_cast<double>(x));
        if ((flags_ & kDateKey) && is_date_key(x)) date_values_++;
    }
    void add_text(const char *s, std::size_t n) {
        if (is_date_text(s, n)) date_values_++;
        if (is_timestamp_text(s, n)) timestamp_values_++;
    }
    void merge(const ColumnProfile &other);

    std::uint8_t flags() const noexcept { return flags_; }
    std::uint64_t count() const noexcept { return count_; }
    std::int64_t distinct_estimate() const;
    // The exact distinct count, or -1 when the values were too many.
    std::int64_t distinct_exact() const noexcept {
        return values_.overflowed() ? -1 : static_cast<std::int64_t>(values_.distinct());
    }
    const ValueCounter &values() const noexcept { return values_; }
    ValueSummary &numbers() noexcept { return numbers_; }
    std::uint64_t date_values() const noexcept { return date_values_; }
    std::uint64_t timestamp_values() const noexcept { return timestamp_values_; }

    void serialize(ByteWriter &out);
    static ColumnProfile deserialize(ByteReader &in);

private:
    std::uint8_t flags_ = 0;
    std::uint64_t count_ = 0, date_values_ = 0, timestamp_values_ = 0;
    HyperLogLog hll_;
    ValueCounter values_;
    ValueSummary numbers_;
};

} // namespace dmine
