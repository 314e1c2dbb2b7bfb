// Isolation Forest options.
#include "iforest/iforest_options.hpp"

#include "core/errors.hpp"
#include "core/json_input.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace dmine::iforest {

namespace {

using nlohmann::json;

[[noreturn]] void bad_option(const std::string &message, const std::string &hint = {}) {
    fail(ErrorKind::InvalidParameter, "invalid Isolation Forest option: " + message, {}, hint);
}

std::int64_t integer_option(const json &value, const char *key) {
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX)
        bad_option(std::string(key) + " is too large");
    if (!value.is_number_integer()) bad_option(std::string(key) + " must be an integer");
    return value.get<std::int64_t>();
}

int ranged_option(const json &value, const char *key, int low, int high) {
    std::int64_t v = integer_option(value, key);
    if (v < low || v > high)
        bad_option(std::string(key) + " must be between " + std::to_string(low) + " and " +
                   std::to_string(high) + ", got " + std::to_string(v));
    return static_cast<int>(v);
}

double contamination_option(const json &value) {
    if (value.is_string()) {
        if (value.get<std::string>() == "auto") return -1.0;
        bad_option("contamination must be 'auto' or a number in (0, 0.5]");
    }
    if (!value.is_number()) bad_option("contamination must be 'auto' or a number in (0, 0.5]");
    double c = value.get<double>();
    if (!(c > 0.0 && c <= 0.5))
        bad_option("contamination must be 'auto' or a number in (0, 0.5]",
                   "It is the expected share of anomalies, for example 0.01.");
    return c;
}

// The options in a parsed object, every key checked.
Options options_from_json(const json &object) {
    if (object.is_null()) return Options{};
    if (!object.is_object()) bad_option("options must be a JSON object");
    Options options;
    for (const auto &[key, value] : object.items()) {
        if (key == "n_trees")
            options.n_trees = ranged_option(value, "n_trees", 1, kMaxTrees);
        else if (key == "sample_size")
            options.sample_size =
                ranged_option(value, "sample_size", kMinSampleSize, kMaxSampleSize);
        else if (key == "max_depth")
            options.max_depth = ranged_option(value, "max_depth", 1, kMaxDepthLimit);
        else if (key == "contamination")
            options.contamination = contamination_option(value);
        else if (key == "seed") {
            std::int64_t seed = integer_option(value, "seed");
            if (seed < 0) bad_option("seed must be a non-negative integer");
            options.seed = static_cast<std::uint64_t>(seed);
        } else
            bad_option("unknown key \"" + key + "\"",
                       "Known keys: n_trees, sample_size, max_depth, contamination, seed.");
    }
    validate(options);
    return options;
}

} // namespace

Options parse_options(const std::string &text) {
    json object =
        json_input::parse(text, ErrorKind::InvalidParameter, "invalid Isolation Forest option: ",
                          "For example '{\"n_trees\": 200, \"contamination\": 0.01}'.");
    return json_input::guarded(ErrorKind::InvalidParameter, "invalid Isolation Forest option: ",
                               [&object] { return options_from_json(object); });
}

void validate(const Options &o) {
    if (o.n_trees < 1 || o.n_trees > kMaxTrees)
        bad_option("n_trees must be between 1 and " + std::to_string(kMaxTrees));
    if (o.sample_size < kMinSampleSize || o.sample_size > kMaxSampleSize)
        bad_option("sample_size must be between " + std::to_string(kMinSampleSize) + " and " +
                   std::to_string(kMaxSampleSize));
    if (o.max_depth < 0 || o.max_depth > kMaxDepthLimit)
        bad_option("max_depth must be between 1 and " + std::to_string(kMaxDepthLimit));
    if (!(o.contamination < 0.0 || (o.contamination > 0.0 && o.contamination <= 0.5)))
        bad_option("contamination must be 'auto' or a number in (0, 0.5]");
}

void validate_pool_size(const Options &o, int dim) {
    std::uint64_t values = std::uint64_t(o.sample_size) * std::uint64_t(o.n_trees) * dim;
    if (values > kMaxPoolValues)
        bad_option("sample_size * n_trees * features is " + std::to_string(values) +
                       ", more than the limit of " + std::to_string(kMaxPoolValues),
                   "Lower n_trees or sample_size, or use fewer features.");
}

bool contamination_is_auto(const Options &options) {
    return options.contamination < 0.0;
}

} // namespace dmine::iforest
