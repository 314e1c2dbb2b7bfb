// The forecast section of the report: a fan chart per series (history, forecast, 80 % and 95 %
// bands), the series of a dimension behind a switch, and a table of the next periods.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "chart_common.hpp"
#include "forecast_data.hpp"

namespace dmine::report {

// History and forecast of one series on a category axis of periods; the bands are stacked areas
// (lower bound, then the width), so the 95 % band shows behind the 80 % one.
nlohmann::json chart_fan(const ForecastSeries &s, const std::string &unit);

// Adds the forecast section to the template's view.
void add_forecast_view(nlohmann::json &v, const ReportData &d, ChartSet &charts,
                       const std::string &unit);

} // namespace dmine::report
