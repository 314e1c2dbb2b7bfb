// K-Means on a matrix: seeding, Lloyd with Hamerly's bounds, restarts and swap search.
#include "kmeans/kmeans_fit.hpp"

#include "core/errors.hpp"
#include "core/interrupt.hpp"
#include "kmeans/kmeans_distance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dmine::kmeans {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

inline void poll(std::size_t i) {
    if ((i & 4095) == 0) check_interrupts();
}

// Nearest and second-nearest centroid of a point (squared distances).
struct Nearest2 {
    int j1 = 0;
    double d1 = kInf, d2 = kInf;
};

inline Nearest2 nearest2(const double *p, const Matrix &c) {
    Nearest2 r;
    const int d = static_cast<int>(c.cols());
    for (int j = 0; j < c.rows(); j++) {
        double s = sqdist(p, c.row(j).data(), d);
        if (s < r.d1) {
            r.d2 = r.d1;
            r.d1 = s;
            r.j1 = j;
        } else if (s < r.d2) {
            r.d2 = s;
        }
    }
    return r;
}

// Lloyd's algorithm with Hamerly's bounds: u bounds the distance to the own centroid from above,
// l the distance to every other centroid from below; a point whose u is below max(l, s/2) keeps
// its label without computing any distance.
class Hamerly {
public:
    Hamerly(const Matrix &x, Matrix c)
        : x_(x), c_(std::move(c)), n_(x.rows()), d_(static_cast<int>(x.cols())),
          k_(static_cast<int>(c_.rows())), a_(n_), u_(n_), l_(n_), s_(k_), p_(k_) {}

    Clustering run(int max_iter, double tol_abs) {
        assign_all();
        int it = 0;
        bool converged = false;
        while (it < max_iter) {
            it++;
            int moved = update_centroids();
            double shift = 0;
            for (int j = 0; j < k_; j++) shift += p_[j] * p_[j];
            half_min_separation();
            int changed = assign_bounded() + moved;
            if (changed == 0 || shift <= tol_abs) {
                converged = true;
                break;
            }
        }
        return result(it, converged);
    }

private:
    void assign_all() {
        for (Eigen::Index i = 0; i < n_; i++) {
            poll(i);
            Nearest2 r = nearest2(x_.row(i).data(), c_);
            a_[i] = r.j1;
            u_[i] = std::sqrt(r.d1);
            l_[i] = std::sqrt(r.d2);
        }
    }

    int assign_bounded() {
        int changed = 0;
        for (Eigen::Index i = 0; i < n_; i++) {
            poll(i);
            double m = std::max(s_[a_[i]], l_[i]);
            if (u_[i] <= m) continue;
            u_[i] = std::sqrt(sqdist(x_.row(i).data(), c_.row(a_[i]).data(), d_));
            if (u_[i] <= m) continue;
            Nearest2 r = nearest2(x_.row(i).data(), c_);
            if (r.j1 != a_[i]) changed++;
            a_[i] = r.j1;
            u_[i] = std::sqrt(r.d1);
            l_[i] = std::sqrt(r.d2);
        }
        return changed;
    }

    // Half the distance from each centroid to its nearest other centroid.
    void half_min_separation() {
        for (int j = 0; j < k_; j++) {
            double best = kInf;
            for (int m = 0; m < k_; m++)
                if (m != j) best = std::min(best, sqdist(c_.row(j).data(), c_.row(m).data(), d_));
            s_[j] = 0.5 * std::sqrt(best);
        }
    }

