#include "findings.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "format.hpp"

namespace dmine::report {

namespace {

struct Ymd {
    int y = 0, m = 0, d = 0;
};

std::optional<Ymd> parse_date(const std::string &s) {
    Ymd v;
    if (s.size() < 10 || std::sscanf(s.c_str(), "%4d-%2d-%2d", &v.y, &v.m, &v.d) != 3)
        return std::nullopt;
    if (v.m < 1 || v.m > 12 || v.d < 1 || v.d > 31) return std::nullopt;
    return v;
}

int days_in_month(int y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

std::string money(double v, const std::string &unit) {
    std::string s = format_fixed(v, 0);
    return unit.empty() ? s : s + " " + unit;
}

// "4.2 % more than" / "4.2 % less than" / "the same as".
std::string change_words(double g) {
    if (std::fabs(g) < 0.0005) return "about the same as";
    return format_percent(std::fabs(g)) + (g > 0 ? " more than" : " less than");
}

std::string lower(std::string s) {
    for (auto &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The months with revenue, without a first or last month that the daily series shows to be
// partial (the data start after its first day or end before its last).
std::vector<TrendPoint> complete_months(const Trends &t) {
    std::vector<TrendPoint> months;
    for (const auto &p : t.series("month"))
        if (p.revenue && std::isfinite(*p.revenue) && parse_date(p.period_start))
            months.push_back(p);
    std::vector<TrendPoint> days = t.series("day");
    if (months.empty() || days.empty()) return months;
    auto first = parse_date(days.front().period_start), last = parse_date(days.back().period_start);
    auto m_last = parse_date(months.back().period_start);
    if (last && m_last && last->y == m_last->y && last->m == m_last->m &&
        last->d < days_in_month(last->y, last->m))
        months.pop_back();
    if (months.empty()) return months;
    auto m_first = parse_date(months.front().period_start);
    if (first && m_first && first->y == m_first->y && first->m == m_first->m && first->d > 1)
        months.erase(months.begin());
    return months;
}

std::optional<Finding> growth_finding(const std::vector<TrendPoint> &months,
                                      const std::string &unit) {
    if (months.size() < 2) return std::nullopt;
    const auto &last = months.back(), &prev = months[months.size() - 2];
    if (!(*prev.revenue > 0)) return std::nullopt;
    std::string text = "Revenue was " + money(*last.revenue, unit) + " in " +
                       month_label(last.period_start) + ", " +
                       change_words(*last.revenue / *prev.revenue - 1) + " in " +
                       month_label(prev.period_start) + ".";
    if (months.size() >= 13) {
        auto l = parse_date(last.period_start);
        for (const auto &p : months) {
            auto d = parse_date(p.period_start);
            if (d && l && d->y == l->y - 1 && d->m == l->m && *p.revenue > 0) {
                double g = *last.revenue / *p.revenue - 1;
                text += " Year over year, that is " + change_words(g) + " in " +
                        month_label(p.period_start) + ".";
            }
        }
    }
    return Finding{"growth", text, "trends"};
}

std::optional<Finding> months_finding(const std::vector<TrendPoint> &months,
                                      const std::string &unit) {
    if (months.size() < 3) return std::nullopt;
    auto by_revenue = [](const TrendPoint &a, const TrendPoint &b) {
        return *a.revenue < *b.revenue;
    };
    const auto &best = *std::max_element(months.begin(), months.end(), by_revenue);
    const auto &worst = *std::min_element(months.begin(), months.end(), by_revenue);
    if (*best.revenue == *worst.revenue) return std::nullopt;
    return Finding{"months",
                   "Over " + std::to_string(months.size()) + " complete months, the best was " +
                       month_label(best.period_start) + " (" + money(*best.revenue, unit) +
                       ") and the worst " + month_label(worst.period_start) + " (" +
                       money(*worst.revenue, unit) + ").",
                   "trends"};
}

// "45 % above" / "29 % below" an average season.
std::string index_words(double index) {
    return format_percent(std::fabs(index - 1), 0) + (index >= 1 ? " above" : " below");
}

std::optional<Finding> season_finding(const Trends &t, const std::string &cycle) {
    std::vector<SeasonIndex> s;
    for (const auto &x : t.cycle(cycle))
        if (x.index && std::isfinite(*x.index)) s.push_back(x);
    if (s.size() < 2) return std::nullopt;
    std::optional<double> strength;
    for (const auto &x : s)
        if (x.strength && std::isfinite(*x.strength)) strength = x.strength;
    if (!strength) return std::nullopt; // too few full cycles to tell
    auto by_index = [](const SeasonIndex &a, const SeasonIndex &b) { return *a.index < *b.index; };
    const auto &peak = *std::max_element(s.begin(), s.end(), by_index);
    const auto &low = *std::min_element(s.begin(), s.end(), by_index);
    bool month = cycle == "month";
    std::string text = std::string(month ? "Monthly" : "Weekly") + " seasonality is " +
                       strength_word(*strength) + " (strength " + format_fixed(*strength, 2) +
                       "): " + peak.label + " is the " + (month ? "peak month" : "busiest day") +
                       ", " + index_words(*peak.index) + " an average " +
                       (month ? "month" : "day") + ", and " + low.label + " the " +
                       (month ? "lowest" : "quietest") + ", " + index_words(*low.index) + ".";
    return Finding{"seasonality", text, "trends-seasonality"};
}

std::optional<Finding> heatmap_finding(const Trends &t, const std::string &unit) {
    static const char *days[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                 "Friday", "Saturday", "Sunday"};
    double total = 0;
    const HeatCell *top = nullptr;
    for (const auto &c : t.heatmap) {
        if (!c.revenue || !std::isfinite(*c.revenue)) continue;
        total += *c.revenue;
        if (!top || *c.revenue > *top->revenue) top = &c;
    }
    if (!top || !(total > 0)) return std::nullopt;
    char hours[32];
    std::snprintf(hours, sizeof hours, "%02d:00–%02d:00", static_cast<int>(top->hour),
                  static_cast<int>(top->hour + 1) % 24);
    return Finding{"heatmap",
                   "The busiest hour of the week is " + std::string(days[top->isodow - 1]) + " " +
                       hours + ", with " + format_percent(*top->revenue / total) + " of revenue (" +
                       money(*top->revenue, unit) + ").",
                   "trends-heatmap"};
}

std::string group_label(const std::string &dimension, const std::string &attribute) {
    if (attribute.empty() || attribute == dimension) return dimension;
    if (dimension.empty()) return attribute;
    return dimension + " · " + attribute;
}

// The concentration of the breakdown with the most items (products, typically).
std::optional<Finding> concentration_finding(const Breakdowns &b) {
    const Concentration *best = nullptr;
    for (const auto &c : b.concentration) {
        if (!c.items || *c.items < 5 || !c.top20_share || !std::isfinite(*c.top20_share)) continue;
        if (!best || *c.items > *best->items) best = &c;
    }
    if (!best) return std::nullopt;
    std::string text = "In " + group_label(best->dimension, best->attribute) +
                       ", the top 20 % of the " + format_int(*best->items) + " items make " +
                       format_percent(*best->top20_share) + " of revenue";
    if (best->gini && std::isfinite(*best->gini))
        text += " (Gini " + format_fixed(*best->gini, 2) + ")";
    if (best->a_items && *best->a_items > 0)
        text += "; " + format_int(*best->a_items) + " " +
                (*best->a_items == 1 ? "item makes" : "items make") + " 80 % of it (class A)";
    return Finding{"concentration", text + ".", "breakdowns-concentration"};
}

bool at_risk_segment(const std::string &name) {
    std::string s = lower(name);
    std::string letters;
    for (char c : s)
        if (std::isalpha(static_cast<unsigned char>(c))) letters += c;
    for (const char *k : {"atrisk", "cantlose", "cannotlose", "abouttosleep"})
        if (letters.find(k) != std::string::npos) return true;
    return false;
}

std::optional<Finding> risk_finding(const Rfm &r, const std::string &unit) {
    int64_t n = 0;
    double value = 0;
    bool any_value = false;
    std::string parts;
    for (const auto &s : r.segments) {
        if (!at_risk_segment(s.segment) || s.customers <= 0) continue;
        n += s.customers;
        if (s.monetary && std::isfinite(*s.monetary)) {
            value += *s.monetary;
            any_value = true;
        }
        parts += (parts.empty() ? "" : ", ") + s.segment + " " + format_int(s.customers);
    }
    if (n == 0) return std::nullopt;
    std::string text = format_int(n) + " customers";
    if (r.customers > 0)
        text +=
            " (" + format_percent(static_cast<double>(n) / static_cast<double>(r.customers)) + ")";
    text += std::string(n == 1 ? " is" : " are") + " in segments at risk (" + parts + ")";
    if (any_value) {
        text += "; they spent " + money(value, unit);
        if (r.monetary && *r.monetary > 0)
            text += ", " + format_percent(value / *r.monetary) + " of all customer value";
    }
    return Finding{"risk", text + ".", "rfm"};
}

std::string measure_words(const std::string &m) {
    if (m == "recency_days") return "days since the last purchase";
    if (m == "frequency") return "frequency";
    if (m == "monetary") return "spend";
    if (m == "avg_basket") return "basket";
    if (m == "avg_quantity") return "quantity per line";
    if (m == "night_share") return "night share";
    std::string s = m;
    std::replace(s.begin(), s.end(), '_', ' ');
    return s;
}

std::optional<Finding> cluster_finding(const Clustering &c) {
    const ClusterProfile *big = nullptr;
    int64_t total = 0;
    for (const auto &p : c.profiles)
        if (p.size && *p.size > 0) {
            total += *p.size;
            if (!big || *p.size > *big->size) big = &p;
        }
    if (!big || c.profiles.size() < 2 || total <= 0) return std::nullopt;
    // What sets it apart: the measures furthest from the customer-weighted mean (as ratios).
    std::vector<std::pair<double, std::string>> apart;
    for (size_t i = 0; i < c.measure_names.size() && i < big->measures.size(); ++i) {
        double sum = 0, w = 0;
        for (const auto &p : c.profiles)
            if (p.size && i < p.measures.size() && p.measures[i] && std::isfinite(*p.measures[i])) {
                sum += *p.measures[i] * static_cast<double>(*p.size);
                w += static_cast<double>(*p.size);
            }
        const auto &m = big->measures[i];
        if (!m || !std::isfinite(*m) || w <= 0 || !(sum / w > 0) || *m < 0) continue;
        double ratio = *m / (sum / w);
        if (std::fabs(ratio - 1) < 0.1) continue;
        bool days = c.measure_names[i] == "recency_days"; // "lower recency" reads backwards
        std::string words = ratio >= 1
                                ? format_percent(ratio - 1, 0) + (days ? " more " : " higher ")
                                : format_percent(1 - ratio, 0) + (days ? " fewer " : " lower ");
        if (ratio >= 2) words = format_number(ratio, 2) + " times the average ";
        apart.emplace_back(std::fabs(std::log(std::max(ratio, 1e-9))),
                           words + measure_words(c.measure_names[i]));
    }
    std::sort(apart.begin(), apart.end(),
              [](const auto &a, const auto &b) { return a.first > b.first; });
    double share =
        big->share.value_or(static_cast<double>(*big->size) / static_cast<double>(total));
    std::string name = "cluster " + std::to_string(big->cluster);
    if (big->label && !big->label->empty()) name = "“" + *big->label + "” (" + name + ")";
    std::string text = "The largest customer cluster, " + name + ", holds " +
                       format_percent(share) + " of the customers (" + format_int(*big->size) + ")";
    if (apart.empty())
        text += "; it is within 10 % of the average customer in every feature.";
    else {
        text += "; compared with all customers it has " + apart[0].second;
        if (apart.size() > 1) text += " and " + apart[1].second;
        text += ".";
    }
    return Finding{"cluster", text, "clustering"};
}

std::optional<Finding> anomaly_finding(const Anomalies &a) {
    if (!a.anomalies) return std::nullopt;
    std::string text;
    if (*a.anomalies == 0) {
        if (!a.lines_scored) return std::nullopt;
        return Finding{"anomalies",
                       "No anomaly was found among the " + format_int(a.lines_scored) +
                           " lines scored.",
                       "anomalies"};
    }
    text = format_int(a.anomalies) +
           (*a.anomalies == 1 ? " line is an anomaly" : " lines are anomalies");
    if (a.lines_scored && *a.lines_scored > 0)
        text += " (" +
                format_percent(
                    static_cast<double>(*a.anomalies) / static_cast<double>(*a.lines_scored), 2) +
                " of " + format_int(a.lines_scored) + ")";
    std::string types;
    for (size_t i = 0; i < a.type_counts.size() && i < 4; ++i)
        types += (types.empty() ? "" : ", ") + format_int(a.type_counts[i].second) + " " +
                 a.type_counts[i].first;
    if (!types.empty()) text += ", by type: " + types;
    return Finding{"anomalies", text + ".", "anomalies"};
}

// The total revenue forecast: the next periods against as many periods before, and the peak.
std::optional<Finding> forecast_finding(const Forecasts &f, const std::string &unit) {
    for (const auto &s : f.series()) {
        if (s.dimension != "total" || s.forecast.empty()) continue;
        double next = 0, lo = 0, hi = 0, before = 0;
        const ForecastPoint *peak = nullptr;
        for (const auto &p : s.forecast) {
            if (!p.point || !p.lo95 || !p.hi95 || !std::isfinite(*p.point)) return std::nullopt;
            next += *p.point;
            lo += *p.lo95;
            hi += *p.hi95;
            if (!peak || *p.point > *peak->point) peak = &p;
        }
        size_t n = s.forecast.size();
        std::string periods =
            format_int(static_cast<int64_t>(n)) + " " + s.grain + (n > 1 ? "s" : "");
        std::string text = "Revenue is forecast at " + money(next, unit) + " over the next " +
                           periods + " (95 % interval " + money(std::max(lo, 0.0), unit) + " to " +
                           money(hi, unit) + ")";
        if (s.history.size() >= n) {
            for (size_t i = s.history.size() - n; i < s.history.size(); ++i)
                before += s.history[i].actual.value_or(0);
            if (before > 0)
                text += ", " + change_words(next / before - 1) + " the " + periods + " before";
        }
        if (n > 1 && peak)
            text += "; the peak is expected " +
                    std::string(s.grain == "month" ? "in " + month_label(peak->period_start)
                                                   : "in the period from " + peak->period_start);
        return Finding{"forecast", text + ".", "forecast"};
    }
    return std::nullopt;
}

} // namespace

std::string month_label(const std::string &iso) {
    static const char *names[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
    auto d = parse_date(iso);
    if (!d) return iso;
    return std::string(names[d->m - 1]) + " " + std::to_string(d->y);
}

std::string strength_word(double s) {
    return s >= 0.6 ? "strong" : s >= 0.3 ? "moderate" : "weak";
}

std::vector<Finding> key_findings(const ReportData &d, const std::string &unit) {
    std::vector<Finding> out;
    auto add = [&out](std::optional<Finding> f) {
        if (f) out.push_back(std::move(*f));
    };
    std::vector<TrendPoint> months = complete_months(d.trends);
    add(growth_finding(months, unit));
    add(months_finding(months, unit));
    add(season_finding(d.trends, "month"));
    add(season_finding(d.trends, "weekday"));
    add(heatmap_finding(d.trends, unit));
    add(concentration_finding(d.breakdowns));
    add(forecast_finding(d.forecasts, unit));
    add(risk_finding(d.rfm, unit));
    add(cluster_finding(d.clustering));
    add(anomaly_finding(d.anomalies));
    return out;
}

} // namespace dmine::report
