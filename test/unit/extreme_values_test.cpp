// Finite values near the ends of the double range (±1e308, ±1e160, denormals): every kernel
// gives representable answers, and every fitted model and state reads back.
#include "sketch/comoments.hpp"
#include "sketch/histogram.hpp"
#include "iforest_test_util.hpp"
#include "sketch/kll.hpp"
#include "kmeans/kmeans_refine.hpp"
#include "kmeans_test_data.hpp"
#include "kmeans/kmeans_train.hpp"
#include "sketch/moments.hpp"
#include "sketch/value_summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

namespace dmine {
namespace {

constexpr double kMax = DBL_MAX;

template <typename F> ErrorKind kind_of(F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.kind();
    }
    return ErrorKind::Internal;
}

template <typename T> T roundtrip(const T &state) {
    ByteWriter out;
    state.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    T back = T::deserialize(in);
    in.expect_end();
    return back;
}

Moments moments_of(const std::vector<double> &v) {
    Moments m;
    for (double x : v) m.add(x);
    return m;
}

// -------- moments --------

TEST(ExtremeMoments, MeanAndSdOfHugeValuesAreRepresentable) {
    Moments m = moments_of({1e308, 1e308, -1e308});
    EXPECT_NEAR(m.mean(), 1e308 / 3, 1e293);
    // sample sd: sqrt(((2/3)^2 * 2 + (4/3)^2) / 2) * 1e308 = 1.1547e308
    EXPECT_NEAR(m.stddev(), 1.1547005383792515e308, 1e294);
    EXPECT_TRUE(std::isinf(m.variance())); // 1.33e616: beyond the double range
    EXPECT_NEAR(m.skewness(), -1.7320508075688772, 1e-12);
    EXPECT_EQ(m.min(), -1e308);
    EXPECT_EQ(m.max(), 1e308);
}

TEST(ExtremeMoments, BlocksAndMergesAgreeWithSingleAdds) {
    std::vector<double> v = {kMax, -kMax, 0, 1e160, -1e160, 5e-324, -0.0, 1, kMax, -kMax};
    Moments one = moments_of(v);
    Moments block;
    block.add_block(v.data(), v.size());
    Moments merged = moments_of({v.begin(), v.begin() + 3});
    merged.merge(moments_of({v.begin() + 3, v.end()}));
    for (const Moments *m : {&one, &block, &merged}) {
        Moments back = roundtrip(*m);
        EXPECT_EQ(back.count(), v.size());
        EXPECT_TRUE(std::isfinite(back.mean()));
        EXPECT_NEAR(back.mean(), 0.0, 1e294);
        EXPECT_TRUE(std::isfinite(back.stddev()));
        EXPECT_NEAR(back.stddev() / kMax, std::sqrt(4.0 / 9.0), 1e-12);
        EXPECT_TRUE(std::isfinite(back.skewness()));
        EXPECT_TRUE(std::isfinite(back.kurtosis()));
    }
}

TEST(ExtremeMoments, TinyValuesKeepTheirSpread) {
    Moments m = moments_of({1e-170, -1e-170, 3e-170});
    EXPECT_NEAR(m.mean(), 1e-170, 1e-184);
    EXPECT_NEAR(m.stddev(), 2e-170, 1e-184);
    EXPECT_NEAR(m.skewness(), 0.0, 1e-12);
    Moments d = moments_of({5e-324, 0, 5e-324, 0}); // denormals: no NaN
    EXPECT_FALSE(std::isnan(d.mean()));
    EXPECT_FALSE(std::isnan(d.stddev()));
}

TEST(ExtremeMoments, DenormalsOnly) {
    std::vector<double> v = {5e-324, 0, 1e-323};
    Moments block;
    block.add_block(v.data(), v.size());
    for (const Moments &m : {moments_of(v), block, roundtrip(block)}) {
        EXPECT_EQ(m.mean(), 5e-324);
        EXPECT_EQ(m.stddev(), 5e-324);
        EXPECT_EQ(m.variance(), 0.0); // 2.5e-647: below the smallest denormal
        EXPECT_NEAR(m.skewness(), 0.0, 1e-12);
    }
}

TEST(ExtremeMoments, OrdinaryDataKeepsPlainArithmetic) {
    Moments m = moments_of({1, 2, 3, 4, 10});
    EXPECT_DOUBLE_EQ(m.mean(), 4.0);
    EXPECT_DOUBLE_EQ(m.variance(), 12.5);
}

TEST(ExtremeValueSummary, DescribeIsFinite) {
    ValueSummary s;
    for (double x : {1e308, 1e308, -1e308}) s.add(x);
    ByteWriter out;
    s.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    ValueSummary back = ValueSummary::deserialize(in);
    Description d = describe(back);
    EXPECT_TRUE(std::isfinite(d.mean));
    EXPECT_TRUE(std::isfinite(d.stddev));
    for (double q : d.quantiles) EXPECT_TRUE(std::isfinite(q)) << q;
    EXPECT_NEAR(d.quantiles[0], -0.96e308, 1e294); // p01: between the two values
}

// -------- quantiles and histograms --------

TEST(ExtremeKll, InterpolationDoesNotOverflow) {
    KllSketch s;
    for (double x : {kMax, -kMax, kMax}) s.add(x);
    auto q = roundtrip(s).quantiles({0.0, 0.01, 0.25, 0.5, 1.0});
    EXPECT_EQ(q[0], -kMax);
    EXPECT_NEAR(q[1], -kMax * 0.96, 1e294); // -kMax + 0.02 * (2 kMax)
    EXPECT_NEAR(q[2], 0.0, 1e294);
    EXPECT_EQ(q[3], kMax);
    EXPECT_EQ(q[4], kMax);
}

TEST(ExtremeHistogram, EdgesOverTheWholeRangeAreFinite) {
    FixedHistogram h(3, -1e308, 1e308);
    for (double x : {1e308, 1e308, -1e308, 0.0}) h.add(x);
    Histogram r = roundtrip(h).result();
    ASSERT_EQ(r.edges.size(), 4u);
    EXPECT_EQ(r.edges[0], -1e308);
    EXPECT_NEAR(r.edges[1], -1e308 / 3, 1e294);
    EXPECT_NEAR(r.edges[2], 1e308 / 3, 1e294);
    EXPECT_EQ(r.edges[3], 1e308);
    EXPECT_EQ(r.counts, (std::vector<std::uint64_t>{1, 1, 2}));
}

TEST(ExtremeHistogram, EdgesOfAFiniteButLargeRange) {
    FixedHistogram h(3, -5e307, 1.5e308); // the range is finite, 3 x the range is not
    Histogram r = h.result();
    for (double e : r.edges) EXPECT_TRUE(std::isfinite(e));
    EXPECT_NEAR(r.edges[1], 1.6666666666666667e307, 1e293);
}

TEST(ExtremeHistogram, FromSketchOverTheWholeRange) {
    KllSketch s;
    for (double x : {kMax, -kMax, 0.0, 1.0}) s.add(x);
    Histogram r = histogram_from_sketch(s, -kMax, kMax, 4);
    for (double e : r.edges) EXPECT_TRUE(std::isfinite(e));
    EXPECT_EQ(r.counts, (std::vector<std::uint64_t>{1, 0, 2, 1}));
}

// -------- co-moments --------

TEST(ExtremeCoMoments, CorrelationOfHugeValuesIsExact) {
    CoMoments c(2);
    for (double x : {1e308, 1e308, -1e308}) {
        double v[2] = {x, -x};
        c.add(v);
    }
    CoMoments back = roundtrip(c);
    Eigen::MatrixXd r = back.correlation();
    EXPECT_NEAR(r(0, 1), -1.0, 1e-12);
    Eigen::MatrixXd cov = back.covariance();
    EXPECT_TRUE(std::isinf(cov(0, 0))); // 1.33e616: beyond the double range
    EXPECT_TRUE(std::isinf(cov(0, 1)) && cov(0, 1) < 0);
    EXPECT_NEAR(back.mean()(0), 1e308 / 3, 1e293);
}

TEST(ExtremeCoMoments, MixedScalesMergeExactly) {
    CoMoments a(2), b(2);
    for (int i = 0; i < 20; i++) {
        double v[2] = {(i % 3) * 1e-160, (i % 3) * 1e300}; // perfectly correlated
        (i < 7 ? a : b).add(v);
    }
    a.merge(roundtrip(b));
    Eigen::MatrixXd r = a.correlation();
    EXPECT_NEAR(r(0, 1), 1.0, 1e-12);
    Eigen::MatrixXd cov = a.covariance();
    EXPECT_TRUE(std::isfinite(cov(0, 1)));
    Moments units = moments_of({0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1});
    EXPECT_GT(cov(0, 0), 0.0); // a denormal, not lost to underflow
    EXPECT_NEAR(cov(0, 0), units.variance() * 1e-320, 2e-323);
}

// -------- K-Means --------

kmeans::PointSample store(const std::vector<std::vector<double>> &rows) {
    kmeans::PointSample s(100000, 0);
    for (const auto &r : rows) s.add(r.data(), static_cast<int>(r.size()));
    return s;
}

void expect_readable(const kmeans::Model &m) {
    auto bytes = m.encode();
    kmeans::Model back = kmeans::Model::decode(bytes.data(), bytes.size());
    kmeans::Model text = kmeans::Model::from_json(m.to_json());
    EXPECT_EQ(back.encode(), bytes);
    EXPECT_EQ(text.encode(), bytes);
}

TEST(ExtremeKmeans, HugeValuesGiveReadableModels) {
    for (double big : {1e308, 1e160, kMax}) {
        auto s = store({{big}, {-big}, {0}});
        for (bool scale : {true, false}) {
            kmeans::Options o;
            o.scale = scale;
            if (!scale && big > 1e154) { // SSE around the centroids is beyond the double range
                EXPECT_EQ(kind_of([&] { kmeans::train(s, 2, o); }), ErrorKind::OutOfRange);
                continue;
            }
            kmeans::Model m = kmeans::train(s, 2, o);
            expect_readable(m);
            EXPECT_TRUE(std::isfinite(m.sd[0]));
            EXPECT_NEAR(m.sd[0] / big, std::sqrt(2.0 / 3.0), 1e-12);
            EXPECT_NEAR(m.mean[0], 0.0, big * 1e-15);
            kmeans::Model a = kmeans::train_auto(s, 2, 3, o);
            expect_readable(a);
            EXPECT_EQ(a.scores.size(), 2u); // k = 2 and k = 3 tried
        }
    }
}

TEST(ExtremeKmeans, SampledStoreWithHugeSpread) {
    for (double big : {1e308, 1e160}) {
        kmeans::PointSample s(60, 0); // keeps 60 of the rows: the fit takes mean and sd from them
        for (int i = 0; i < 1000; i++) {
            double v = (i % 3 - 1) * big;
            s.add(&v, 1);
        }
        ASSERT_TRUE(s.sampled());
        EXPECT_TRUE(std::isfinite(s.moments().mean[0]));
        kmeans::Model m = kmeans::train(s, 3, {});
        expect_readable(m);
        EXPECT_GT(m.sd[0], 0.5 * big);
        EXPECT_LT(m.sd[0], big);
        EXPECT_NEAR(m.inertia(), 0.0, 1e-9);
    }
}

TEST(ExtremeKmeans, TinyValues) {
    auto s = store({{1e-170}, {-1e-170}, {3e-170}, {3.1e-170}});
    for (bool scale : {true, false}) {
        kmeans::Options o;
        o.scale = scale;
        kmeans::Model m = kmeans::train(s, 2, o);
        expect_readable(m);
        EXPECT_NEAR(m.sd[0] / 1.6813313177360374e-170, 1.0, 1e-12); // not 0
        std::vector<double> sizes = m.sizes;
        std::sort(sizes.begin(), sizes.end());
        EXPECT_EQ(sizes, (std::vector<double>{2, 2}));
    }
}

TEST(ExtremeKmeans, Denormals) {
    auto s = store({{5e-324}, {0}, {1e-323}, {1e-323}});
    kmeans::Model m = kmeans::train(s, 2, {});
    expect_readable(m);
    EXPECT_GT(m.sd[0], 0.0);
    kmeans::Model a = kmeans::train_auto(s, 2, 3, {});
    expect_readable(a);
}

TEST(ExtremeKmeans, UnscaledHugeSpreadIsRefusedAsOutOfRange) {
    kmeans::Options o;
    o.scale = false;
    auto s = store({{1e308}, {-1e308}, {0}, {1}});
    EXPECT_EQ(kind_of([&] { kmeans::train(s, 2, o); }), ErrorKind::OutOfRange);
    // With every point its own cluster the SSE is 0: representable, so it fits.
    kmeans::Model m = kmeans::train(store({{1e308}, {-1e308}, {0}}), 3, o);
    expect_readable(m);
    EXPECT_EQ(m.inertia(), 0.0);
}

TEST(ExtremeKmeans, TwoFeaturesOfVeryDifferentScales) {
    std::vector<std::vector<double>> rows;
    for (int i = 0; i < 30; i++) rows.push_back({(i % 3) * 1e300, (i % 3) * 1e-300 + i * 1e-310});
    kmeans::Model m = kmeans::train(store(rows), 3, {});
    expect_readable(m);
    EXPECT_EQ(m.sizes, (std::vector<double>{10, 10, 10}));
}

TEST(ExtremeKmeans, DistancesOfAWideModelAreRepresentable) {
    kmeans::Model m = kmeans::train(store({{1e160}, {-1e160}, {0}}), 3, {});
    const double x = -1e160;
    auto [cluster, d] = m.nearest(&x, 1);
    EXPECT_EQ(m.centroids[cluster], -1e160);
    EXPECT_EQ(d, 0.0);
    const int far = m.centroids[0] == 1e160 ? 0 : m.centroids[1] == 1e160 ? 1 : 2;
    EXPECT_NEAR(m.distance(&x, 1, far), 2e160 / m.sd[0], 1e-12); // 2.449...
}

kmeans::Model refine(const kmeans::Model &m, const std::vector<std::vector<double>> &rows) {
    kmeans::RefineState a(m, m.encode()), b(m, m.encode());
    for (std::size_t i = 0; i < rows.size(); i++)
        (i % 2 ? a : b).add(rows[i].data(), static_cast<int>(rows[i].size()));
    ByteWriter out;
    b.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    a.merge(kmeans::RefineState::deserialize(in));
    return a.finish();
}

TEST(ExtremeKmeansRefine, HugeRowsOnAnOrdinaryModel) {
    kmeans::Model m = kmeans::train(store({{0}, {1}, {10}, {11}}), 2, {});
    // Offsets of 1e308 squared are beyond the double range: a clear error, not an internal one.
    EXPECT_EQ(kind_of([&] { refine(m, {{1e308}, {-1e308}, {0}}); }), ErrorKind::OutOfRange);
}

TEST(ExtremeKmeansRefine, HugeRowsOnAWideModel) {
    auto rows = std::vector<std::vector<double>>{{1e308}, {-1e308}, {0}, {1e308}};
    kmeans::Model m = kmeans::train(store(rows), 3, {});
    kmeans::Model r = refine(m, rows);
    expect_readable(r);
    EXPECT_EQ(r.inertia(), 0.0);
    EXPECT_EQ(r.rows, 4u);
}

TEST(ExtremeKmeansRefine, DenormalStandardDeviation) {
    kmeans::Model m = kmeans::train(store({{0}, {1}, {10}, {11}}), 2, {});
    m.sd[0] = 5e-324; // as a model text may say
    m.prepare();
    // Every row exactly on a centroid: SSE 0, representable.
    kmeans::Model ok = refine(m, {{m.centroids[0]}, {m.centroids[1]}});
    expect_readable(ok);
    // Offsets divided by 5e-324 squared are beyond the double range.
    EXPECT_EQ(kind_of([&] { refine(m, {{0}, {1}, {10}, {11}}); }), ErrorKind::OutOfRange);
    const double x = 10;
    EXPECT_EQ(m.nearest(&x, 1).first, m.centroids[0] > 5 ? 0 : 1);
}

// -------- Isolation Forest --------

TEST(ExtremeIforest, HugeValuesGiveReadableForests) {
    std::vector<double> x = {1e308, -1e308, 0, kMax, -kMax, 1e160, -1e160, 5e-324};
    iforest::Options o;
    o.n_trees = 20;
    iforest::Forest f = iforest::testing::fit_rows(x, 1, o);
    auto bytes = f.encode();
    iforest::Forest back = iforest::Forest::decode(bytes.data(), bytes.size());
    EXPECT_EQ(back.encode(), bytes);
    iforest::Forest::from_json(f.to_json());
    for (std::size_t i = 0; i < back.node_count(); i++)
        if (!back.is_leaf(i)) {
            EXPECT_TRUE(std::isfinite(back.value(i)));
        }
}

} // namespace
} // namespace dmine
