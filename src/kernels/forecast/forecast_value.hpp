// A forecast as stored by the dmine.forecast type: the method and its parameters, fit
// statistics, the point forecasts and interval bounds, and the history with its fitted values.
// Binary form: the versioned model envelope (core/model_format); text form: JSON whose numbers
// round-trip exactly. Both are fully validated on input.
#pragma once

#include "core/errors.hpp"
#include "forecast/calendar.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dmine::forecast {

constexpr std::uint32_t kForecastMagic = 0x54534346; // "FCST"
constexpr std::uint16_t kForecastVersion = 1;

struct ForecastValue {
    TimeKind kind = TimeKind::Index;
    Grain grain = Grain::None;
    int period = 1;
    std::int64_t first = 0; // bucket or index of actual[0]
    std::string model;      // as requested ("auto", "ETS(A,N,N)"...)
    std::string method;     // as used
    std::string intervals;  // analytic, simulated, approximate, combined, none
    bool nonnegative = false;
    std::vector<std::pair<std::string, double>> params;
    double aicc = NAN, aic = NAN, bic = NAN, loglik = NAN, sigma2 = NAN, mase = NAN;
    std::vector<double> levels;
    std::vector<double> point;
    std::vector<std::vector<double>> lo, hi; // per level, per step
    std::vector<double> actual, fitted;
    std::vector<double> initial_state, last_state;
    std::uint64_t rows = 0, nulls = 0, filled = 0, dropped = 0;

    int horizon() const { return static_cast<int>(point.size()); }
    // The bucket (or index) of forecast step `step` (1-based) and of history point i (0-based).
    std::int64_t step_key(int step) const {
        return first + static_cast<std::int64_t>(actual.size()) + step - 1;
    }

    std::vector<std::uint8_t> encode() const;
    static ForecastValue decode(const void *data, std::size_t size);
    std::string to_json() const;
    static ForecastValue from_json(const std::string &text);
    // The summary for dm_forecast_info (no series).
    std::string info_json() const;
};

// Check every field (sizes, ranges, finiteness); failures raise `kind`.
void validate(const ForecastValue &value, ErrorKind kind);

} // namespace dmine::forecast
