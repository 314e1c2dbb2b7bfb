// Options of dm_forecast (a JSON object, read from the first row) and their bounds.
#pragma once

#include "forecast/calendar.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmine::forecast {

constexpr int kMaxHorizon = 10000;
constexpr int kMaxHistoryLimit = 100000;
constexpr int kDefaultMaxHistory = 2000;
constexpr int kMaxPeriod = 1000;
constexpr int kMaxLevels = 10;
constexpr int kMaxPaths = 100000;
constexpr std::size_t kMaxPoints = 1000000; // distinct times kept per series before bucketing

struct ForecastOptions {
    int horizon = 1;
    int period = 0;            // 0: from the grain (1 for an index)
    Grain grain = Grain::None; // None: inferred from the times (index: none)
    std::string model = "auto";
    std::vector<double> levels{80, 95};
    bool nonnegative = false;
    int max_history = kDefaultMaxHistory; // most recent periods kept
    int min_history = 1;                  // fewer periods: an error
    int paths = 1000;                     // simulated sample paths
    std::uint64_t seed = 0;
    double alpha = 0.1; // Croston, SBA, TSB size smoothing
    double beta = 0.1;  // TSB probability smoothing
};

// Models accepted by the model option: auto, ets (best ETS by AICc), ETS(E,T,S) names, theta,
// croston, sba, tsb, naive, combination (mean of the best ETS and Theta).
bool known_model(const std::string &model);

// Parse and check the options text (InvalidParameter on any defect); horizon checked too.
ForecastOptions parse_forecast_options(const std::string &json_text, std::int64_t horizon);

} // namespace dmine::forecast
