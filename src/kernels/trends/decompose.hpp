// Seasonal decomposition of a regular series: a robust multiplicative model y = trend x season x
// remainder, with a centred moving average over one season for the trend, medians of the
// detrended ratios for the seasonal indices, Hyndman's strength of seasonality, and the
// Theil-Sen slope of the seasonally adjusted series.
#pragma once

#include <vector>

namespace dmine::trends {

struct Decomposition {
    std::vector<double> trend;    // one value per point; NaN where undefined
    std::vector<double> seasonal; // one index per season position (mean 1); NaN if never seen
    double strength;              // F_s = max(0, 1 - Var(R) / Var(S + R)); NaN if < 2 seasons
    double slope;                 // Theil-Sen slope of the seasonally adjusted series per step
};

// Median of values (NaN when empty); reorders its argument.
double median(std::vector<double> &values);

// Theil-Sen slope (median of pairwise slopes) of the finite points of y against their index;
// NaN with fewer than two finite points. Long series are thinned to about 2,000 points.
double theil_sen_slope(const std::vector<double> &y);

// Centred moving average over one season (2 x period for an even period), skipping NaN points.
// truncate = false: NaN where the window does not fit; true: shorter windows at the ends.
std::vector<double> centred_moving_average(const std::vector<double> &y, int period, bool truncate);

// Decompose y (consecutive points, the first at season position first_position in
// 0..period-1). Values must be finite; period >= 2.
Decomposition decompose(const std::vector<double> &y, int period, int first_position);

} // namespace dmine::trends
