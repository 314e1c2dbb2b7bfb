// dm_forecast options.
#include "forecast/options.hpp"

#include "core/errors.hpp"
#include "core/json_input.hpp"
#include "forecast/ets_core.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace dmine::forecast {

namespace {

using nlohmann::json;

[[noreturn]] void bad_option(const std::string &message, const std::string &hint = {}) {
    fail(ErrorKind::InvalidParameter, "invalid forecast option: " + message, {}, hint);
}

std::int64_t integer_option(const json &value, const char *key, std::int64_t low,
                            std::int64_t high) {
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX)
        bad_option(std::string(key) + " is too large");
    if (!value.is_number_integer()) bad_option(std::string(key) + " must be an integer");
    std::int64_t v = value.get<std::int64_t>();
    if (v < low || v > high)
        bad_option(std::string(key) + " must be between " + std::to_string(low) + " and " +
                   std::to_string(high) + ", got " + std::to_string(v));
    return v;
}

double share_option(const json &value, const char *key) {
    if (!value.is_number()) bad_option(std::string(key) + " must be a number in (0, 1]");
    double v = value.get<double>();
    if (!(v > 0 && v <= 1)) bad_option(std::string(key) + " must be a number in (0, 1]");
    return v;
}

std::vector<double> levels_option(const json &value) {
    if (!value.is_array() || value.empty() || value.size() > kMaxLevels)
        bad_option("levels must be an array of 1 to 10 numbers in (0, 100)",
                   "For example [80, 95].");
    std::vector<double> levels;
    for (const auto &v : value) {
        if (!v.is_number()) bad_option("levels must be numbers in (0, 100)");
        double level = v.get<double>();
        if (!(level > 0 && level < 100)) bad_option("levels must be numbers in (0, 100)");
        levels.push_back(level);
    }
    return levels;
}

const char *kKnownKeys = "Known keys: period, grain, model, levels, nonnegative, max_history, "
                         "min_history, paths, seed, alpha, beta.";

} // namespace

bool known_model(const std::string &model) {
    static const char *names[] = {"auto", "ets", "theta", "croston",
                                  "sba",  "tsb", "naive", "combination"};
    for (const char *n : names)
        if (model == n) return true;
    EtsSpec spec;
    return parse_ets_name(model, spec);
}

ForecastOptions parse_forecast_options(const std::string &text, std::int64_t horizon) {
    ForecastOptions o;
    if (horizon < 1 || horizon > kMaxHorizon)
        fail(ErrorKind::InvalidParameter,
             "forecast horizon must be between 1 and " + std::to_string(kMaxHorizon) + ", got " +
                 std::to_string(horizon),
             {}, "The horizon counts periods after the last one of the series.");
    o.horizon = static_cast<int>(horizon);
    json object = json_input::parse(text, ErrorKind::InvalidParameter, "invalid forecast option: ");
    if (object.is_null()) return o;
    if (!object.is_object()) bad_option("options must be a JSON object");
    for (const auto &[key, value] : object.items()) {
        if (key == "period") {
            o.period = static_cast<int>(integer_option(value, "period", 1, kMaxPeriod));
        } else if (key == "grain") {
            if (!value.is_string() || !parse_grain(value.get<std::string>(), o.grain))
                bad_option("grain must be one of hour, day, week, month, quarter, year");
        } else if (key == "model") {
            if (!value.is_string() || !known_model(value.get<std::string>()))
                bad_option("unknown model " + json_input::excerpt(value),
                           "Models: auto, ets, ETS(E,T,S) such as ETS(A,Ad,M), theta, croston, "
                           "sba, tsb, naive, combination.");
            o.model = value.get<std::string>();
        } else if (key == "levels") {
            o.levels = levels_option(value);
        } else if (key == "nonnegative") {
            if (!value.is_boolean()) bad_option("nonnegative must be true or false");
            o.nonnegative = value.get<bool>();
        } else if (key == "max_history") {
            o.max_history =
                static_cast<int>(integer_option(value, "max_history", 1, kMaxHistoryLimit));
        } else if (key == "min_history") {
            o.min_history =
                static_cast<int>(integer_option(value, "min_history", 1, kMaxHistoryLimit));
        } else if (key == "paths") {
            o.paths = static_cast<int>(integer_option(value, "paths", 10, kMaxPaths));
        } else if (key == "seed") {
            o.seed = static_cast<std::uint64_t>(integer_option(value, "seed", 0, INT64_MAX));
        } else if (key == "alpha") {
            o.alpha = share_option(value, "alpha");
        } else if (key == "beta") {
            o.beta = share_option(value, "beta");
        } else {
            bad_option("unknown key \"" + key + "\"", kKnownKeys);
        }
    }
    if (o.min_history > o.max_history)
        bad_option("min_history (" + std::to_string(o.min_history) +
                   ") is larger than max_history (" + std::to_string(o.max_history) + ")");
    return o;
}

} // namespace dmine::forecast
