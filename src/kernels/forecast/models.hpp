// The forecasting methods behind dm_forecast, each giving point forecasts, intervals and in-sample
// fitted values: ETS (one named model or chosen by AICc), the Theta method (as R's
// forecast::thetaf), Croston, SBA and TSB for intermittent demand, and the naive forecast.
#pragma once

#include "forecast/ets_fit.hpp"
#include "forecast/intervals.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dmine::forecast {

struct ModelResult {
    std::string method; // "ETS(M,Ad,M)", "Theta", "Croston", "SBA", "TSB", "naive", "combination"
    std::vector<std::pair<std::string, double>> params;
    std::vector<double> point;
    Bands bands;
    std::vector<double> fitted; // one-step in-sample forecasts; NaN where there is none
    double sigma2 = NAN, loglik = NAN, aic = NAN, aicc = NAN, bic = NAN;
    std::vector<double> initial_state, last_state;
    std::string intervals = "analytic"; // or "simulated", "approximate"
};

struct ModelInputs {
    int h = 1;
    std::vector<double> levels{80, 95};
    int paths = 1000;
    std::uint64_t seed = 0;
};

// The result of an ETS fit forecast h steps ahead.
ModelResult ets_result(const EtsFit &fit, const ModelInputs &in);

// forecast::thetaf: SES with drift on the (multiplicatively) seasonally adjusted series when a
// seasonality test passes. Empty when the series is too short for SES (7 points).
std::optional<ModelResult> theta_model(const std::vector<double> &y, int m, const ModelInputs &in);

// Croston (sba = false) or SBA (sba = true) with smoothing alpha, as forecast::croston.
ModelResult croston_model(const std::vector<double> &y, bool sba, double alpha,
                          const ModelInputs &in);
// Teunter-Syntetos-Babai: demand probability updated every period (beta), size on demand (alpha).
ModelResult tsb_model(const std::vector<double> &y, double alpha, double beta,
                      const ModelInputs &in);
// The last value, random-walk intervals.
ModelResult naive_model(const std::vector<double> &y, const ModelInputs &in);

// The mean of the point forecasts and of the bounds of several results.
ModelResult combine_models(const std::vector<ModelResult> &parts, const std::vector<double> &y);

// R's thetaf seasonality test: |r_m| beyond the 95% normal quantile of its standard error,
// for positive, non-constant series of at least min_points points (thetaf: 2m + 1).
bool seasonality_test(const std::vector<double> &y, int m, int min_points);

// ETS chosen by AICc among the non-seasonal models on the multiplicatively seasonally adjusted
// series (classical decomposition), forecasts and bounds seasonalised again: for seasonal
// series too short for seasonal ETS. Empty when no model fits.
std::optional<ModelResult> adjusted_ets_model(const std::vector<double> &y, int m,
                                              const ModelInputs &in);

// Whether a series looks intermittent: non-negative, at least 30% zero periods.
bool is_intermittent(const std::vector<double> &y);

} // namespace dmine::forecast
