// The one-pass summary behind dm_breakdowns and dm_trends: per group (a value of a breakdown, or
// a day, ISO week, month or weekday x hour cell) the revenue, lines, quantity, the exact numbers
// of distinct customers and orders, and the revenue of the group's two latest growth periods.
// Distinct counts are exact: keys are numbered by dictionaries and each (group, key) pair is
// kept once in a hash set, so the memory grows with the distinct pairs, not with the lines.
#pragma once

#include "explore/key_dictionary.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmine::explore {

// Values: groups are given (family = breakdown number). Calendar: groups of each line are its
// day (family 1), ISO week (2), month (3) and weekday x hour cell (4).
enum class GroupKind : std::uint8_t { Values = 0, Calendar = 1 };
// Growth periods of Values summaries (None: no growth).
enum class GrowthPeriod : std::uint8_t { None = 0, Month = 1, Quarter = 2, Year = 3 };

constexpr int kMaxFamilies = 64;
constexpr std::int32_t kNoDay = INT32_MIN;
constexpr int kNoHour = -1;

struct GroupRow {
    int family;
    bool null_key;
    std::string key; // the value; for Calendar an ISO date (yyyy-mm-dd) or isodow * 100 + hour
    double revenue;
    std::int64_t lines;
    double quantity;
    std::int64_t customers;
    std::int64_t orders;
    double growth; // NaN: undefined
};

class GroupSummary {
public:
    GroupSummary(GroupKind kind = GroupKind::Values, GrowthPeriod period = GrowthPeriod::None)
        : kind_(kind), period_(period) {
        reset_memo();
    }

    // One line of a Values summary; amount and quantity NaN when NULL, day kNoDay when NULL.
    void add_values(const KeyRef *groups, int count, double amount, double quantity,
                    const KeyRef &customer, const KeyRef &order, std::int32_t day);
    // One line of a Calendar summary (day days from 2000-01-01, hour 0..23 or kNoHour).
    void add_calendar(std::int32_t day, int hour, double amount, double quantity,
                      const KeyRef &customer, const KeyRef &order);

    void merge(const GroupSummary &other);
    // merge(deserialize(in)) without building the other's dictionaries and sets (validated the
    // same way; on a corrupted value this summary is left partly merged).
    void merge_serialized(ByteReader &in);
    void serialize(ByteWriter &out) const;
    // The finished form: groups and their figures, distinct counts instead of the keys and pairs
    // (what a query reads; much smaller, cannot be merged or added to).
    void serialize_finished(ByteWriter &out) const;
    static GroupSummary deserialize(ByteReader &in);

    GroupKind kind() const noexcept { return kind_; }
    std::size_t groups() const noexcept { return revenue_.size(); }
    std::vector<GroupRow> rows() const;

private:
    std::uint32_t group_id(int family, const KeyRef &key);
    std::uint32_t key_id(int which, const KeyRef &key);
    void add_line(std::uint32_t g, double amount, double quantity, std::int64_t bucket,
                  bool has_day);
    void count_pair(std::uint32_t g, int which, std::uint32_t key);
    void count_line_pair(int family, std::uint32_t g, int which, std::uint32_t key);
    void add_bucket(std::uint32_t g, std::int64_t bucket, double revenue);
    void reset_memo() noexcept;
    double growth_of(std::uint32_t g) const;

    void write(ByteWriter &out, bool finished) const;
    void require_open() const;

    GroupKind kind_;
    GrowthPeriod period_;
    bool finished_ = false;
    std::int32_t lo_ = INT32_MAX, hi_ = INT32_MIN; // days seen
    KeyDictionary groups_;                         // tag: family << 1 | null
    KeyDictionary keys_[2];                        // customers, orders; tag 0
    KeySet pairs_;                                 // group << 32 | which << 31 | key
    StateVector<double> revenue_, quantity_, bucket_revenue_[2];
    StateVector<std::int64_t> lines_, distinct_[2];
    StateVector<std::int64_t> bucket_[2]; // the group's latest and previous buckets seen
    // Not part of the value: the last key, group and pair seen per kind and family (lines of
    // an order come together, with the same customer, day and often the same values).
    std::uint32_t memo_key_[2] = {UINT32_MAX, UINT32_MAX};
    std::uint32_t memo_group_[kMaxFamilies + 1];
    // Calendar: a direct-mapped cache of group ids per family (key & 4095), key << 32 | id.
    StateVector<std::uint64_t> calendar_cache_;
    std::uint32_t calendar_group(int family, std::int32_t key);
    std::uint64_t memo_pair_[kMaxFamilies + 1][2];
};

} // namespace dmine::explore
