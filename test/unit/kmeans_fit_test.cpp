// Seeding, Lloyd with Hamerly's bounds, restarts and swaps, silhouette.
#include "core/interrupt.hpp"
#include "kmeans/kmeans_fit.hpp"
#include "kmeans/kmeans_distance.hpp"
#include "kmeans/kmeans_silhouette.hpp"
#include "kmeans_test_data.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace dmine::kmeans {
namespace {

// n points around each of the given centres (uniform noise of half-width `spread`).
Matrix blobs(const Matrix &centres, int n, double spread, std::uint64_t seed) {
    Rng rng(seed);
    Matrix x(centres.rows() * n, centres.cols());
    for (Eigen::Index c = 0; c < centres.rows(); c++)
        for (int i = 0; i < n; i++)
            for (Eigen::Index j = 0; j < centres.cols(); j++)
                x(c * n + i, j) = centres(c, j) + spread * (2 * rng.uniform() - 1);
    return x;
}

Matrix random_points(int n, int d, std::uint64_t seed) {
    Rng rng(seed);
    Matrix x(n, d);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < d; j++) x(i, j) = rng.uniform() * (j + 1);
    return x;
}

// Textbook Lloyd without bounds, for comparison.
Matrix naive_lloyd(const Matrix &x, Matrix c, int iterations) {
    for (int it = 0; it < iterations; it++) {
        Matrix sums = Matrix::Zero(c.rows(), c.cols());
        std::vector<double> n(c.rows(), 0);
        for (Eigen::Index i = 0; i < x.rows(); i++) {
            Eigen::Index j;
            (c.rowwise() - x.row(i)).rowwise().squaredNorm().minCoeff(&j);
            sums.row(j) += x.row(i);
            n[j]++;
        }
        for (Eigen::Index j = 0; j < c.rows(); j++)
            if (n[j] > 0) c.row(j) = sums.row(j) / n[j];
    }
    return c;
}

// Textbook greedy k-means++, drawing from rng exactly as seed_kmeanspp does: a faster seeding
// must pick the same centres.
Matrix naive_greedy_seed(const Matrix &x, int k, Rng &rng) {
    const Eigen::Index n = x.rows();
    Matrix c(k, x.cols());
    c.row(0) = x.row(static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(n))));
    std::vector<double> closest(n);
    const int d = static_cast<int>(x.cols());
    for (Eigen::Index i = 0; i < n; i++) closest[i] = sqdist(x.row(i).data(), c.row(0).data(), d);
    const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
    for (int j = 1; j < k; j++) {
        std::vector<double> cumulative(n);
        double total = 0;
        for (Eigen::Index i = 0; i < n; i++) cumulative[i] = total += closest[i];
        std::vector<Eigen::Index> cand(trials);
        for (int t = 0; t < trials; t++) {
            double r = rng.uniform() * cumulative.back();
            auto it = std::upper_bound(cumulative.begin(), cumulative.end(), r);
            cand[t] = std::min<Eigen::Index>(it - cumulative.begin(), n - 1);
        }
        std::vector<double> pot(trials, 0.0);
        for (Eigen::Index i = 0; i < n; i++)
            for (int t = 0; t < trials; t++)
                pot[t] += std::min(closest[i], sqdist(x.row(i).data(), x.row(cand[t]).data(), d));
        Eigen::Index best = cand[std::min_element(pot.begin(), pot.end()) - pot.begin()];
        c.row(j) = x.row(best);
        for (Eigen::Index i = 0; i < n; i++)
            closest[i] = std::min(closest[i], sqdist(x.row(i).data(), x.row(best).data(), d));
    }
    return c;
}

