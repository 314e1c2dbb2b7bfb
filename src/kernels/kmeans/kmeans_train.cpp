// Training a K-Means model from a point store.
#include "kmeans/kmeans_train.hpp"

#include "kmeans/kmeans_fit.hpp"
#include "kmeans/kmeans_silhouette.hpp"
#include "core/model_check.hpp"
#include "core/wide_range.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace dmine::kmeans {
namespace {

// The points in the fitting space: centred, and divided by the sd when scaling is on. Features
// whose values leave [2^-128, 2^128] in magnitude are handled in units of a power of two of
// their own (`unit`), and the fitting coordinates in units of 2^fit_unit, so that every figure
// stays finite; ordinary data keeps every unit 0 and plain arithmetic.
struct Prepared {
    Matrix x; // original units, sorted unless sampled
    Matrix z;
    std::vector<double> mean, sd, scale;
    std::vector<int> unit;
    int fit_unit = 0;
    double factor = 1; // rows each point stands for
    std::vector<Eigen::Index> silhouette_points;
};

// Mean and population sd of column j computed in units of 2^unit: finite for finite values.
void wide_column_stats(const Matrix &x, Eigen::Index j, int unit, double &mean, double &sd) {
    const double f = std::ldexp(1.0, -unit); // a power of two: scaling is exact
    const double m = (x.col(j).array() * f).mean();
    const double var = (x.col(j).array() * f - m).square().mean();
    mean = std::clamp(std::ldexp(m, unit), x.col(j).minCoeff(), x.col(j).maxCoeff());
    sd = std::ldexp(std::sqrt(var), unit);
}

// (v - ref) / scale_j in units of 2^fit_unit, finite for finite v and ref within the feature's
// range; plain arithmetic for ordinary features.
double fit_coordinate(const Prepared &p, double v, double ref, std::size_t j) {
    if (p.unit[j] == 0 && p.fit_unit == 0) return (v - ref) / p.scale[j];
    const int u = p.unit[j];
    const double diff = std::ldexp(v, -u) - std::ldexp(ref, -u); // at most 2 in magnitude
    int es = 0;
    const double ms = std::frexp(p.scale[j], &es);
    return std::ldexp(diff / ms, u - es - p.fit_unit);
}

// A fitting coordinate back in original units, near `mean` (`mean` itself if out of range).
double from_fit(const Prepared &p, double zc, std::size_t j) {
    if (p.unit[j] == 0 && p.fit_unit == 0) return zc * p.scale[j] + p.mean[j];
    int es = 0;
    const double ms = std::frexp(p.scale[j], &es);
    const double v = 2 * (p.mean[j] * 0.5 + std::ldexp(zc * ms, p.fit_unit + es - 1));
    return std::isfinite(v) ? v : p.mean[j];
}

// The unit of the fitting coordinates: 0 unless a feature is wide, else the exponent of the
// largest coordinate (so that squared distances stay finite and above the denormals).
int choose_fit_unit(Prepared &p) {
    if (std::all_of(p.unit.begin(), p.unit.end(), [](int u) { return u == 0; })) return 0;
    bool any = false;
    int best = 0;
    for (std::size_t j = 0; j < p.unit.size(); j++) {
        double largest = 0;
        for (Eigen::Index i = 0; i < p.x.rows(); i++)
            largest = std::fmax(largest, std::fabs(fit_coordinate(p, p.x(i, j), p.mean[j], j)));
        if (largest == 0) continue; // constant feature
        const int e = wide::exponent_of(largest);
        best = any ? std::max(best, e) : e;
        any = true;
    }
    return best;
}

Prepared prepare(const PointSample &sample, const Options &o) {
    if (sample.rows() == 0) fail(ErrorKind::Data, "no rows to cluster");
    Prepared p;
    p.x = sample.points(!sample.sampled());
    p.z = p.x;
    const auto d = static_cast<std::size_t>(p.x.cols());
    p.unit.assign(d, 0);
    for (std::size_t j = 0; j < d; j++)
        p.unit[j] = wide::unit_for(p.x.col(j).cwiseAbs().maxCoeff(), 0);
    if (sample.sampled()) {
        p.mean = to_std_vector(sample.moments().mean);
        p.sd = sample.moments().sd();
        for (std::size_t j = 0; j < d; j++) { // spread beyond the double range: from the sample
            if (!std::isfinite(p.mean[j]) || !std::isfinite(p.sd[j]))
                wide_column_stats(p.x, j, p.unit[j], p.mean[j], p.sd[j]);
            const double m = std::fmax(std::fabs(p.mean[j]), p.sd[j]); // rows beyond the sample
            if (std::isfinite(m))
                p.unit[j] = wide::unit_for(std::fmax(m, p.x.col(j).cwiseAbs().maxCoeff()), 0);
        }
    } else { // two passes over the sorted points: exact and independent of the row order
        Eigen::RowVectorXd mean = p.z.colwise().mean();
        Eigen::RowVectorXd var = (p.z.rowwise() - mean).array().square().colwise().mean();
        p.mean.assign(mean.data(), mean.data() + mean.size());
        for (Eigen::Index j = 0; j < var.size(); j++) p.sd.push_back(std::sqrt(var[j]));
        for (std::size_t j = 0; j < d; j++)
            if (p.unit[j] != 0) wide_column_stats(p.x, j, p.unit[j], p.mean[j], p.sd[j]);
    }
    for (std::size_t j = 0; j < d; j++)
        if (!std::isfinite(p.sd[j]))
            wide::out_of_range("the standard deviation of feature " + std::to_string(j + 1));
    p.scale.resize(p.sd.size());
    for (std::size_t j = 0; j < p.sd.size(); j++)
        p.scale[j] = o.scale && p.sd[j] > 0 ? p.sd[j] : 1.0;
    p.fit_unit = choose_fit_unit(p);
    for (Eigen::Index j = 0; j < p.z.cols(); j++) {
        if (p.unit[j] == 0 && p.fit_unit == 0) {
            p.z.col(j) = (p.z.col(j).array() - p.mean[j]) / p.scale[j];
        } else {
            for (Eigen::Index i = 0; i < p.z.rows(); i++)
                p.z(i, j) = fit_coordinate(p, p.x(i, j), p.mean[j], j);
        }
    }
    if (!p.z.allFinite()) wide::out_of_range("a fitting coordinate");
    p.factor = static_cast<double>(sample.rows()) / static_cast<double>(p.z.rows());
    Rng rng(mix64(o.seed ^ 0x5111b0e77eULL));
    p.silhouette_points = random_subset(p.z.rows(), o.silhouette_sample, rng);
    return p;
}

// A sum of squares in fitting units, back in the model's metric and scaled up to the rows seen;
// refused when beyond the double range.
double to_model_sse(const Prepared &p, double fit_sse, const std::string &what) {
    const double sse = std::ldexp(fit_sse, 2 * p.fit_unit) * p.factor;
    if (!std::isfinite(sse))
        wide::out_of_range(what, "Without scaling the SSE is in squared original units: turn "
                                 "scaling on (\"scale\": true) or rescale the features.");
    return sse;
}

// Doubles of distance sums the silhouettes of a batch of k may keep (32 MB).
constexpr double kBatchTable = 4e6;
// Labels the fits of a batch may keep (32 MB).
constexpr double kBatchLabels = 8e6;

// Distinct points, counting no further than `limit`.
std::size_t distinct(const Prepared &p, std::size_t limit) {
    return count_distinct_upto(p.x, limit);
}

void check_k(int k, const Prepared &p, bool sampled) {
    if (k < 1)
        fail(ErrorKind::InvalidParameter, "k must be at least 1",
             "Got k = " + std::to_string(k) + ".");
    std::size_t found = distinct(p, static_cast<std::size_t>(k));
    if (static_cast<std::size_t>(k) > found)
        fail(ErrorKind::InvalidParameter, "k is larger than the number of distinct points",
             "k = " + std::to_string(k) + ", the " + (sampled ? "sample of the " : "") +
                 "input has " + std::to_string(found) + " distinct points.",
             "Choose a smaller k.");
}

FitParams params(int k, const Options &o) {
    FitParams f;
    f.k = k;
    f.n_init = o.n_init;
    f.max_iter = o.max_iter;
    f.tol = o.tol;
    f.swap_trials = o.swap_trials;
    f.seed = o.seed;
    return f;
}

// Centroids as means of the original rows of each cluster (exact, unlike unscaling the fitted
// ones), and the SSE around them in the model's metric, scaled up to the rows seen.
void centroids_in_original_units(const Prepared &p, const Clustering &c, Model &m) {
    const int d = m.dim;
    Matrix sums = Matrix::Zero(m.k, d); // wide features summed in their units
    for (Eigen::Index i = 0; i < p.x.rows(); i++)
        for (int j = 0; j < d; j++)
            sums(c.labels[i], j) += p.unit[j] == 0 ? p.x(i, j) : std::ldexp(p.x(i, j), -p.unit[j]);
    m.centroids.resize(static_cast<std::size_t>(m.k) * d);
    for (int i = 0; i < m.k; i++)
        for (int j = 0; j < d; j++) { // an empty cluster (not after Lloyd) keeps its centroid
            double &centroid = m.centroids[std::size_t(i) * d + j];
            if (c.counts[i] == 0) {
                centroid = from_fit(p, c.centroids(i, j), j);
            } else if (p.unit[j] == 0) {
                centroid = sums(i, j) / c.counts[i];
            } else {
                centroid = std::clamp(std::ldexp(sums(i, j) / c.counts[i], p.unit[j]),
                                      p.x.col(j).minCoeff(), p.x.col(j).maxCoeff());
            }
        }
    m.sizes.assign(m.k, 0.0);
    m.sse.assign(m.k, 0.0);
    for (Eigen::Index i = 0; i < p.x.rows(); i++) {
        int label = c.labels[i];
        const double *centroid = m.centroids.data() + std::size_t(label) * d;
        double s = 0;
        for (int j = 0; j < d; j++) {
            double t = fit_coordinate(p, p.x(i, j), centroid[j], j);
            s += t * t;
        }
        m.sse[label] += s;
        m.sizes[label] += 1;
    }
    for (int i = 0; i < m.k; i++) {
        m.sizes[i] *= p.factor;
        m.sse[i] =
            to_model_sse(p, m.sse[i], "the sum of squares of cluster " + std::to_string(i + 1));
    }
}

Model make_model(const PointSample &sample, const Prepared &p, const Clustering &c,
                 double silhouette, const Options &o) {
    Model m;
    m.k = static_cast<int>(c.centroids.rows());
    m.dim = static_cast<int>(c.centroids.cols());
    m.mean = p.mean;
    m.sd = p.sd;
    centroids_in_original_units(p, c, m);
    m.silhouette = silhouette;
    m.iterations = static_cast<std::uint32_t>(c.iterations);
    m.converged = c.converged;
    m.rows = sample.rows();
    m.nulls = sample.nulls();
    m.points_used = static_cast<std::uint64_t>(p.z.rows());
    m.options = o;
    m.prepare();
    return m;
}

} // namespace

