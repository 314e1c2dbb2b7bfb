// Calendar buckets (proleptic Gregorian, Howard Hinnant's civil-date algorithms).
#include "forecast/calendar.hpp"

#include <algorithm>

namespace dmine::forecast {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Days from 1970-01-01 of a civil date, and back.
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
    y -= m <= 2;
    const std::int64_t era = floor_div(y, 400);
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t &y, int &m, int &d) {
    z += 719468;
    const std::int64_t era = floor_div(z, 146097);
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    y = yoe + era * 400 + (m <= 2);
}

constexpr std::int64_t kEpochShift = 10957; // days from 1970-01-01 to 2000-01-01

} // namespace

const char *grain_name(Grain g) {
    switch (g) {
    case Grain::Hour:
        return "hour";
    case Grain::Day:
        return "day";
    case Grain::Week:
        return "week";
    case Grain::Month:
        return "month";
    case Grain::Quarter:
        return "quarter";
    case Grain::Year:
        return "year";
    default:
        return "none";
    }
}

bool parse_grain(const std::string &name, Grain &g) {
    for (Grain c :
         {Grain::Hour, Grain::Day, Grain::Week, Grain::Month, Grain::Quarter, Grain::Year})
        if (name == grain_name(c)) {
            g = c;
            return true;
        }
    return false;
}

const char *time_kind_name(TimeKind k) {
    return k == TimeKind::Index ? "index" : k == TimeKind::Date ? "date" : "timestamp";
}

int default_period(Grain g) {
    switch (g) {
    case Grain::Hour:
        return 24;
    case Grain::Day:
        return 7;
    case Grain::Week:
        return 52;
    case Grain::Month:
        return 12;
    case Grain::Quarter:
        return 4;
    default:
        return 1;
    }
}

std::int64_t bucket_of(TimeKind kind, Grain g, std::int64_t t) {
    if (kind == TimeKind::Timestamp && g == Grain::Hour) return floor_div(t, 3600LL * 1000000LL);
    std::int64_t days = kind == TimeKind::Timestamp ? floor_div(t, kUsecPerDay) : t;
    if (g == Grain::Day || g == Grain::Hour) return g == Grain::Hour ? days * 24 : days;
    if (g == Grain::Week) return floor_div(days - 2, 7); // 2000-01-03 is a Monday
    std::int64_t y;
    int m, d;
    civil_from_days(days + kEpochShift, y, m, d);
    if (g == Grain::Month) return y * 12 + (m - 1);
    if (g == Grain::Quarter) return y * 4 + (m - 1) / 3;
    return y;
}

std::int64_t bucket_start(Grain g, std::int64_t b) {
    std::int64_t days;
    switch (g) {
    case Grain::Hour:
        return b * 3600LL * 1000000LL;
    case Grain::Day:
        days = b;
        break;
    case Grain::Week:
        days = b * 7 + 2;
        break;
    case Grain::Month:
        days =
            days_from_civil(floor_div(b, 12), static_cast<int>(b - floor_div(b, 12) * 12) + 1, 1) -
            kEpochShift;
        break;
    case Grain::Quarter:
        days =
            days_from_civil(floor_div(b, 4), static_cast<int>(b - floor_div(b, 4) * 4) * 3 + 1, 1) -
            kEpochShift;
        break;
    default:
        days = days_from_civil(b, 1, 1) - kEpochShift;
        break;
    }
    return days * kUsecPerDay;
}

Grain infer_grain(TimeKind kind, const std::vector<std::int64_t> &t) {
    if (t.size() < 2) return kind == TimeKind::Index ? Grain::None : Grain::Day;
    std::vector<double> gaps;
    gaps.reserve(t.size() - 1);
    const double unit = kind == TimeKind::Timestamp ? static_cast<double>(kUsecPerDay) : 1.0;
    for (std::size_t i = 1; i < t.size(); i++) gaps.push_back((t[i] - t[i - 1]) / unit);
    std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
    const double gap = gaps[gaps.size() / 2]; // in days
    if (gap < 1.5) return Grain::Day;
    if (gap < 8) return Grain::Week;
    if (gap < 35) return Grain::Month;
    if (gap < 100) return Grain::Quarter;
    return Grain::Year;
}

} // namespace dmine::forecast
