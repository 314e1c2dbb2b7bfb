// Round-trip checks of fitted models.
#include "core/model_check.hpp"

#include "core/wide_range.hpp"

#include <cmath>

namespace dmine {
namespace {

// Text round trips of models up to this many centroid values (the binary one always runs).
constexpr std::size_t kTextCheckValues = 100000;

[[noreturn]] void unreadable(const char *type, const Error &e) {
    fail(ErrorKind::OutOfRange,
         std::string("the fitted ") + type + " holds a value beyond the double range",
         std::string("Its decoder says: ") + e.what(),
         "Rescale the input (for example divide it by a power of ten).");
}

} // namespace

void ensure_readable(const kmeans::Model &model) {
    if (!std::isfinite(model.inertia())) wide::out_of_range("the model's total inertia");
    try {
        auto bytes = model.encode();
        kmeans::Model::decode(bytes.data(), bytes.size());
        if (model.centroids.size() <= kTextCheckValues) kmeans::Model::from_json(model.to_json());
    } catch (const Error &e) {
        unreadable("kmeans model", e);
    }
}

void ensure_readable(const iforest::Forest &forest) {
    try {
        auto bytes = forest.encode();
        iforest::Forest::decode(bytes.data(), bytes.size());
    } catch (const Error &e) {
        unreadable("iforest model", e);
    }
}

} // namespace dmine
