// Numbers, durations and times formatted for people: thousands separators, units, percentages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dmine::report {

// The text shown where a value is missing (SQL NULL, NaN).
inline constexpr const char *kMissing = "–";

// 1234567 → "1,234,567".
std::string format_int(int64_t v);
std::string format_int(std::optional<int64_t> v);

// Fixed decimals with thousands separators: (1234.5678, 2) → "1,234.57". NaN/inf → "–".
std::string format_fixed(double v, int decimals);
std::string format_fixed(std::optional<double> v, int decimals);

// A measurement with about `significant` significant digits, thousands separators and no
// trailing zeros: 1234567.8 → "1,234,568", 0.012345 → "0.0123", 3.0 → "3".
std::string format_number(double v, int significant = 3);
std::string format_number(std::optional<double> v, int significant = 3);

// A short form of large numbers for chart labels: 1234 → "1.2k", 5600000 → "5.6M".
std::string format_compact(double v);

// A fraction as a percentage: 0.1234 → "12.3 %"; tiny non-zero fractions say "< 0.1 %".
std::string format_percent(double fraction, int decimals = 1);
std::string format_percent(std::optional<double> fraction, int decimals = 1);

// A duration in milliseconds: 850 → "850 ms", 1234 → "1.23 s", 75000 → "1 min 15 s",
// 3723000 → "1 h 2 min".
std::string format_duration_ms(double ms);
std::string format_duration_ms(std::optional<double> ms);

// A byte count: 1536 → "1.5 KiB".
std::string format_bytes(uint64_t bytes);

// A PostgreSQL timestamptz text ("2024-05-01 12:34:56.789+02") shortened for people:
// "2024-05-01 12:34:56 +02". Text that does not look like a timestamp is returned unchanged.
std::string format_timestamp(const std::string &pg_text);
std::string format_timestamp(const std::optional<std::string> &pg_text);

// Days as people say them: 0.4 → "0.4 days", 1 → "1 day", 45.2 → "45 days".
std::string format_days(double days);
std::string format_days(std::optional<double> days);

} // namespace dmine::report
