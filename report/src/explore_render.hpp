// The views and charts of the exploration sections (sales over time, breakdowns) and of the
// key findings.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "chart_common.hpp"
#include "explore_data.hpp"

namespace dmine::report {

// Revenue and its trend over time for one grain (day, week, month); the other grains with data
// ride along under "dmineVariants", which the page's switch draws in the same chart.
nlohmann::json chart_trend(const Trends &t, const std::string &grain, const std::string &unit);
nlohmann::json chart_seasonality(const std::vector<SeasonIndex> &s);
nlohmann::json chart_heatmap(const std::vector<HeatCell> &cells);
nlohmann::json chart_breakdown(const std::vector<BreakdownRow> &rows, size_t limit = 15);
// Cumulative share of revenue over the share of items, best first, with the 80 % line and the
// ABC classes as areas.
nlohmann::json chart_pareto(const std::vector<BreakdownRow> &rows);

// Adds findings, trends and breakdowns to the template's view.
void add_explore_views(nlohmann::json &v, const ReportData &d, ChartSet &charts,
                       const std::string &unit);

} // namespace dmine::report
