// Why a row is isolated: each feature's contribution to its isolation.
//
// In each tree, the row's path from the root to its leaf is a sequence of splits; the split at
// a node of n training rows that sends the row to a child of m rows isolates it by
// log2(n / m) bits. A feature's contribution is the mean over the trees of the bits of the
// splits on that feature along the row's path. An early split that cuts the row off from most
// of the sample earns many bits, a late split or one that keeps most rows with it earns few,
// so the features that make a row easy to isolate come first. The contributions add up to the
// mean of log2(ψ / leaf size), the row's isolation in bits.
#pragma once

#include "iforest/iforest_model.hpp"

#include <vector>

namespace dmine::iforest {

struct FeatureContribution {
    int feature;         // 0-based
    double contribution; // bits of isolation, mean over the trees
    double share;        // contribution / total, 0 when the total is 0
};

struct Explanation {
    double score;
    std::vector<FeatureContribution> features; // every feature, largest contribution first
};

// Explain the row `x` of forest.dim() values.
Explanation explain(const Forest &forest, const double *x);

} // namespace dmine::iforest