Model train(const PointSample &sample, int k, const Options &o) {
    validate(o, ErrorKind::InvalidParameter);
    Prepared p = prepare(sample, o);
    check_k(k, p, sample.sampled());
    Clustering c = fit(p.z, params(k, o));
    double s = silhouette(p.z, c.labels, k, p.silhouette_points);
    Model m = make_model(sample, p, c, s, o);
    m.scores.push_back({k, m.inertia(), s});
    ensure_readable(m);
    return m;
}

Model train_auto(const PointSample &sample, int k_min, int k_max, const Options &o) {
    validate(o, ErrorKind::InvalidParameter);
    if (k_min < 2)
        fail(ErrorKind::InvalidParameter, "k_min must be at least 2",
             "The silhouette is defined only for two clusters or more.");
    if (k_max < k_min)
        fail(ErrorKind::InvalidParameter, "k_max must be at least k_min",
             "Got k_min = " + std::to_string(k_min) + ", k_max = " + std::to_string(k_max) + ".");
    Prepared p = prepare(sample, o);
    check_k(k_min, p, sample.sampled());
    int top = static_cast<int>(distinct(p, static_cast<std::size_t>(k_max)));
    std::vector<Score> scores;
    Clustering best;
    double best_s = std::nan("");
    // The fits of a batch of k wait for their silhouettes, computed together (each distance of
    // the sample once for the batch); the best is kept in k order as one by one.
    std::vector<Clustering> pending;
    std::vector<int> pending_k;
    auto flush = [&] {
        std::vector<double> s(pending.size());
        if (pending.size() == 1) {
            s[0] = silhouette(p.z, pending[0].labels, pending_k[0], p.silhouette_points);
        } else if (!pending.empty()) {
            std::vector<const std::vector<int> *> labels;
            for (const Clustering &c : pending) labels.push_back(&c.labels);
            s = silhouettes(p.z, labels, pending_k, p.silhouette_points);
        }
        for (std::size_t i = 0; i < pending.size(); i++) {
            scores.push_back({pending_k[i],
                              to_model_sse(p, pending[i].inertia,
                                           "the inertia at k = " + std::to_string(pending_k[i])),
                              s[i]});
            if (best.centroids.rows() == 0 ||
                (!std::isnan(s[i]) && (std::isnan(best_s) || s[i] > best_s))) {
                best = std::move(pending[i]);
                best_s = s[i];
            }
        }
        pending.clear();
        pending_k.clear();
    };
    const std::size_t points = p.silhouette_points.size();
    for (int k = k_min; k <= top; k++) {
        std::vector<int> next = pending_k;
        next.push_back(k);
        const double labels = static_cast<double>(next.size()) * static_cast<double>(p.z.rows());
        if (!pending.empty() &&
            (silhouettes_table_size(points, next) > kBatchTable || labels > kBatchLabels))
            flush();
        pending.push_back(fit(p.z, params(k, o)));
        pending_k.push_back(k);
    }
    flush();
    Model m = make_model(sample, p, best, best_s, o);
    for (Score &s : scores)
        if (s.k == m.k) s.inertia = m.inertia(); // the same figure as the model's
    m.scores = std::move(scores);
    ensure_readable(m);
    return m;
}

} // namespace dmine::kmeans
