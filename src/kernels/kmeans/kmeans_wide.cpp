// Distances in long double.
#include "kmeans/kmeans_wide.hpp"

#include <cmath>

namespace dmine::kmeans {

long double wide_squared_distance(const Model &model, const double *x, int cluster) {
    const double *c = model.centroids.data() + std::size_t(cluster) * model.dim;
    long double s = 0;
    for (int j = 0; j < model.dim; j++) {
        const long double t = (static_cast<long double>(x[j]) - c[j]) / model.scale(j);
        s += t * t;
    }
    return s;
}

std::pair<int, double> wide_nearest(const Model &model, const double *x) {
    int best = 0;
    long double best_d = wide_squared_distance(model, x, 0);
    for (int c = 1; c < model.k; c++) {
        const long double s = wide_squared_distance(model, x, c);
        if (s < best_d) {
            best_d = s;
            best = c;
        }
    }
    return {best, static_cast<double>(std::sqrt(best_d))};
}

} // namespace dmine::kmeans
