#include "format.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace dmine::report {

namespace {

// Inserts thousands separators into the integer part of a plain decimal text ("-1234.5").
std::string group_thousands(const std::string &text) {
    size_t start = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    size_t end = text.find_first_of(".eE", start);
    if (end == std::string::npos) end = text.size();
    std::string out = text.substr(0, start);
    size_t digits = end - start;
    for (size_t i = 0; i < digits; ++i) {
        out += text[start + i];
        size_t left = digits - i - 1;
        if (left > 0 && left % 3 == 0) out += ',';
    }
    out += text.substr(end);
    return out;
}

std::string printf_fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    std::string s = buf;
    if (s == "-0" || s.rfind("-0.", 0) == 0) {
        // No "-0.00" for values that round to zero.
        bool all_zero = s.find_first_not_of("-0.") == std::string::npos;
        if (all_zero) s.erase(0, 1);
    }
    return s;
}

void strip_trailing_zeros(std::string &s) {
    if (s.find('.') == std::string::npos) return;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
}

} // namespace

std::string format_int(int64_t v) {
    return group_thousands(std::to_string(v));
}

std::string format_int(std::optional<int64_t> v) {
    return v ? format_int(*v) : kMissing;
}

std::string format_fixed(double v, int decimals) {
    if (!std::isfinite(v)) return kMissing;
    return group_thousands(printf_fixed(v, decimals));
}

std::string format_fixed(std::optional<double> v, int decimals) {
    return v ? format_fixed(*v, decimals) : kMissing;
}

std::string format_number(double v, int significant) {
    if (!std::isfinite(v)) return kMissing;
    if (v == 0) return "0";
    double mag = std::floor(std::log10(std::fabs(v)));
    if (mag >= 15 || mag < -6) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.*e", significant - 1, v);
        return buf;
    }
    int decimals = std::max(0, significant - 1 - static_cast<int>(mag));
    std::string s = printf_fixed(v, decimals);
    strip_trailing_zeros(s);
    return group_thousands(s);
}

std::string format_number(std::optional<double> v, int significant) {
    return v ? format_number(*v, significant) : kMissing;
}

std::string format_compact(double v) {
    if (!std::isfinite(v)) return kMissing;
    double a = std::fabs(v);
    const char *suffix = "";
    double scaled = v;
    if (a >= 1e9) {
        scaled = v / 1e9;
        suffix = "G";
    } else if (a >= 1e6) {
        scaled = v / 1e6;
        suffix = "M";
    } else if (a >= 1e3) {
        scaled = v / 1e3;
        suffix = "k";
    } else
        return format_number(v, 3);
    std::string s = printf_fixed(scaled, std::fabs(scaled) < 10 ? 1 : 0);
    strip_trailing_zeros(s);
    return s + suffix;
}

std::string format_percent(double fraction, int decimals) {
    if (!std::isfinite(fraction)) return kMissing;
    double pct = fraction * 100.0;
    double smallest = std::pow(10.0, -decimals);
    if (pct != 0 && std::fabs(pct) < smallest) {
        return std::string(pct < 0 ? "> -" : "< ") + printf_fixed(smallest, decimals) + " %";
    }
    return group_thousands(printf_fixed(pct, decimals)) + " %";
}

std::string format_percent(std::optional<double> fraction, int decimals) {
    return fraction ? format_percent(*fraction, decimals) : kMissing;
}

std::string format_duration_ms(double ms) {
    if (!std::isfinite(ms) || ms < 0) return kMissing;
    if (ms < 1) return printf_fixed(ms, 2) + " ms";
    if (ms < 1000) return printf_fixed(ms, 0) + " ms";
    double s = ms / 1000.0;
    if (s < 10) return printf_fixed(s, 2) + " s";
    if (s < 60) return printf_fixed(s, 1) + " s";
    auto total = static_cast<int64_t>(std::llround(s));
    if (total < 3600) {
        int64_t m = total / 60, sec = total % 60;
        return std::to_string(m) + " min" + (sec ? " " + std::to_string(sec) + " s" : "");
    }
    int64_t h = total / 3600, m = (total % 3600) / 60;
    return format_int(h) + " h" + (m ? " " + std::to_string(m) + " min" : "");
}

std::string format_duration_ms(std::optional<double> ms) {
    return ms ? format_duration_ms(*ms) : kMissing;
}

std::string format_bytes(uint64_t bytes) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    if (u == 0) return format_int(static_cast<int64_t>(bytes)) + " B";
    std::string s = printf_fixed(v, v < 10 ? 1 : 0);
    strip_trailing_zeros(s);
    return s + " " + units[u];
}

std::string format_timestamp(const std::string &t) {
    // "YYYY-MM-DD HH:MM:SS[.ffffff][+-HH[:MM]]"
    if (t.size() < 19 || t[4] != '-' || t[7] != '-' || (t[10] != ' ' && t[10] != 'T') ||
        t[13] != ':' || t[16] != ':')
        return t;
    std::string out = t.substr(0, 10) + " " + t.substr(11, 8);
    size_t i = 19;
    if (i < t.size() && t[i] == '.') {
        ++i;
        while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    }
    if (i < t.size()) {
        std::string zone = t.substr(i);
        if (zone == "+00" || zone == "+00:00" || zone == "Z") zone = "UTC";
        out += " " + zone;
    }
    return out;
}

std::string format_timestamp(const std::optional<std::string> &t) {
    return t ? format_timestamp(*t) : kMissing;
}

std::string format_days(double days) {
    if (!std::isfinite(days)) return kMissing;
    if (std::fabs(days) < 10 && std::fabs(days - std::round(days)) > 0.05) {
        std::string s = printf_fixed(days, 1);
        return s + " days";
    }
    auto d = static_cast<int64_t>(std::llround(days));
    return format_int(d) + (d == 1 || d == -1 ? " day" : " days");
}

std::string format_days(std::optional<double> days) {
    return days ? format_days(*days) : kMissing;
}

} // namespace dmine::report
