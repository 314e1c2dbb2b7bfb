// The exact refinement pass: one Lloyd step over every row, mergeable.
#include "kmeans/kmeans_refine.hpp"
#include "kmeans_test_data.hpp"
#include "kmeans/kmeans_train.hpp"

#include <gtest/gtest.h>

namespace dmine::kmeans {
namespace {

using namespace testing;

Matrix cloud(int n, std::uint64_t seed) {
    Rng rng(seed);
    Matrix x(n, 3);
    for (int i = 0; i < n; i++) {
        int g = static_cast<int>(rng.below(4));
        for (int j = 0; j < 3; j++) x(i, j) = 5.0 * ((g >> (j % 2)) & 1) + rng.uniform() * (j + 1);
    }
    return x;
}

RefineState start(const Model &m) {
    return RefineState(m, m.encode());
}

RefineState roundtrip(const RefineState &s) {
    ByteWriter out;
    s.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    RefineState back = RefineState::deserialize(in);
    in.expect_end();
    return back;
}

TEST(KmeansRefine, ConvergedFitIsAFixedPoint) {
    Matrix x = cloud(3000, 1);
    Options o;
    o.tol = 0;
    Model m = train(store_of(x), 4, o);
    RefineState s = start(m);
    for (Eigen::Index i = 0; i < x.rows(); i++) s.add(x.row(i).data(), 3);
    Model r = s.finish();
    for (std::size_t i = 0; i < m.centroids.size(); i++)
        EXPECT_NEAR(r.centroids[i], m.centroids[i], 1e-9);
    EXPECT_EQ(r.sizes, m.sizes);
    EXPECT_NEAR(r.inertia(), m.inertia(), 1e-9 * m.inertia());
    EXPECT_TRUE(r.converged);
    EXPECT_EQ(r.refinements, 1u);
}

TEST(KmeansRefine, PolishesASampledFitAgainstEveryRow) {
    Matrix x = cloud(40000, 2);
    Options o;
    o.sample_size = 2000;
    Model m = train(store_of(x, o.sample_size), 4, o);
    ASSERT_TRUE(m.sampled());
    RefineState s = start(m);
    for (Eigen::Index i = 0; i < x.rows(); i++) s.add(x.row(i).data(), 3);
    s.add_null();
    Model r = s.finish();
    EXPECT_FALSE(r.sampled());
    EXPECT_EQ(r.rows, 40000u);
    EXPECT_EQ(r.nulls, 1u);
    // Sizes and SSE are exact for the assignment to the old centroids, around the new ones.
    std::vector<double> size(4, 0), sse(4, 0);
    for (Eigen::Index i = 0; i < x.rows(); i++) {
        int c = m.nearest(x.row(i).data(), 3).first;
        size[c]++;
        for (int j = 0; j < 3; j++) {
            double t = (x(i, j) - r.centroids[c * 3 + j]) / m.scale(j);
            sse[c] += t * t;
        }
    }
    for (int c = 0; c < 4; c++) {
        EXPECT_EQ(r.sizes[c], size[c]);
        EXPECT_NEAR(r.sse[c], sse[c], 1e-9 * sse[c]);
    }
    EXPECT_EQ(Model::from_json(r.to_json()).encode(), r.encode());
}

TEST(KmeansRefine, PartsMergeIntoTheWholePass) {
    Matrix x = cloud(5000, 3);
    Model m = train(store_of(x), 3, Options{});
    RefineState whole = start(m), a = start(m), b = start(m);
    for (Eigen::Index i = 0; i < x.rows(); i++) {
        whole.add(x.row(i).data(), 3);
        (i % 3 ? a : b).add(x.row(i).data(), 3);
    }
    a.merge(roundtrip(b));
    Model r1 = whole.finish(), r2 = a.finish();
    EXPECT_EQ(r1.sizes, r2.sizes);
    for (std::size_t i = 0; i < r1.centroids.size(); i++)
        EXPECT_NEAR(r1.centroids[i], r2.centroids[i], 1e-12);
    EXPECT_NEAR(r1.inertia(), r2.inertia(), 1e-9 * r1.inertia());
}

TEST(KmeansRefine, RejectsOtherModelsAndDimensions) {
    Matrix x = cloud(500, 4);
    Model m3 = train(store_of(x), 3, Options{});
    Model m2 = train(store_of(x), 2, Options{});
    RefineState a = start(m3), b = start(m2);
    EXPECT_THROW(a.merge(b), Error);
    double v[2] = {1, 2};
    EXPECT_THROW(a.add(v, 2), Error);
    EXPECT_THROW(a.finish(), Error); // no rows
}

} // namespace
} // namespace dmine::kmeans