    // Means of the labels; empty clusters take the farthest points. Returns the points moved.
    int update_centroids() {
        Matrix sums = Matrix::Zero(k_, d_);
        std::vector<double> counts(k_, 0.0);
        for (Eigen::Index i = 0; i < n_; i++) {
            sums.row(a_[i]) += x_.row(i);
            counts[a_[i]] += 1;
        }
        std::vector<Eigen::Index> moved = fill_empty(sums, counts);
        Matrix old = c_;
        for (int j = 0; j < k_; j++)
            if (counts[j] > 0) c_.row(j) = sums.row(j) / counts[j];
        double pmax = 0, pmax2 = 0;
        int jmax = 0;
        for (int j = 0; j < k_; j++) {
            p_[j] = std::sqrt(sqdist(old.row(j).data(), c_.row(j).data(), d_));
            if (p_[j] > pmax) {
                pmax2 = pmax;
                pmax = p_[j];
                jmax = j;
            } else if (p_[j] > pmax2) {
                pmax2 = p_[j];
            }
        }
        for (Eigen::Index i = 0; i < n_; i++) {
            u_[i] += p_[a_[i]];
            l_[i] -= a_[i] == jmax ? pmax2 : pmax;
        }
        for (Eigen::Index i : moved) u_[i] = l_[i] = 0; // exactly on its new centroid
        return static_cast<int>(moved.size());
    }

    std::vector<Eigen::Index> fill_empty(Matrix &sums, std::vector<double> &counts) {
        std::vector<Eigen::Index> moved;
        if (std::find(counts.begin(), counts.end(), 0.0) == counts.end()) return moved;
        std::vector<double> dist(n_);
        for (Eigen::Index i = 0; i < n_; i++)
            dist[i] = sqdist(x_.row(i).data(), c_.row(a_[i]).data(), d_);
        for (int j = 0; j < k_; j++) {
            if (counts[j] > 0) continue;
            Eigen::Index far = -1;
            for (Eigen::Index i = 0; i < n_; i++)
                if (counts[a_[i]] > 1 && dist[i] > 0 && (far < 0 || dist[i] > dist[far])) far = i;
            if (far < 0) continue; // cannot happen with k distinct points
            sums.row(a_[far]) -= x_.row(far);
            counts[a_[far]] -= 1;
            a_[far] = j;
            sums.row(j) = x_.row(far);
            counts[j] = 1;
            dist[far] = 0;
            moved.push_back(far);
        }
        return moved;
    }

    Clustering result(int iterations, bool converged) {
        Clustering out;
        out.centroids = c_;
        out.labels = a_;
        out.counts.assign(k_, 0.0);
        out.sse.assign(k_, 0.0);
        for (Eigen::Index i = 0; i < n_; i++) {
            out.counts[a_[i]] += 1;
            out.sse[a_[i]] += sqdist(x_.row(i).data(), c_.row(a_[i]).data(), d_);
        }
        for (double s : out.sse) out.inertia += s;
        out.iterations = iterations;
        out.converged = converged;
        return out;
    }

    const Matrix &x_;
    Matrix c_;
    Eigen::Index n_;
    int d_, k_;
    std::vector<int> a_;
    std::vector<double> u_, l_, s_, p_;
};

int local_trials(int k) {
    return 2 + static_cast<int>(std::log(static_cast<double>(k)));
}

// Index drawn with probability proportional to weight, given the running sums of the weights.
Eigen::Index draw(const std::vector<double> &cumulative, Rng &rng) {
    double r = rng.uniform() * cumulative.back();
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), r);
    auto index = static_cast<Eigen::Index>(it - cumulative.begin());
    return std::min<Eigen::Index>(index, static_cast<Eigen::Index>(cumulative.size()) - 1);
}

