// Training from a point store: errors, scaling, sampling, automatic k.
#include "kmeans_test_data.hpp"
#include "kmeans/kmeans_train.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace dmine::kmeans {
namespace {

using namespace testing;

template <typename F> ErrorKind kind_of(F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.kind();
    }
    return ErrorKind::Internal;
}

// Three well separated groups along x; the second feature is noise of scale `noise`
// (roughly normal: a sum of uniforms).
Matrix three_groups(int per_group, std::uint64_t seed, double noise = 1.0) {
    Rng rng(seed);
    Matrix x(3 * per_group, 2);
    for (int g = 0; g < 3; g++)
        for (int i = 0; i < per_group; i++) {
            x(g * per_group + i, 0) = 10.0 * g + rng.uniform();
            double z = rng.uniform() + rng.uniform() + rng.uniform() + rng.uniform() - 2;
            x(g * per_group + i, 1) = noise * z;
        }
    return x;
}

TEST(KmeansTrain, RejectsBadK) {
    Matrix x(4, 1);
    x << 1, 1, 2, 2;
    PointSample s = store_of(x);
    Options o;
    EXPECT_EQ(kind_of([&] { train(s, 0, o); }), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind_of([&] { train(s, 3, o); }), ErrorKind::InvalidParameter); // 2 distinct points
    EXPECT_NO_THROW(train(s, 2, o));
    EXPECT_EQ(kind_of([&] { train_auto(s, 1, 3, o); }), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind_of([&] { train_auto(s, 3, 2, o); }), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind_of([&] { train_auto(s, 3, 5, o); }), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind_of([&] { train(PointSample(10, 0), 1, o); }), ErrorKind::Data);
}

// Cluster of each row under a model, relabelled by order of first appearance.
std::vector<int> partition(const Model &m, const Matrix &x) {
    std::vector<int> first(m.k, -1), out;
    int next = 0;
    for (Eigen::Index i = 0; i < x.rows(); i++) {
        int c = m.nearest(x.row(i).data(), static_cast<int>(x.cols())).first;
        if (first[c] < 0) first[c] = next++;
        out.push_back(first[c]);
    }
    return out;
}

TEST(KmeansTrain, ScaledFitIgnoresUnits) {
    Matrix x = three_groups(100, 1);
    Matrix stretched = x;
    stretched.col(1) *= 1000; // the same feature in other units
    Options raw;
    raw.scale = false;
    Model a = train(store_of(x), 3, Options{}), b = train(store_of(stretched), 3, Options{});
    EXPECT_EQ(partition(a, x), partition(b, stretched));
    EXPECT_NEAR(a.inertia(), b.inertia(), 1e-9 * a.inertia());
    EXPECT_NEAR(a.centroids[1] * 1000, b.centroids[1], 1e-6 * std::fabs(b.centroids[1]) + 1e-9);
    // Raw, the stretched feature dominates and the partition changes.
    EXPECT_NE(partition(train(store_of(x), 3, raw), x),
              partition(train(store_of(stretched), 3, raw), stretched));
}

TEST(KmeansTrain, ConstantFeatureIsHarmless) {
    Matrix x = three_groups(50, 2);
    x.col(1).setConstant(7);
    Model m = train(store_of(x), 3, Options{});
    EXPECT_EQ(m.sd[1], 0.0);
    EXPECT_EQ(m.scale(1), 1.0);
    for (int c = 0; c < 3; c++) EXPECT_EQ(m.centroids[c * 2 + 1], 7.0);
}

TEST(KmeansTrain, RowOrderDoesNotMatter) {
    Matrix x = three_groups(200, 3);
    Matrix reversed = x.colwise().reverse();
    EXPECT_EQ(train(store_of(x), 4, Options{}).encode(),
              train(store_of(reversed), 4, Options{}).encode());
}

TEST(KmeansTrain, FitsOnASampleBeyondTheBudget) {
    Matrix x = three_groups(20000, 4);
    Options o;
    o.sample_size = 5000;
    Model sampled = train(store_of(x, o.sample_size), 3, o);
    EXPECT_TRUE(sampled.sampled());
    EXPECT_EQ(sampled.points_used, 5000u);
    EXPECT_EQ(sampled.rows, 60000u);
    double total = 0;
    for (double n : sampled.sizes) total += n;
    EXPECT_NEAR(total, 60000, 1e-6);
    Model full = train(store_of(x), 3, Options{});
    EXPECT_FALSE(full.sampled());
    EXPECT_NEAR(sampled.inertia(), full.inertia(), 0.03 * full.inertia());
}

TEST(KmeansAuto, RecordsEveryKAndPicksTheBestSilhouette) {
    Matrix centres(3, 2);
    centres << 0, 0, 10, 0, 5, 10;
    Matrix x(300, 2);
    Rng rng(5);
    for (int i = 0; i < 300; i++)
        for (int j = 0; j < 2; j++) x(i, j) = centres(i % 3, j) + 2 * rng.uniform() - 1;
    Model m = train_auto(store_of(x), 2, 6, Options{});
    EXPECT_EQ(m.k, 3);
    ASSERT_EQ(m.scores.size(), 5u);
    for (std::size_t i = 0; i < m.scores.size(); i++) {
        EXPECT_EQ(m.scores[i].k, static_cast<int>(i) + 2);
        EXPECT_LE(m.scores[i].silhouette, m.silhouette);
        if (i > 0) {
            EXPECT_LT(m.scores[i].inertia, m.scores[i - 1].inertia);
        }
    }
}

TEST(KmeansAuto, CapsKAtTheDistinctPoints) {
    Matrix x(5, 1);
    x << 0, 1, 10, 11, 50;
    Model m = train_auto(store_of(x), 2, 20, Options{});
    EXPECT_EQ(m.scores.back().k, 5);
    EXPECT_TRUE(std::isnan(m.scores.back().silhouette)); // as many clusters as points
}

// The bars: s1 and r15 have 15 clusters; on iris silhouette prefers 2 (see clustering.md).
TEST(KmeansAuto, ChoosesKOnReferenceData) {
    if (!have_clustering_data()) {
        GTEST_SKIP() << "reference data not found";
    }
    for (auto [name, expected] :
         {std::pair<const char *, int>{"s1", 15}, {"r15", 15}, {"iris", 2}}) {
        Dataset d = load(name);
        for (bool scale : {false, true}) {
            Options o;
            o.scale = scale;
            o.n_init = 3;
            Model m = train_auto(store_of(d.x), 2, 20, o);
            EXPECT_EQ(m.k, expected) << name << " scale " << scale;
            EXPECT_EQ(m.scores.size(), 19u);
        }
    }
    // Raw iris: silhouette_score of scikit-learn's k-means partitions at k = 2 and 3.
    Options raw;
    raw.scale = false;
    Model iris = train_auto(store_of(load("iris").x), 2, 3, raw);
    EXPECT_NEAR(iris.scores[0].silhouette, 0.6810461692117465, 1e-12);
    EXPECT_NEAR(iris.scores[1].silhouette, 0.5528190123564101, 1e-12);
}

} // namespace
} // namespace dmine::kmeans
