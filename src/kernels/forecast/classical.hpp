// Small building blocks shared by the models, as R computes them: classical decomposition
// (stats::decompose), least-squares lines (lsfit), the autocorrelation function (acf).
#pragma once

#include <vector>

namespace dmine::forecast {

// Seasonal component of stats::decompose: one value per point (the season figure repeated from
// the first point on). multiplicative: figures average 1, else 0. Needs n >= 2 m, m >= 2.
std::vector<double> decompose_seasonal(const std::vector<double> &y, int m, bool multiplicative);

// Intercept and slope of the least-squares line through (x0 + i, y[i]), i < n.
void least_squares_line(const double *y, int n, double x0, double &intercept, double &slope);

// Sample autocorrelations r_1..r_max_lag of y (R's acf, demeaned, divided by the lag-0 sum).
std::vector<double> autocorrelations(const std::vector<double> &y, int max_lag);

} // namespace dmine::forecast
