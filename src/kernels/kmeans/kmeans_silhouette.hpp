// Silhouette score on a bounded random sample, with scikit-learn's silhouette_score(sample_size=)
// semantics: draw `sample_size` points without replacement, compute the exact mean silhouette
// of those points among themselves (draw the sample with random_subset).
#pragma once

#include "kmeans/kmeans_sample.hpp"
#include "core/rng.hpp"

#include <cstdint>
#include <vector>

namespace dmine::kmeans {

// Mean silhouette of the points `sample` (indices into x) with cluster `labels` in 0..k-1;
// NaN when the sample holds fewer than 2 clusters or as many clusters as points.
double silhouette(const Matrix &x, const std::vector<int> &labels, int k,
                  const std::vector<Eigen::Index> &sample);

} // namespace dmine::kmeans
