#include "explore_render.hpp"

#include <algorithm>
#include <cmath>

#include "findings.hpp"
#include "format.hpp"

namespace dmine::report {

using nlohmann::json;

namespace {

const char *kTrendColor = "#f28e2b";
const std::vector<std::string> kWeekdays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

std::string grain_title(const std::string &g) {
    return g == "day" ? "Day" : g == "week" ? "Week" : g == "month" ? "Month" : g;
}

std::string abc_color(const std::optional<std::string> &c) {
    if (c == "A") return "#4e79a7";
    if (c == "B") return "#76b7b2";
    if (c == "C") return "#bab0ac";
    return "#4e79a7";
}

std::string group_title(const std::string &dimension, const std::string &attribute) {
    if (attribute.empty() || attribute == dimension) return dimension;
    return dimension + " · " + attribute;
}

json trend_option(const std::vector<TrendPoint> &pts, const std::string &grain,
                  const std::string &unit) {
    json opt = base_option();
    json rev = json::array(), trend = json::array();
    bool any_trend = false;
    for (const auto &p : pts) {
        rev.push_back(json::array({p.period_start, opt_num(p.revenue)}));
        trend.push_back(json::array({p.period_start, opt_num(p.trend)}));
        any_trend = any_trend || (p.trend && std::isfinite(*p.trend));
    }
    opt["legend"] = {{"top", 4}};
    opt["xAxis"] = {{"type", "time"}};
    opt["yAxis"] = {{"type", "value"},
                    {"name", unit.empty() ? "revenue" : "revenue (" + unit + ")"}};
    json series = json::array({{{"type", "line"},
                                {"name", "revenue per " + grain},
                                {"data", rev},
                                {"showSymbol", pts.size() <= 60},
                                {"areaStyle", {{"opacity", 0.08}}}}});
    if (any_trend)
        series.push_back(
            {{"type", "line"},
             {"name", "trend"},
             {"data", trend},
             {"showSymbol", false},
             {"connectNulls", true},
             {"lineStyle", {{"type", "dashed"}, {"width", 2.5}, {"color", kTrendColor}}},
             {"itemStyle", {{"color", kTrendColor}}}});
    opt["series"] = series;
    add_zoom(opt, pts.size() > 60);
    return opt;
}

} // namespace

json chart_trend(const Trends &t, const std::string &grain, const std::string &unit) {
    json opt = trend_option(t.series(grain), grain, unit);
    json variants = json::array(); // in the order of the switch's buttons
    for (const char *g : {"month", "week", "day"}) {
        auto pts = t.series(g);
        if (!pts.empty())
            variants.push_back({{"name", grain_title(g)},
                                {"option", g == grain ? opt : trend_option(pts, g, unit)}});
    }
    if (variants.size() > 1) {
        opt["dmineVariants"] = variants;
        opt["dmineVariant"] = grain_title(grain);
    }
    return opt;
}

json chart_seasonality(const std::vector<SeasonIndex> &s) {
    json opt = base_option();
    json labels = json::array(), data = json::array();
    for (const auto &x : s) {
        labels.push_back(x.label);
        json item = {{"value", opt_num(x.index)}};
        if (x.index && *x.index < 1) item["itemStyle"] = {{"color", "#a0cbe8"}};
        data.push_back(item);
    }
    opt["tooltip"]["axisPointer"] = {{"type", "shadow"}};
    opt["grid"]["top"] = 28;
    opt["xAxis"] = {{"type", "category"},
                    {"data", labels},
                    {"axisLabel", {{"interval", 0}, {"rotate", s.size() > 7 ? 30 : 0}}}};
    opt["yAxis"] = {{"type", "value"}, {"name", "index (1 = average)"}, {"scale", true}};
    opt["series"] =
        json::array({{{"type", "bar"},
                      {"name", "seasonal index"},
                      {"data", data},
                      {"markLine",
                       {{"symbol", "none"},
                        {"silent", true},
                        {"lineStyle", {{"color", "#616e7c"}, {"type", "dashed"}}},
                        {"label", {{"formatter", "average"}, {"position", "insideEndTop"}}},
                        {"data", json::array({{{"yAxis", 1}}})}}}}});
    return opt;
}

json chart_heatmap(const std::vector<HeatCell> &cells) {
    json opt = base_option();
    json hours = json::array(), data = json::array();
    for (int h = 0; h < 24; ++h) hours.push_back(std::to_string(h));
    double max_v = 0;
    for (const auto &c : cells) {
        double v = c.revenue.value_or(0);
        max_v = std::max(max_v, v);
        data.push_back(json::array({c.hour, c.isodow - 1, tidy(v)}));
    }
    opt["tooltip"] = {{"trigger", "item"}, {"confine", true}};
    opt["grid"] = {{"left", 8}, {"right", 90}, {"top", 16}, {"bottom", 30}, {"containLabel", true}};
    opt["xAxis"] = {{"type", "category"},       {"data", hours}, {"name", "hour of day"},
                    {"nameLocation", "middle"}, {"nameGap", 26}, {"splitArea", {{"show", true}}}};
    opt["yAxis"] = {{"type", "category"},
                    {"data", kWeekdays},
                    {"inverse", true},
                    {"splitArea", {{"show", true}}}};
    opt["visualMap"] = {{"min", 0},
                        {"max", max_v > 0 ? tidy(max_v) : 1.0},
                        {"calculable", true},
                        {"orient", "vertical"},
                        {"right", 0},
                        {"top", "middle"},
                        {"precision", 0},
                        {"inRange", {{"color", json::array({"#f7fbff", "#6baed6", "#08306b"})}}}};
    opt["series"] = json::array(
        {{{"type", "heatmap"},
          {"name", "revenue"},
          {"data", data},
          {"emphasis", {{"itemStyle", {{"borderColor", "#333"}, {"borderWidth", 1}}}}}}});
    return opt;
}

json chart_breakdown(const std::vector<BreakdownRow> &rows, size_t limit) {
    json opt = base_option();
    json labels = json::array(), data = json::array();
    size_t n = std::min(limit, rows.size());
    for (size_t i = n; i-- > 0;) { // the category axis runs bottom-up
        labels.push_back(truncate(rows[i].value, 28));
        data.push_back({{"value", opt_num(rows[i].revenue)},
                        {"itemStyle", {{"color", abc_color(rows[i].abc_class)}}}});
    }
    opt["tooltip"]["axisPointer"] = {{"type", "shadow"}};
    opt["grid"]["top"] = 16;
    opt["grid"]["right"] = 40;
    opt["xAxis"] = {
        {"type", "value"}, {"name", "revenue"}, {"nameLocation", "middle"}, {"nameGap", 26}};
    opt["yAxis"] = {{"type", "category"}, {"data", labels}, {"axisLabel", {{"interval", 0}}}};
    opt["series"] = json::array({{{"type", "bar"}, {"name", "revenue"}, {"data", data}}});
    return opt;
}

json chart_pareto(const std::vector<BreakdownRow> &rows) {
    std::vector<BreakdownRow> r;
    for (const auto &x : rows)
        if (x.revenue && std::isfinite(*x.revenue)) r.push_back(x);
    std::stable_sort(r.begin(), r.end(), [](const BreakdownRow &a, const BreakdownRow &b) {
        return *a.revenue > *b.revenue;
    });
    double total = 0;
    for (const auto &x : r) total += *x.revenue;
    json opt = base_option();
    json curve = json::array({json::array({0, 0})});
    double cum = 0, a_end = 0, b_end = 0;
    size_t n = r.size(), step = std::max<size_t>(1, n / 400); // at most ~400 points
    for (size_t i = 0; i < n; ++i) {
        cum += *r[i].revenue;
        double x = 100.0 * static_cast<double>(i + 1) / static_cast<double>(n);
        if (r[i].abc_class == "A") a_end = x;
        if (r[i].abc_class == "A" || r[i].abc_class == "B") b_end = x;
        if ((i + 1) % step == 0 || i + 1 == n)
            curve.push_back(
                json::array({round_to(x, 2), total > 0 ? round_to(100 * cum / total, 2) : 0.0}));
    }
    opt["grid"]["top"] = 28;
    opt["xAxis"] = {{"type", "value"},
                    {"min", 0},
                    {"max", 100},
                    {"name", "share of items (%), best first"},
                    {"nameLocation", "middle"},
                    {"nameGap", 26}};
    opt["yAxis"] = {{"type", "value"}, {"min", 0}, {"max", 100}, {"name", "share of revenue (%)"}};
    json areas = json::array();
    if (a_end > 0)
        areas.push_back(json::array(
            {{{"name", "A"}, {"xAxis", 0}, {"itemStyle", {{"color", "rgba(78,121,167,0.12)"}}}},
             {{"xAxis", round_to(a_end, 2)}}}));
    if (b_end > a_end)
        areas.push_back(json::array({{{"name", "B"},
                                      {"xAxis", round_to(a_end, 2)},
                                      {"itemStyle", {{"color", "rgba(118,183,178,0.14)"}}}},
                                     {{"xAxis", round_to(b_end, 2)}}}));
    if (b_end > 0 && b_end < 100)
        areas.push_back(json::array({{{"name", "C"},
                                      {"xAxis", round_to(b_end, 2)},
                                      {"itemStyle", {{"color", "rgba(186,176,172,0.14)"}}}},
                                     {{"xAxis", 100}}}));
    json series = {{"type", "line"},
                   {"name", "cumulative share of revenue"},
                   {"data", curve},
                   {"showSymbol", false},
                   {"lineStyle", {{"width", 2.5}}},
                   {"markLine",
                    {{"symbol", "none"},
                     {"silent", true},
                     {"lineStyle", {{"color", kAlert}, {"type", "dashed"}}},
                     {"label", {{"formatter", "80 %"}, {"color", kAlert}}},
                     {"data", json::array({{{"yAxis", 80}}})}}}};
    if (!areas.empty())
        series["markArea"] = {{"silent", true},
                              {"label", {{"position", "insideTop"}, {"color", "#323f4b"}}},
                              {"data", areas}};
    json diagonal = {{"type", "line"},
                     {"name", "equal shares"},
                     {"data", json::array({json::array({0, 0}), json::array({100, 100})})},
                     {"showSymbol", false},
                     {"silent", true},
                     {"lineStyle", {{"color", "#bab0ac"}, {"type", "dotted"}}}};
    opt["legend"] = {{"top", 4}, {"left", "center"}};
    opt["grid"]["top"] = 60;
    opt["series"] = json::array({series, diagonal});
    return opt;
}

void add_explore_views(json &v, const ReportData &d, ChartSet &charts, const std::string &unit) {
    // Key findings.
    json findings = json::array();
    for (const auto &f : key_findings(d, unit))
        findings.push_back({{"topic", f.topic}, {"text", f.text}, {"anchor", f.anchor}});
    v["findings"] = findings;
    v["has_findings"] = !findings.empty();
    auto money = [&unit](const std::optional<double> &x) {
        std::string s = format_fixed(x, 0);
        return unit.empty() || s == kMissing ? s : s + " " + unit;
    };

    // Sales over time.
    {
        const Trends &t = d.trends;
        json s = section_view(d.section("trends"));
        json main = json::array(), season = json::array(), heat = json::array();
        for (const char *g : {"month", "week", "day"})
            if (!t.series(g).empty()) {
                main.push_back(charts.add("chart-trend", "Revenue and trend",
                                          chart_trend(t, g, unit), 340,
                                          "the dashed line is the trend", true));
                break;
            }
        for (const char *c : {"month", "weekday"}) {
            auto idx = t.cycle(c);
            if (idx.empty()) continue;
            std::optional<double> strength;
            for (const auto &x : idx)
                if (x.strength) strength = x.strength;
            std::string note = strength ? "strength " + format_fixed(*strength, 2) + " (" +
                                              strength_word(*strength) + ")"
                                        : "strength not known (too few full cycles)";
            season.push_back(charts.add(
                std::string("chart-season-") + c,
                std::string(c == std::string("month") ? "Monthly" : "Weekday") + " seasonality",
                chart_seasonality(idx), 280, note));
        }
        if (!t.heatmap.empty())
            heat.push_back(charts.add("chart-heatmap", "Revenue by weekday and hour",
                                      chart_heatmap(t.heatmap), 300, "hover a cell for its revenue",
                                      true));
        s["trend_charts"] = main;
        s["season_charts"] = season;
        s["has_season"] = !season.empty();
        s["heatmap_charts"] = heat;
        s["has_heatmap"] = !heat.empty();
        json months = json::array();
        auto m = t.series("month");
        for (size_t i = 0; i < m.size(); ++i) {
            std::string growth = kMissing;
            if (i > 0 && m[i].revenue && m[i - 1].revenue && *m[i - 1].revenue > 0)
                growth = format_percent(*m[i].revenue / *m[i - 1].revenue - 1);
            months.push_back({{"month", month_label(m[i].period_start)},
                              {"revenue", money(m[i].revenue)},
                              {"growth", growth},
                              {"lines", format_int(m[i].lines)},
                              {"orders", format_int(m[i].orders)},
                              {"customers", format_int(m[i].customers)}});
        }
        s["months"] = months;
        s["has_months"] = !months.empty();
        s["has_data"] = !t.empty();
        // Shown when it has results or something to say about them; older runs leave it out.
        s["show"] = !t.empty() || s["state"] == "failed" || s["state"] == "running";
        v["trends"] = s;
    }

    // Breakdowns.
    {
        const Breakdowns &b = d.breakdowns;
        json s = section_view(d.section("breakdowns"));
        json bars = json::array(), groups = json::array();
        std::vector<BreakdownRow> widest;
        for (const auto &[dim, attr] : b.groups()) {
            auto rows = b.group(dim, attr);
            if (rows.size() > widest.size()) widest = rows;
            std::string title = group_title(dim, attr);
            if (bars.size() < 8)
                bars.push_back(charts.add(
                    "chart-breakdown-" + std::to_string(bars.size()), "Revenue by " + title,
                    chart_breakdown(rows),
                    std::max(160, 40 + 22 * static_cast<int>(std::min<size_t>(rows.size(), 15))),
                    rows.size() > 15 ? "top 15 of " + format_int(static_cast<int64_t>(rows.size()))
                                     : ""));
            json top = json::array();
            for (size_t i = 0; i < rows.size() && i < 10; ++i)
                top.push_back({{"value", truncate(rows[i].value, 60)},
                               {"revenue", money(rows[i].revenue)},
                               {"share", format_percent(rows[i].share)},
                               {"growth", format_percent(rows[i].growth)},
                               {"customers", format_int(rows[i].customers)},
                               {"abc", rows[i].abc_class.value_or(kMissing)}});
            groups.push_back({{"title", title}, {"rows", top}});
        }
        json pareto = json::array();
        if (widest.size() >= 3)
            pareto.push_back(charts.add(
                "chart-pareto",
                "Pareto curve of " + group_title(widest[0].dimension, widest[0].attribute),
                chart_pareto(widest), 320,
                format_int(static_cast<int64_t>(widest.size())) +
                    " items; A: the items that make 80 % of revenue, B: the next 15 %",
                false));
        json conc = json::array();
        for (const auto &c : b.concentration)
            conc.push_back({{"title", group_title(c.dimension, c.attribute)},
                            {"items", format_int(c.items)},
                            {"gini", format_fixed(c.gini, 2)},
                            {"top20", format_percent(c.top20_share)},
                            {"a_items", format_int(c.a_items)},
                            {"a_share", c.a_items && c.items && *c.items > 0
                                            ? format_percent(static_cast<double>(*c.a_items) /
                                                             static_cast<double>(*c.items))
                                            : kMissing}});
        s["bar_charts"] = bars;
        s["pareto_charts"] = pareto;
        s["groups"] = groups;
        s["concentration"] = conc;
        s["has_concentration"] = !conc.empty() || !pareto.empty();
        s["has_data"] = !b.empty();
        s["show"] = !b.empty() || s["state"] == "failed" || s["state"] == "running";
        v["breakdowns"] = s;
    }
}

} // namespace dmine::report