// Greedy k-means++ step: the best of `trials` candidates drawn proportionally to `closest`
// (squared distance to the nearest chosen centre), which is updated for the chosen one. One pass
// scores every candidate, a second updates `closest`.
Eigen::Index greedy_pick(const Matrix &x, std::vector<double> &closest, int trials, Rng &rng) {
    const Eigen::Index n = x.rows();
    const int d = static_cast<int>(x.cols());
    std::vector<double> cumulative(n);
    double total = 0;
    for (Eigen::Index i = 0; i < n; i++) cumulative[i] = total += closest[i];
    std::vector<Eigen::Index> cand(trials);
    for (int t = 0; t < trials; t++) cand[t] = draw(cumulative, rng);
    std::vector<double> pot(trials, 0.0);
    for (Eigen::Index i = 0; i < n; i++) {
        poll(i);
        for (int t = 0; t < trials; t++)
            pot[t] += std::min(closest[i], sqdist(x.row(i).data(), x.row(cand[t]).data(), d));
    }
    Eigen::Index best = cand[std::min_element(pot.begin(), pot.end()) - pot.begin()];
    for (Eigen::Index i = 0; i < n; i++)
        closest[i] = std::min(closest[i], sqdist(x.row(i).data(), x.row(best).data(), d));
    return best;
}

} // namespace

Matrix seed_kmeanspp(const Matrix &x, int k, Rng &rng) {
    const Eigen::Index n = x.rows();
    const int d = static_cast<int>(x.cols());
    Matrix c(k, d);
    Eigen::Index first = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(n)));
    c.row(0) = x.row(first);
    std::vector<double> closest(n);
    for (Eigen::Index i = 0; i < n; i++) closest[i] = sqdist(x.row(i).data(), c.row(0).data(), d);
    const int trials = local_trials(k);
    for (int j = 1; j < k; j++) c.row(j) = x.row(greedy_pick(x, closest, trials, rng));
    return c;
}

Clustering lloyd(const Matrix &x, Matrix centroids, int max_iter, double tol_abs) {
    return Hamerly(x, std::move(centroids)).run(max_iter, tol_abs);
}

void swap_search(const Matrix &x, Clustering &best, int trials, int max_iter, Rng &rng) {
    const int k = static_cast<int>(best.centroids.rows());
    const Eigen::Index n = x.rows();
    if (k < 2 || trials <= 0) return;
    std::vector<char> tried(k, 0);
    std::vector<double> cost, closest;
    std::vector<Nearest2> near(n);
    bool stale = true;
    for (int t = 0; t < trials; t++) {
        if (stale) { // removal costs: the SSE added when a centroid's points go to their 2nd
                     // nearest
            cost.assign(k, 0.0);
            for (Eigen::Index i = 0; i < n; i++) {
                poll(i);
                near[i] = nearest2(x.row(i).data(), best.centroids);
                cost[near[i].j1] += near[i].d2 - near[i].d1;
            }
            stale = false;
        }
        int j = -1;
        for (int m = 0; m < k; m++)
            if (!tried[m] && (j < 0 || cost[m] < cost[j])) j = m;
        if (j < 0) break; // every removal tried since the last improvement
        closest.resize(n);
        for (Eigen::Index i = 0; i < n; i++) closest[i] = near[i].j1 == j ? near[i].d2 : near[i].d1;
        Matrix c = best.centroids;
        c.row(j) = x.row(greedy_pick(x, closest, local_trials(k), rng));
        Clustering trial = lloyd(x, std::move(c), max_iter, 0.0);
        if (trial.inertia < best.inertia * (1 - 1e-12)) {
            trial.iterations += best.iterations;
            best = std::move(trial);
            std::fill(tried.begin(), tried.end(), 0);
            stale = true;
        } else {
            tried[j] = 1;
        }
    }
}

double absolute_tolerance(const Matrix &x, double tol) {
    if (x.rows() == 0 || tol == 0) return 0;
    Eigen::RowVectorXd mean = x.colwise().mean();
    double var =
        (x.rowwise() - mean).array().square().colwise().sum().sum() / static_cast<double>(x.rows());
    return var / static_cast<double>(x.cols()) * tol;
}

std::size_t count_distinct_sorted(const Matrix &x) {
    if (x.rows() == 0) return 0;
    std::size_t distinct = 1;
    for (Eigen::Index i = 1; i < x.rows(); i++)
        if (x.row(i) != x.row(i - 1)) distinct++;
    return distinct;
}

