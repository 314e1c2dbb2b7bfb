// The last line of defence before a model is stored: it must read back. A fitted value that its
// own decoder would reject (a figure beyond the double range, say) is refused here with a clear
// error instead of becoming a value that no query, cast or pg_dump can read.
#pragma once

#include "iforest/iforest_model.hpp"
#include "kmeans/kmeans_model.hpp"

namespace dmine {

// Throw ErrorKind::OutOfRange unless the model survives encode -> decode (and, when small
// enough to be cheap, to_json -> from_json) and its total inertia is finite.
void ensure_readable(const kmeans::Model &model);
// Throw ErrorKind::OutOfRange unless the forest survives encode -> decode.
void ensure_readable(const iforest::Forest &forest);

} // namespace dmine
