// Isolation Forest options: defaults of Liu, Ting & Zhou (2008) and scikit-learn, JSON parsing.
#pragma once

#include <cstdint>
#include <string>

namespace dmine::iforest {

constexpr int kDefaultTrees = 100;
constexpr int kDefaultSampleSize = 256;
constexpr int kMaxTrees = 10000;
constexpr int kMinSampleSize = 2;
constexpr int kMaxSampleSize = 1 << 16;
constexpr int kMaxDepthLimit = 64;
constexpr int kMaxDim = 1 << 16;
// Upper bound on the values held by the sample pool (sample_size * n_trees * dim): 256 MiB.
constexpr std::uint64_t kMaxPoolValues = std::uint64_t(1) << 25;

struct Options {
    int n_trees = kDefaultTrees;
    int sample_size = kDefaultSampleSize; // ψ is min(sample_size, rows)
    int max_depth = 0;                    // 0: ceil(log2 ψ)
    double contamination = -1.0;          // < 0: 'auto' (anomaly when the score exceeds 0.5)
    std::uint64_t seed = 0;
};

// Options from a JSON object such as {"n_trees": 200, "contamination": 0.01}; unknown keys,
// wrong types and out-of-range values fail with ErrorKind::InvalidParameter.
Options parse_options(const std::string &json);

// Fail with ErrorKind::InvalidParameter unless every option is in its range.
void validate(const Options &options);

// Fail with ErrorKind::InvalidParameter when the sample pool for `dim` features is too large.
void validate_pool_size(const Options &options, int dim);

bool contamination_is_auto(const Options &options);

} // namespace dmine::iforest