TEST(KmeansFit, SeedingPicksTheCentresOfTextbookGreedyKmeansPlusPlus) {
    Matrix centres(6, 3);
    centres << 0, 0, 0, 50, 0, 0, 0, 50, 0, 0, 0, 50, 50, 50, 50, 1, 1, 1;
    const Matrix shapes[] = {blobs(centres, 300, 1.0, 11), random_points(2000, 5, 12),
                             blobs(centres, 40, 0.0, 13)}; // the last: many equal points
    for (const Matrix &x : shapes)
        for (int k : {2, 6, 9})
            for (std::uint64_t seed : {1u, 2u, 3u}) {
                Rng a(seed), b(seed);
                Matrix fast = seed_kmeanspp(x, k, a);
                Matrix slow = naive_greedy_seed(x, k, b);
                EXPECT_EQ(fast, slow) << "k = " << k << ", seed " << seed;
                EXPECT_EQ(a.next(), b.next()); // the same draws consumed
            }
}

TEST(KmeansFit, SeedingPicksDistinctDataPoints) {
    Matrix x = random_points(500, 3, 1);
    Rng rng(5);
    Matrix c = seed_kmeanspp(x, 20, rng);
    std::set<std::vector<double>> distinct;
    for (Eigen::Index j = 0; j < c.rows(); j++) {
        distinct.insert(std::vector<double>(c.row(j).data(), c.row(j).data() + 3));
        EXPECT_EQ((x.rowwise() - c.row(j)).rowwise().squaredNorm().minCoeff(), 0.0);
    }
    EXPECT_EQ(distinct.size(), 20u);
}

TEST(KmeansFit, HamerlyBoundsGiveTheSameResultAsPlainLloyd) {
    Matrix x = random_points(3000, 4, 2);
    Rng rng(3);
    Matrix start = seed_kmeanspp(x, 12, rng);
    Clustering c = lloyd(x, start, 25, 0.0);
    Matrix expected = naive_lloyd(x, start, c.iterations);
    EXPECT_LT((c.centroids - expected).cwiseAbs().maxCoeff(), 1e-12);
}

TEST(KmeansFit, FindsSeparatedBlobsExactly) {
    Matrix centres(4, 2);
    centres << 0, 0, 10, 0, 0, 10, 10, 10;
    Matrix x = blobs(centres, 50, 1.0, 4);
    FitParams p;
    p.k = 4;
    Clustering c = fit(x, p);
    EXPECT_TRUE(c.converged);
    EXPECT_EQ(testing::centroid_index(c.centroids, centres), 0);
    for (double n : c.counts) EXPECT_EQ(n, 50);
    double total = 0;
    for (Eigen::Index i = 0; i < x.rows(); i++)
        total += (x.row(i) - c.centroids.row(c.labels[i])).squaredNorm();
    EXPECT_NEAR(c.inertia, total, 1e-9 * total);
}

TEST(KmeansFit, LargeInputsRestartOnASubsampleAndPolishOnAll) {
    Matrix centres(6, 3);
    centres << 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 8, 8, 8, 0, 8, 8, 8;
    Matrix x = blobs(centres, 8000, 3.0, 11); // 48,000 points: restarts see 20,000
    FitParams p;
    p.k = 6;
    Clustering c = fit(x, p);
    EXPECT_EQ(testing::centroid_index(c.centroids, centres), 0);
    EXPECT_EQ(c.labels.size(), 48000u);
    Clustering again = lloyd(x, c.centroids, 10, 0.0); // already a fixed point of Lloyd
    EXPECT_EQ(again.iterations, 1);
    EXPECT_NEAR(again.inertia, c.inertia, 1e-9 * c.inertia);
}

TEST(KmeansFit, OneClusterIsTheMean) {
    Matrix x = random_points(200, 3, 6);
    FitParams p;
    p.k = 1;
    Clustering c = fit(x, p);
    EXPECT_LT((c.centroids.row(0) - x.colwise().mean()).cwiseAbs().maxCoeff(), 1e-12);
    double total = (x.rowwise() - x.colwise().mean()).squaredNorm();
    EXPECT_NEAR(c.inertia, total, 1e-9 * total);
}

