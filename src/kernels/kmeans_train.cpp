// Training a K-Means model from a point store.
#include "kmeans_train.hpp"

#include "kmeans_fit.hpp"
#include "kmeans_silhouette.hpp"

#include <cmath>
#include <string>

namespace dmine::kmeans {
namespace {

// The points in the fitting space: centred, and divided by the sd when scaling is on.
struct Prepared {
    Matrix x; // original units, sorted unless sampled
    Matrix z;
    std::vector<double> mean, sd, scale;
    double factor = 1; // rows each point stands for
    std::vector<Eigen::Index> silhouette_points;
};

Prepared prepare(const PointSample &sample, const Options &o) {
    if (sample.rows() == 0) fail(ErrorKind::Data, "no rows to cluster");
    Prepared p;
    p.x = sample.points(!sample.sampled());
    p.z = p.x;
    if (sample.sampled()) {
        p.mean = to_std_vector(sample.moments().mean);
        p.sd = sample.moments().sd();
    } else { // two passes over the sorted points: exact and independent of the row order
        Eigen::RowVectorXd mean = p.z.colwise().mean();
        Eigen::RowVectorXd var = (p.z.rowwise() - mean).array().square().colwise().mean();
        p.mean.assign(mean.data(), mean.data() + mean.size());
        for (Eigen::Index j = 0; j < var.size(); j++) p.sd.push_back(std::sqrt(var[j]));
    }
    p.scale.resize(p.sd.size());
    for (std::size_t j = 0; j < p.sd.size(); j++)
        p.scale[j] = o.scale && p.sd[j] > 0 ? p.sd[j] : 1.0;
    for (Eigen::Index j = 0; j < p.z.cols(); j++)
        p.z.col(j) = (p.z.col(j).array() - p.mean[j]) / p.scale[j];
    p.factor = static_cast<double>(sample.rows()) / static_cast<double>(p.z.rows());
    Rng rng(mix64(o.seed ^ 0x5111b0e77eULL));
    p.silhouette_points = random_subset(p.z.rows(), o.silhouette_sample, rng);
    return p;
}

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
    Matrix sums = Matrix::Zero(m.k, d);
    for (Eigen::Index i = 0; i < p.x.rows(); i++) sums.row(c.labels[i]) += p.x.row(i);
    m.centroids.resize(static_cast<std::size_t>(m.k) * d);
    for (int i = 0; i < m.k; i++)
        for (int j = 0; j < d; j++) // an empty cluster (not after Lloyd) keeps its centroid
            m.centroids[std::size_t(i) * d + j] = c.counts[i] > 0
                                                      ? sums(i, j) / c.counts[i]
                                                      : c.centroids(i, j) * p.scale[j] + p.mean[j];
    m.sizes.assign(m.k, 0.0);
    m.sse.assign(m.k, 0.0);
    for (Eigen::Index i = 0; i < p.x.rows(); i++) {
        int label = c.labels[i];
        const double *centroid = m.centroids.data() + std::size_t(label) * d;
        double s = 0;
        for (int j = 0; j < d; j++) {
            double t = (p.x(i, j) - centroid[j]) / p.scale[j];
            s += t * t;
        }
        m.sse[label] += s;
        m.sizes[label] += 1;
    }
    for (int i = 0; i < m.k; i++) {
        m.sizes[i] *= p.factor;
        m.sse[i] *= p.factor;
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
    for (int k = k_min; k <= top; k++) {
        Clustering c = fit(p.z, params(k, o));
        double s = silhouette(p.z, c.labels, k, p.silhouette_points);
        scores.push_back({k, c.inertia * p.factor, s});
        if (best.centroids.rows() == 0 || (!std::isnan(s) && (std::isnan(best_s) || s > best_s))) {
            best = std::move(c);
            best_s = s;
        }
    }
    Model m = make_model(sample, p, best, best_s, o);
    for (Score &s : scores)
        if (s.k == m.k) s.inertia = m.inertia(); // the same figure as the model's
    m.scores = std::move(scores);
    return m;
}

} // namespace dmine::kmeans
