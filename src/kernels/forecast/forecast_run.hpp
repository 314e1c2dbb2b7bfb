// From a regular series and the options to a forecast value: the model choice ('auto' or a named
// one), intervals, clipping at zero, in-sample MASE.
#pragma once

#include "forecast/forecast_value.hpp"
#include "forecast/options.hpp"
#include "forecast/series_state.hpp"

namespace dmine::forecast {

// The fewest periods 'auto' fits ETS and Theta on; shorter series get the naive forecast.
constexpr int kMinSmoothingPoints = 7;

ForecastValue run_forecast(const Series &series, const ForecastOptions &options);

// Mean absolute one-step error over the mean absolute error of the seasonal naive forecast
// (lag m, or 1 when the series is not longer than m); NaN when undefined.
double in_sample_mase(const std::vector<double> &y, const std::vector<double> &fitted, int m);

} // namespace dmine::forecast
