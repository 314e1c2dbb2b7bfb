// Prediction intervals: the normal quantile (Wichura's AS 241, as R's qnorm), ETS intervals
// analytic for the linear models (additive error, no multiplicative part: Hyndman et al. 2008,
// class 1) and simulated otherwise, from a fixed seed.
#pragma once

#include "forecast/ets_fit.hpp"

#include <cstdint>
#include <vector>

namespace dmine::forecast {

// The p-quantile of the standard normal distribution, 0 < p < 1.
double normal_quantile(double p);

// Lower and upper bounds per level (in percent), h steps each.
struct Bands {
    std::vector<double> levels;
    std::vector<std::vector<double>> lo, hi;
    bool simulated = false;
};

// Bands around `point` with h-step standard deviations `sd`.
Bands normal_bands(const std::vector<double> &point, const std::vector<double> &sd,
                   const std::vector<double> &levels);

// Whether the model has analytic intervals (additive error, trend N/A, season N/A).
bool ets_linear(const EtsSpec &spec);

// Intervals of an ETS fit: analytic when linear, else from `paths` simulated sample paths.
Bands ets_bands(const EtsFit &fit, const std::vector<double> &point,
                const std::vector<double> &levels, int paths, std::uint64_t seed);

} // namespace dmine::forecast
