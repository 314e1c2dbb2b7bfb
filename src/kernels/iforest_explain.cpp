// Per-feature isolation bits along a row's paths.
#include "iforest_explain.hpp"

#include <algorithm>
#include <cmath>

namespace dmine::iforest {

Explanation explain(const Forest &forest, const double *x) {
    const auto &feature = forest.feature();
    const auto &left = forest.left();
    const auto &value = forest.value();
    const auto &size = forest.size();
    std::vector<double> bits(forest.dim(), 0.0);
    for (int t = 0; t < forest.n_trees(); t++) {
        std::int32_t i = forest.roots()[t];
        while (!forest.is_leaf(i)) {
            std::int32_t f = feature[i];
            std::int32_t child = left[i] + (x[f] > value[i]);
            bits[f] += std::log2(double(size[i]) / double(size[child]));
            i = child;
        }
    }
    Explanation result;
    result.score = forest.score(x);
    double total = 0.0;
    for (double &b : bits) {
        b /= forest.n_trees();
        total += b;
    }
    for (int f = 0; f < forest.dim(); f++)
        result.features.push_back({f, bits[f], total > 0.0 ? bits[f] / total : 0.0});
    std::stable_sort(result.features.begin(), result.features.end(),
                     [](const FeatureContribution &a, const FeatureContribution &b) {
                         return a.contribution > b.contribution;
                     });
    return result;
}

} // namespace dmine::iforest
