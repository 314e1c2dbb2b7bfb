// K-Means fitting options: defaults, validation and their JSON form.
#pragma once

#include "core/errors.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string_view>

namespace dmine::kmeans {

struct Options {
    std::int32_t max_iter = 300;            // Lloyd iterations per run
    double tol = 1e-4;                      // relative centre-shift tolerance (scikit-learn's)
    std::int32_t n_init = 10;               // k-means++ restarts
    std::uint64_t seed = 0;                 // random seed: same seed, same data, same model
    bool scale = true;                      // standardise features (z-scores) before fitting
    std::uint64_t sample_size = 100000;     // points kept in memory; beyond, a uniform sample
    std::uint32_t silhouette_sample = 2000; // points on which the silhouette is computed
    std::int32_t swap_trials = 100;         // budget of centroid swaps tried after the restarts

    bool operator==(const Options &o) const;
};

// Throw `kind` unless every option is within its range.
void validate(const Options &options, ErrorKind kind);

// Options from a JSON object text; unknown keys, wrong types and out-of-range values are
// errors of `kind` (InvalidParameter for user options, InvalidText inside a model's text).
Options parse_options(std::string_view text, ErrorKind kind = ErrorKind::InvalidParameter);
Options options_from_json(const nlohmann::ordered_json &object, ErrorKind kind);
nlohmann::ordered_json options_to_json(const Options &options);

} // namespace dmine::kmeans
