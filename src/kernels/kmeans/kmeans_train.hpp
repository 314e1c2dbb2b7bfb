// From the points an aggregate kept to a model: scaling, fitting at one k or choosing k by
// silhouette, and scaling sizes and SSE up to every row seen.
#pragma once

#include "kmeans/kmeans_model.hpp"
#include "kmeans/kmeans_sample.hpp"

namespace dmine::kmeans {

// Fit k clusters. Errors: k < 1, k larger than the number of distinct points (InvalidParameter),
// no rows (Data; the SQL aggregate returns NULL before getting here).
Model train(const PointSample &sample, int k, const Options &options);

// Fit every k in [k_min, k_max] (k_max capped at the number of distinct points) and keep the one
// with the highest silhouette (the smallest k on ties). Needs 2 <= k_min <= k_max.
Model train_auto(const PointSample &sample, int k_min, int k_max, const Options &options);

} // namespace dmine::kmeans
