#include "forecast_render.hpp"

#include <cmath>

#include "findings.hpp"
#include "format.hpp"

namespace dmine::report {

using nlohmann::json;

namespace {

const char *kForecastColor = "#f28e2b";
const char *kBand95 = "rgba(242,142,43,0.16)";
const char *kBand80 = "rgba(242,142,43,0.30)";

std::string series_title(const ForecastSeries &s) {
    if (s.dimension == "total") return "All revenue";
    return s.value.empty() ? "(none)" : s.value;
}

std::string dimension_title(const std::string &dimension, const std::string &attribute) {
    if (dimension == "product") return "Revenue forecast per product " + attribute;
    if (dimension == "store") return "Revenue forecast per store";
    return "Revenue forecast per " + dimension + (attribute.empty() ? "" : " · " + attribute);
}

std::string period_label(const std::string &iso, const std::string &grain) {
    if (grain == "month" && iso.size() >= 7) return iso.substr(0, 7);
    return iso.substr(0, 10);
}

// A band as two stacked series: the invisible lower bound and the width above it.
void add_band(json &series, const std::string &name, const std::string &stack, const json &lower,
              const json &width, const char *color) {
    series.push_back({{"type", "line"},
                      {"name", name + " (lower)"},
                      {"data", lower},
                      {"stack", stack},
                      {"symbol", "none"},
                      {"silent", true},
                      {"lineStyle", {{"opacity", 0}}},
                      {"tooltip", {{"show", false}}}});
    series.push_back({{"type", "line"},
                      {"name", name},
                      {"data", width},
                      {"stack", stack},
                      {"symbol", "none"},
                      {"lineStyle", {{"opacity", 0}}},
                      {"areaStyle", {{"color", color}}},
                      {"itemStyle", {{"color", color}}},
                      {"tooltip", {{"show", false}}}});
}

} // namespace

json chart_fan(const ForecastSeries &s, const std::string &unit) {
    json opt = base_option();
    json labels = json::array(), actual = json::array(), point = json::array();
    json lo80 = json::array(), w80 = json::array(), lo95 = json::array(), w95 = json::array();
    auto width = [](const std::optional<double> &lo, const std::optional<double> &hi) {
        return lo && hi && std::isfinite(*lo) && std::isfinite(*hi) ? json(tidy(*hi - *lo))
                                                                    : json(nullptr);
    };
    for (const auto &p : s.history) {
        labels.push_back(period_label(p.period_start, s.grain));
        actual.push_back(opt_num(p.actual));
        // The forecast line starts at the last observed period.
        point.push_back(p.step == 0 ? opt_num(p.actual) : json(nullptr));
        for (json *a : {&lo80, &w80, &lo95, &w95}) a->push_back(nullptr);
    }
    for (const auto &p : s.forecast) {
        labels.push_back(period_label(p.period_start, s.grain));
        actual.push_back(nullptr);
        point.push_back(opt_num(p.point));
        lo80.push_back(opt_num(p.lo80));
        w80.push_back(width(p.lo80, p.hi80));
        lo95.push_back(opt_num(p.lo95));
        w95.push_back(width(p.lo95, p.hi95));
    }
    json series = json::array();
    add_band(series, "95 % interval", "band95", lo95, w95, kBand95);
    add_band(series, "80 % interval", "band80", lo80, w80, kBand80);
    series.push_back({{"type", "line"},
                      {"name", "revenue"},
                      {"data", actual},
                      {"showSymbol", s.history.size() <= 60},
                      {"itemStyle", {{"color", kPalette[0]}}}});
    series.push_back(
        {{"type", "line"},
         {"name", "forecast"},
         {"data", point},
         {"showSymbol", true},
         {"lineStyle", {{"type", "dashed"}, {"width", 2.5}, {"color", kForecastColor}}},
         {"itemStyle", {{"color", kForecastColor}}}});
    opt["legend"] = {
        {"top", 4},
        {"data", json::array({"revenue", "forecast", "80 % interval", "95 % interval"})}};
    opt["grid"]["top"] = 40;
    opt["xAxis"] = {{"type", "category"}, {"data", labels}, {"boundaryGap", false}};
    opt["yAxis"] = {{"type", "value"},
                    {"name", unit.empty() ? "revenue" : "revenue (" + unit + ")"},
                    {"min", 0}};
    opt["series"] = series;
    return opt;
}

void add_forecast_view(json &v, const ReportData &d, ChartSet &charts, const std::string &unit) {
    json s = section_view(d.section("forecast"));
    auto all = d.forecasts.series();
    json main = json::array(), by_dim = json::array(), next = json::array();
    // The series of one dimension share a chart, with a switch between them (at most 12).
    for (size_t i = 0; i < all.size();) {
        size_t j = i;
        while (j < all.size() && all[j].dimension == all[i].dimension &&
               all[j].attribute == all[i].attribute)
            ++j;
        const ForecastSeries &first = all[i];
        json opt = chart_fan(first, unit);
        if (first.dimension == "total") {
            main.push_back(charts.add("chart-forecast-total", "Revenue forecast", opt, 340,
                                      "model " + first.model + "; bands: 80 % and 95 % intervals",
                                      true));
        } else {
            json variants = json::array();
            for (size_t k = i; k < j && k < i + 12; ++k)
                variants.push_back({{"name", truncate(series_title(all[k]), 24)},
                                    {"option", k == i ? opt : chart_fan(all[k], unit)}});
            if (variants.size() > 1) {
                opt["dmineVariants"] = variants;
                opt["dmineVariant"] = variants[0]["name"];
            }
            by_dim.push_back(charts.add("chart-forecast-" + std::to_string(by_dim.size()),
                                        dimension_title(first.dimension, first.attribute), opt, 320,
                                        j - i > 12 ? "the 12 of " +
                                                         format_int(static_cast<int64_t>(j - i)) +
                                                         " with the most revenue"
                                                   : "",
                                        true));
        }
        for (size_t k = i; k < j; ++k) {
            const ForecastSeries &x = all[k];
            if (x.forecast.empty()) continue;
            double sum = 0, lo = 0, hi = 0;
            bool ok = true;
            for (const auto &p : x.forecast) {
                ok = ok && p.point && p.lo95 && p.hi95;
                if (!ok) break;
                sum += *p.point;
                lo += *p.lo95;
                hi += *p.hi95;
            }
            next.push_back(
                {{"series",
                  x.dimension == "total" ? "All revenue" : x.dimension + " · " + series_title(x)},
                 {"model", x.model},
                 {"first", month_label(x.forecast.front().period_start)},
                 {"point", format_fixed(x.forecast.front().point, 0)},
                 {"lo95", format_fixed(x.forecast.front().lo95, 0)},
                 {"hi95", format_fixed(x.forecast.front().hi95, 0)},
                 {"periods", format_int(static_cast<int64_t>(x.forecast.size()))},
                 {"total", ok ? format_fixed(sum, 0) : kMissing}});
        }
        i = j;
    }
    s["main_charts"] = main;
    s["dimension_charts"] = by_dim;
    s["has_dimension_charts"] = !by_dim.empty();
    s["next"] = next;
    s["has_data"] = !d.forecasts.empty();
    s["show"] = !d.forecasts.empty() || s["state"] == "failed" || s["state"] == "running";
    v["forecast"] = s;
}

} // namespace dmine::report
