// Time axes of series: a bigint period index, or dates and timestamps grouped by a calendar grain
// (hour, day, ISO week from Monday, month, quarter, year). Dates count days and timestamps
// microseconds from 2000-01-01 (PostgreSQL's epoch); a bucket is a consecutive period number.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dmine::forecast {

enum class TimeKind : std::uint8_t { Index = 0, Date = 1, Timestamp = 2 };
enum class Grain : std::uint8_t { None = 0, Hour, Day, Week, Month, Quarter, Year };

constexpr std::int64_t kUsecPerDay = 86400LL * 1000000LL;

const char *grain_name(Grain g);
bool parse_grain(const std::string &name, Grain &g);
const char *time_kind_name(TimeKind k);

// The season length a grain suggests: hour 24, day 7, week 52, month 12, quarter 4, year 1.
int default_period(Grain g);

// The bucket of time t (days for dates, microseconds for timestamps); Hour needs a timestamp.
std::int64_t bucket_of(TimeKind kind, Grain g, std::int64_t t);
// The start of a bucket as a timestamp (microseconds from 2000-01-01).
std::int64_t bucket_start(Grain g, std::int64_t bucket);

// The grain of sorted distinct times: from the median gap (timestamps all at midnight are read as
// days; shorter gaps give days, as sales are summed per day at least).
Grain infer_grain(TimeKind kind, const std::vector<std::int64_t> &sorted_times);

} // namespace dmine::forecast