TEST(KmeansFit, AsManyClustersAsDistinctPoints) {
    Matrix x(6, 1);
    x << 1, 1, 2, 3, 3, 3; // 3 distinct points
    FitParams p;
    p.k = 3;
    Clustering c = fit(x, p);
    EXPECT_EQ(c.inertia, 0.0);
    EXPECT_EQ(count_distinct_sorted(x), 3u);
}

TEST(KmeansFit, EmptyClustersTakeTheFarthestPoints) {
    Matrix x = random_points(100, 2, 7);
    Matrix start(3, 2);
    start << 0.5, 1.0, 1e6, 1e6, -1e6, -1e6; // two centroids that own no point
    Clustering c = lloyd(x, start, 100, 0.0);
    for (double n : c.counts) EXPECT_GT(n, 0);
}

TEST(KmeansFit, SameSeedSameResult) {
    Matrix x = random_points(2000, 2, 8);
    FitParams p;
    p.k = 7;
    p.seed = 42;
    Clustering a = fit(x, p), b = fit(x, p);
    EXPECT_EQ(a.centroids, b.centroids);
    EXPECT_EQ(a.labels, b.labels);
}

TEST(KmeansFit, ToleranceIsScikitLearns) {
    Matrix x(4, 2);
    x << 0, 0, 2, 0, 0, 4, 2, 4; // variances 1 and 4
    EXPECT_DOUBLE_EQ(absolute_tolerance(x, 1e-4), 2.5e-4);
}

TEST(KmeansFit, HonoursInterrupts) {
    static int calls;
    calls = 0;
    set_interrupt_hook([] {
        if (++calls > 20) throw Interrupted();
    });
    Matrix x = random_points(20000, 4, 9);
    FitParams p;
    p.k = 20;
    EXPECT_THROW(fit(x, p), Interrupted);
    set_interrupt_hook(nullptr);
}

TEST(KmeansSilhouette, MatchesScikitLearnOnGroundTruth) {
    if (!testing::have_clustering_data()) {
        GTEST_SKIP() << "reference data not found";
    }
    // sklearn.metrics.silhouette_score(X, labels) on the full data.
    for (auto [name, expected] : {std::pair<const char *, double>{"s1", 0.7078541190943877},
                                  {"iris", 0.5034774406932965},
                                  {"wine", 0.20008297882823034}}) {
        testing::Dataset d = testing::load(name);
        Rng rng(1);
        auto all = random_subset(d.x.rows(), 1000000, rng);
        EXPECT_NEAR(silhouette(d.x, d.labels, d.true_k, all), expected, 1e-12) << name;
    }
}

TEST(KmeansSilhouette, SampleIsBoundedAndWithoutReplacement) {
    Rng rng(2);
    auto s = random_subset(100000, 2000, rng);
    EXPECT_EQ(std::set<Eigen::Index>(s.begin(), s.end()).size(), 2000u);
    EXPECT_EQ(random_subset(10, 2000, rng).size(), 10u);
}

// Plain definition, for comparison: mean over points of (b - a) / max(a, b).
double naive_silhouette(const Matrix &x, const std::vector<int> &labels, int k) {
    double total = 0;
    for (Eigen::Index i = 0; i < x.rows(); i++) {
        std::vector<double> sum(k, 0), n(k, 0);
        for (Eigen::Index j = 0; j < x.rows(); j++) {
            n[labels[j]]++;
            if (j != i) sum[labels[j]] += (x.row(i) - x.row(j)).norm();
        }
        int own = labels[i];
        if (n[own] <= 1) continue;
        double a = sum[own] / (n[own] - 1), b = std::numeric_limits<double>::infinity();
        for (int c = 0; c < k; c++)
            if (c != own && n[c] > 0) b = std::min(b, sum[c] / n[c]);
        total += (b - a) / std::max(a, b);
    }
    return total / static_cast<double>(x.rows());
}

