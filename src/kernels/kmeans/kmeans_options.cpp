// K-Means options: JSON parsing with precise messages.
#include "kmeans/kmeans_options.hpp"

#include "core/json_input.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>

namespace dmine::kmeans {
namespace {

using Json = nlohmann::ordered_json;

// An integer option within [lo, hi] (every bound is non-negative).
template <typename T>
T integer_option(const Json &value, const std::string &key, std::uint64_t lo, std::uint64_t hi,
                 ErrorKind kind) {
    bool ok = false;
    if (value.is_number_unsigned()) {
        auto x = value.get<std::uint64_t>();
        ok = x >= lo && x <= hi;
    } else if (value.is_number_integer()) {
        auto x = value.get<std::int64_t>();
        ok = x >= 0 && static_cast<std::uint64_t>(x) >= lo && static_cast<std::uint64_t>(x) <= hi;
    }
    if (!ok)
        fail(kind,
             "option \"" + key + "\" must be an integer between " + std::to_string(lo) + " and " +
                 std::to_string(hi),
             "Got " + json_input::excerpt(value) + ".");
    return static_cast<T>(value.get<std::uint64_t>());
}

void check_range(bool ok, ErrorKind kind, const char *message) {
    if (!ok) fail(kind, message);
}

} // namespace

bool Options::operator==(const Options &o) const {
    return max_iter == o.max_iter && tol == o.tol && n_init == o.n_init && seed == o.seed &&
           scale == o.scale && sample_size == o.sample_size &&
           silhouette_sample == o.silhouette_sample && swap_trials == o.swap_trials;
}

void validate(const Options &o, ErrorKind kind) {
    check_range(o.max_iter >= 1 && o.max_iter <= 100000, kind,
                "option \"max_iter\" must be between 1 and 100000");
    check_range(std::isfinite(o.tol) && o.tol >= 0, kind,
                "option \"tol\" must be a finite number >= 0");
    check_range(o.n_init >= 1 && o.n_init <= 1000, kind,
                "option \"n_init\" must be between 1 and 1000");
    check_range(o.sample_size >= 1 && o.sample_size <= 100000000, kind,
                "option \"sample_size\" must be between 1 and 100000000");
    check_range(o.silhouette_sample >= 2 && o.silhouette_sample <= 100000, kind,
                "option \"silhouette_sample\" must be between 2 and 100000");
    check_range(o.swap_trials >= 0 && o.swap_trials <= 1000000, kind,
                "option \"swap_trials\" must be between 0 and 1000000");
}

Options options_from_json(const Json &object, ErrorKind kind) {
    if (!object.is_object())
        fail(kind, "options must be a JSON object", "Got " + json_input::excerpt(object) + ".",
             "For example '{\"n_init\": 10, \"scale\": false}'.");
    Options o;
    for (const auto &[key, value] : object.items()) {
        if (key == "max_iter")
            o.max_iter = integer_option<std::int32_t>(value, key, 1, 100000, kind);
        else if (key == "n_init")
            o.n_init = integer_option<std::int32_t>(value, key, 1, 1000, kind);
        else if (key == "seed")
            o.seed = integer_option<std::uint64_t>(value, key, 0, UINT64_MAX, kind);
        else if (key == "sample_size")
            o.sample_size = integer_option<std::uint64_t>(value, key, 1, 100000000, kind);
        else if (key == "silhouette_sample")
            o.silhouette_sample = integer_option<std::uint32_t>(value, key, 2, 100000, kind);
        else if (key == "swap_trials")
            o.swap_trials = integer_option<std::int32_t>(value, key, 0, 1000000, kind);
        else if (key == "tol") {
            if (!value.is_number() || !std::isfinite(value.get<double>()) ||
                value.get<double>() < 0)
                fail(kind, "option \"tol\" must be a finite number >= 0",
                     "Got " + json_input::excerpt(value) + ".");
            o.tol = value.get<double>();
        } else if (key == "scale") {
            if (!value.is_boolean())
                fail(kind, "option \"scale\" must be true or false",
                     "Got " + json_input::excerpt(value) + ".");
            o.scale = value.get<bool>();
        } else {
            fail(kind, "unknown option \"" + key + "\"",
                 "Known options: max_iter, tol, n_init, seed, scale, sample_size, "
                 "silhouette_sample, swap_trials.");
        }
    }
    validate(o, kind);
    return o;
}

Options parse_options(std::string_view text, ErrorKind kind) {
    Json object = json_input::parse_ordered(text, kind, "invalid K-Means options: ",
                                            "For example '{\"n_init\": 10, \"scale\": false}'.");
    return json_input::guarded(
        kind, "invalid K-Means options: ", [&] { return options_from_json(object, kind); });
}

Json options_to_json(const Options &o) {
    return Json{{"max_iter", o.max_iter},
                {"tol", o.tol},
                {"n_init", o.n_init},
                {"seed", o.seed},
                {"scale", o.scale},
                {"sample_size", o.sample_size},
                {"silhouette_sample", o.silhouette_sample},
                {"swap_trials", o.swap_trials}};
}

} // namespace dmine::kmeans
