// Scaled distances of a row to a model's centroids where the double arithmetic of the fast
// path leaves the range (rows or centroids near ±1e308, a standard deviation near 5e-324): the
// same figures computed in long double, whose wider exponent holds every square of a difference
// of finite doubles divided by a positive one.
#pragma once

#include "kmeans/kmeans_model.hpp"

#include <utility>

namespace dmine::kmeans {

// Squared scaled distance from x (model.dim values) to centroid `cluster`.
long double wide_squared_distance(const Model &model, const double *x, int cluster);

// Nearest centroid (0-based) and its distance (Infinity when beyond the double range).
std::pair<int, double> wide_nearest(const Model &model, const double *x);

} // namespace dmine::kmeans