namespace {

// Restarts run on at most this many points (or 200 per cluster); the winner is then polished on
// all of them. On large inputs the restarts only have to find the basin, which a uniform
// subsample shows as well as the whole; their k-means++ seeds come from a quarter of it (the
// greedy seeding costs k x (2 + ln k) passes over its points, more than Lloyd from the seeds).
constexpr Eigen::Index kRestartPoints = 5000;
constexpr Eigen::Index kSeedShare = 4;

Matrix rows_of(const Matrix &x, const std::vector<Eigen::Index> &index);

// k-means++ centres drawn from a uniform subset of `points` rows of x (all of x when it is not
// larger, or when the subset holds fewer than k distinct points).
Matrix seed_from_subset(const Matrix &x, int k, Eigen::Index points, Rng &rng) {
    if (points <= 0 || x.rows() <= points) return seed_kmeanspp(x, k, rng);
    Matrix sub = rows_of(x, random_subset(x.rows(), static_cast<std::uint64_t>(points), rng));
    if (count_distinct_upto(sub, static_cast<std::size_t>(k)) < static_cast<std::size_t>(k))
        return seed_kmeanspp(x, k, rng);
    return seed_kmeanspp(sub, k, rng);
}

// The best of n_init seeded runs on x, polished to stable labels, then improved by swaps; the
// seeds are drawn from `seed_points` rows of x (0: all).
Clustering best_of_restarts(const Matrix &x, const FitParams &p, Eigen::Index seed_points = 0) {
    const double tol_abs = absolute_tolerance(x, p.tol);
    Clustering best;
    bool have = false;
    for (int r = 0; r < p.n_init; r++) {
        Rng rng(mix64(p.seed ^ mix64((static_cast<std::uint64_t>(p.k) << 32) + r)));
        Clustering run = lloyd(x, seed_from_subset(x, p.k, seed_points, rng), p.max_iter, tol_abs);
        if (!have || run.inertia < best.inertia) {
            best = std::move(run);
            have = true;
        }
    }
    if (tol_abs > 0) { // polish the winner until its labels are stable
        int done = best.iterations;
        best = lloyd(x, best.centroids, p.max_iter, 0.0);
        best.iterations += done;
    }
    Rng rng(mix64(p.seed ^ mix64((static_cast<std::uint64_t>(p.k) << 32) + 0xffffffffu)));
    swap_search(x, best, p.swap_trials, p.max_iter, rng);
    return best;
}

// Rows `index` of x.
Matrix rows_of(const Matrix &x, const std::vector<Eigen::Index> &index) {
    Matrix out(static_cast<Eigen::Index>(index.size()), x.cols());
    for (std::size_t i = 0; i < index.size(); i++) out.row(i) = x.row(index[i]);
    return out;
}

} // namespace

Clustering fit(const Matrix &x, const FitParams &p) {
    require(p.k >= 1, ErrorKind::InvalidParameter, "k must be at least 1");
    require(x.rows() >= p.k, ErrorKind::InvalidParameter, "k is larger than the number of points");
    const Eigen::Index m = std::max<Eigen::Index>(kRestartPoints, 200 * Eigen::Index{p.k});
    if (x.rows() > m) {
        Rng rng(mix64(p.seed ^ 0x7e57a27ULL));
        Matrix sub = rows_of(x, random_subset(x.rows(), static_cast<std::uint64_t>(m), rng));
        if (count_distinct_upto(sub, p.k) >= static_cast<std::size_t>(p.k)) {
            Clustering s = best_of_restarts(sub, p, m / kSeedShare);
            Clustering full = lloyd(x, s.centroids, p.max_iter, 0.0);
            full.iterations += s.iterations;
            return full;
        }
    }
    return best_of_restarts(x, p);
}

} // namespace dmine::kmeans
