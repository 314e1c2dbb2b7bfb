// Exact Lloyd pass accumulator.
#include "kmeans/kmeans_refine.hpp"

#include "core/model_check.hpp"
#include "core/wide_range.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace dmine::kmeans {

void RefineState::add(const double *x, int n) {
    int c = model_.nearest(x, n).first;
    const int d = model_.dim;
    const double *centroid = model_.centroids.data() + std::size_t(c) * d;
    long double *sum = sum_.data() + std::size_t(c) * d;
    long double *sumsq = sumsq_.data() + std::size_t(c) * d;
    for (int j = 0; j < d; j++) {
        const long double y = static_cast<long double>(x[j]) - centroid[j];
        sum[j] += y;
        sumsq[j] += y * y;
    }
    count_[c]++;
    rows_++;
}

void RefineState::merge(const RefineState &o) {
    if (o.bytes_ != bytes_)
        fail(ErrorKind::InvalidParameter, "dm_kmeans_refine needs the same model on every row");
    for (std::size_t i = 0; i < sum_.size(); i++) {
        sum_[i] += o.sum_[i];
        sumsq_[i] += o.sumsq_[i];
    }
    for (std::size_t c = 0; c < count_.size(); c++) count_[c] += o.count_[c];
    rows_ += o.rows_;
    nulls_ += o.nulls_;
}

void RefineState::serialize(ByteWriter &out) const {
    out.put_vector(bytes_);
    out.put_vector(sum_);
    out.put_vector(sumsq_);
    out.put_vector(count_);
    out.put<std::uint64_t>(rows_);
    out.put<std::uint64_t>(nulls_);
}

RefineState RefineState::deserialize(ByteReader &in) {
    auto bytes = in.get_vector<std::uint8_t, StateAllocator<std::uint8_t>>();
    RefineState s(Model::decode(bytes.data(), bytes.size()), bytes);
    auto sum = in.get_vector<long double, StateAllocator<long double>>();
    auto sumsq = in.get_vector<long double, StateAllocator<long double>>();
    auto count = in.get_vector<std::uint64_t, StateAllocator<std::uint64_t>>();
    if (sum.size() != s.sum_.size() || sumsq.size() != s.sumsq_.size() ||
        count.size() != s.count_.size())
        fail(ErrorKind::Corrupted, "corrupted kmeans refine state");
    s.sum_ = std::move(sum);
    s.sumsq_ = std::move(sumsq);
    s.count_ = std::move(count);
    s.rows_ = in.get<std::uint64_t>();
    s.nulls_ = in.get<std::uint64_t>();
    return s;
}

namespace {

// A long double figure as a double, refused when beyond the double range.
double to_double(long double v, const std::string &what) {
    if (!(std::fabs(v) <= std::numeric_limits<double>::max())) wide::out_of_range(what);
    return static_cast<double>(v);
}

} // namespace

Model RefineState::finish() const {
    require(rows_ >= 1, ErrorKind::Data, "no rows to refine the model with");
    Model m = model_;
    const int d = m.dim;
    long double shift = 0, spread = 0; // squared centre shift; mean scaled feature variance
    for (int j = 0; j < d; j++) {
        const long double r = static_cast<long double>(m.sd[j]) / m.scale(j);
        spread += r * r / d;
    }
    for (int c = 0; c < m.k; c++) {
        const long double n = static_cast<long double>(count_[c]);
        long double sse = 0;
        for (int j = 0; n > 0 && j < d; j++) {
            std::size_t i = std::size_t(c) * d + j;
            const long double mean = sum_[i] / n, scale = m.scale(j);
            m.centroids[i] = to_double(m.centroids[i] + mean, "a refined centroid");
            sse += std::max(0.0L, sumsq_[i] - n * mean * mean) / (scale * scale);
            shift += mean * mean / (scale * scale);
        }
        m.sizes[c] = static_cast<double>(count_[c]);
        m.sse[c] = to_double(sse, "the sum of squares of cluster " + std::to_string(c + 1));
    }
    m.rows = rows_;
    m.nulls = nulls_;
    m.points_used = rows_;
    m.iterations++;
    m.refinements++;
    m.converged = shift <= std::max(m.options.tol, 1e-20) * spread; // 1e-20: rounding noise
    m.prepare();
    ensure_readable(m); // never store what the decoder would reject
    return m;
}

} // namespace dmine::kmeans
