// Per-feature isolation bits along a row's paths.
#include "iforest/iforest_explain.hpp"

#include <algorithm>
#include <cmath>

namespace dmine::iforest {

Explanation explain(const Forest &forest, const double *x) {
    std::vector<double> bits(forest.dim(), 0.0);
    for (int t = 0; t < forest.n_trees(); t++) {
        std::uint32_t i = forest.root(t);
        // A loop, not recursion: assemble() proved that children follow their parent within
        // the tree and that no leaf is deeper than max_depth (<= 64), so it ends that soon.
        while (!forest.is_leaf(i)) {
            const Link &link = forest.link(i);
            std::uint32_t child = link.left + (x[link.feature] > forest.value(i));
            bits[link.feature] += std::log2(double(forest.size(i)) / double(forest.size(child)));
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