TEST(KmeansSilhouette, ManyClustersComputeRowByRow) {
    Matrix x = random_points(3000, 2, 12);
    std::vector<int> labels(3000);
    for (int i = 0; i < 3000; i++) labels[i] = (i % 20) * 350 + (x(i, 0) > 0.5); // 40 of 7000 used
    Rng rng(1);
    auto all = random_subset(3000, 3000, rng);
    // 3000 x 7000 cells exceed the table limit; 3000 x 50 do not. Both match the definition.
    EXPECT_NEAR(silhouette(x, labels, 7000, all), naive_silhouette(x, labels, 7000), 1e-12);
    std::vector<int> few(3000);
    for (int i = 0; i < 3000; i++) few[i] = labels[i] % 50;
    EXPECT_NEAR(silhouette(x, few, 50, all), naive_silhouette(x, few, 50), 1e-12);
}

// Several clusterings at once give each one's silhouette bit for bit (the same distances added
// in the same order), on a sample and on all points, with undefined ones (one cluster) as NaN.
TEST(KmeansSilhouette, SeveralClusteringsAtOnceEqualOneByOne) {
    Matrix x = random_points(1500, 5, 21);
    std::vector<std::vector<int>> labels;
    std::vector<int> ks = {2, 3, 1, 8, 40};
    for (int k : ks) {
        std::vector<int> l(1500);
        for (int i = 0; i < 1500; i++)
            l[i] = k == 1 ? 0 : static_cast<int>(std::floor(x(i, i % 5) * k)) % k;
        labels.push_back(l);
    }
    std::vector<const std::vector<int> *> refs;
    for (const auto &l : labels) refs.push_back(&l);
    for (std::uint64_t size : {300u, 1500u}) {
        Rng rng(size);
        auto sample = random_subset(1500, size, rng);
        std::vector<double> together = silhouettes(x, refs, ks, sample);
        ASSERT_EQ(together.size(), ks.size());
        for (std::size_t c = 0; c < ks.size(); c++) {
            double alone = silhouette(x, labels[c], ks[c], sample);
            if (std::isnan(alone))
                EXPECT_TRUE(std::isnan(together[c])) << "k = " << ks[c];
            else
                EXPECT_EQ(together[c], alone) << "k = " << ks[c] << ", sample " << size;
        }
    }
    EXPECT_DOUBLE_EQ(silhouettes_table_size(100, {2, 3}), 500);
}

TEST(KmeansSilhouette, UndefinedForOneCluster) {
    Matrix x = random_points(10, 2, 3);
    std::vector<int> labels(10, 0);
    Rng rng(1);
    EXPECT_TRUE(std::isnan(silhouette(x, labels, 1, random_subset(10, 10, rng))));
}

} // namespace
// A subsampled fit whose seeding quarter holds fewer than k distinct points seeds from the whole
// restart subsample instead: 40,000 points, all but 12 at the origin.
TEST(KmeansFit, SubsampledSeedingFallsBackWhenTooFewDistinctPoints) {
    Matrix x = Matrix::Zero(40000, 2);
    for (int i = 0; i < 12; i++) {
        x(i * 3331, 0) = 100.0 + i;
        x(i * 3331, 1) = (i % 2) * 100.0;
    }
    FitParams p;
    p.k = 3;
    Clustering c = fit(x, p);
    ASSERT_EQ(c.centroids.rows(), 3);
    for (double n : c.counts) EXPECT_GT(n, 0);
    EXPECT_TRUE(c.centroids.allFinite());
}

// On planted blobs, a subsampled fit (seeds from a quarter of the restart subsample) finds every
// blob: 60,000 points, 6 blobs.
TEST(KmeansFit, SubsampledFitFindsPlantedBlobs) {
    Matrix centres(6, 3);
    centres << 0, 0, 0, 30, 0, 0, 0, 30, 0, 0, 0, 30, 30, 30, 30, 15, 15, 15;
    Matrix x = blobs(centres, 10000, 2.0, 21);
    FitParams p;
    p.k = 6;
    Clustering c = fit(x, p);
    EXPECT_EQ(testing::centroid_index(c.centroids, centres), 0);
}

} // namespace dmine::kmeans
