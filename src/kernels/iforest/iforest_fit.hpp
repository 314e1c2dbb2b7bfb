// Fitting an Isolation Forest from its sample pool (Liu, Ting & Zhou 2008; scikit-learn).
#pragma once

#include "iforest/iforest_model.hpp"
#include "iforest/iforest_sample.hpp"

namespace dmine::iforest {

// Grow n_trees isolation trees, each on ψ = min(sample_size, rows) rows drawn without
// replacement from the pool, to depth max_depth (default ceil(log2 ψ)). A node splits on a
// feature drawn uniformly among those not constant in it, at a value uniform between their
// minimum and maximum; it is a leaf when it holds one row, reaches max_depth, or every feature is
// constant. With a contamination share c the threshold is the (1 - c) quantile of the scores
// of the pooled rows (all rows when there are at most ψ * n_trees), else 0.5.
// Fails with ErrorKind::Data when fewer than 2 rows were seen.
Forest fit(const SamplePool &pool);

// The default height limit ceil(log2 ψ), at least 1.
int default_max_depth(int sample_size);

// The q quantile (0 <= q <= 1) of `values` with linear interpolation (numpy's default).
double quantile(std::vector<double> values, double q);

} // namespace dmine::iforest
