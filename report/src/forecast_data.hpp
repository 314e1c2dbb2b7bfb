// The forecast results of a run (result_forecasts: revenue history and forecast with 80/95 %
// intervals, overall, per product family, per store), read from a table older databases lack.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db.hpp"
#include "explore_data.hpp"

namespace dmine::report {

struct ForecastPoint {
    std::string dimension, attribute, value, grain, period_start, model;
    int64_t step = 0; // <= 0: history (actual); 1..horizon: forecast (point, intervals)
    std::optional<double> actual, point, lo80, hi80, lo95, hi95;
};

struct ForecastSeries {
    std::string dimension, attribute, value, model, grain;
    std::vector<ForecastPoint> history, forecast; // in time order
};

struct Forecasts {
    std::vector<ForecastPoint> rows; // by dimension, attribute, value, period_start
    bool empty() const { return rows.empty(); }
    // Every series: the total first, then product, store and any other dimension; within a
    // dimension, by revenue over the history, largest first.
    std::vector<ForecastSeries> series() const;
};

std::vector<ForecastPoint> forecasts_from_rows(const Rows &rows);
nlohmann::json forecasts_json(const Forecasts &f);
Forecasts load_forecasts(Connection &conn, int64_t run_id, const DmineColumns &columns,
                         std::vector<std::string> *notes);

} // namespace dmine::report
