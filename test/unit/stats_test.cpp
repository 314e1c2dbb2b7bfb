// Kernels of exploratory statistics: moments, quantile sketch, co-moments, distinct counts.
#include "sketch/comoments.hpp"
#include "sketch/histogram.hpp"
#include "sketch/hyperloglog.hpp"
#include "sketch/kll.hpp"
#include "sketch/moments.hpp"
#include "core/rng.hpp"
#include "sketch/value_summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace dmine;

namespace {

std::vector<double> lognormal_values(std::size_t n, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<double> v(n);
    for (auto &x : v) {
        double u1 = rng.uniform() + 1e-300, u2 = rng.uniform();
        x = std::exp(std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2)) * 100 + 1e6;
    }
    return v;
}

// pandas' linear-interpolation quantile of a sorted vector.
double linear_quantile(const std::vector<double> &sorted, double p) {
    double pos = p * (sorted.size() - 1);
    auto lo = static_cast<std::size_t>(std::floor(pos));
    std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

} // namespace

TEST(StatsMoments, MatchTwoPassFormulasWithLargeOffset) {
    auto v = lognormal_values(10000, 1);
    Moments m;
    for (double x : v) m.add(x);
    double n = v.size(), mean = 0;
    for (double x : v) mean += x;
    mean /= n;
    double s2 = 0, s3 = 0, s4 = 0;
    for (double x : v) {
        double d = x - mean;
        s2 += d * d;
        s3 += d * d * d;
        s4 += d * d * d * d;
    }
    EXPECT_NEAR(m.mean(), mean, 1e-9 * std::abs(mean));
    EXPECT_NEAR(m.variance(), s2 / (n - 1), 1e-9 * s2 / n);
    double g1 = std::sqrt(n) * s3 / std::pow(s2, 1.5) * std::sqrt(n * (n - 1)) / (n - 2);
    EXPECT_NEAR(m.skewness(), g1, 1e-8 * std::abs(g1));
    double g2 = n * s4 / (s2 * s2) - 3;
    double kurt = (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6);
    EXPECT_NEAR(m.kurtosis(), kurt, 1e-8 * std::abs(kurt));
}

TEST(StatsMoments, MergeEqualsSinglePass) {
    auto v = lognormal_values(5001, 2);
    Moments whole, a, b, c;
    for (std::size_t i = 0; i < v.size(); i++) {
        whole.add(v[i]);
        (i % 3 == 0 ? a : i % 3 == 1 ? b : c).add(v[i]);
    }
    a.merge(b);
    a.merge(c);
    a.merge(Moments{});
    EXPECT_EQ(a.count(), whole.count());
    EXPECT_NEAR(a.mean(), whole.mean(), 1e-12 * whole.mean());
    EXPECT_NEAR(a.variance(), whole.variance(), 1e-9 * whole.variance());
    EXPECT_NEAR(a.skewness(), whole.skewness(), 1e-8);
    EXPECT_NEAR(a.kurtosis(), whole.kurtosis(), 1e-7);
    EXPECT_EQ(a.min(), whole.min());
    EXPECT_EQ(a.max(), whole.max());
}

TEST(StatsMoments, SmallCountsGiveNaN) {
    Moments m;
    m.add(3);
    EXPECT_TRUE(std::isnan(m.variance()));
    m.add(5);
    EXPECT_DOUBLE_EQ(m.variance(), 2);
    EXPECT_TRUE(std::isnan(m.skewness()));
}

TEST(StatsKll, ExactModeMatchesLinearInterpolation) {
    auto v = lognormal_values(9999, 3);
    KllSketch s;
    for (double x : v) s.add(x);
    ASSERT_TRUE(s.exact());
    std::sort(v.begin(), v.end());
    std::vector<double> ps = {0, 0.01, 0.25, 0.5, 0.75, 0.99, 1};
    auto q = s.quantiles(ps);
    for (std::size_t i = 0; i < ps.size(); i++) EXPECT_DOUBLE_EQ(q[i], linear_quantile(v, ps[i]));
}

TEST(StatsMoments, BlockUpdatesMatchSingleUpdates) {
    auto v = lognormal_values(1000, 9);
    Moments one, block;
    for (double x : v) one.add(x);
    block.add_block(v.data(), 300);
    block.add_block(v.data() + 300, 700);
    EXPECT_NEAR(block.mean(), one.mean(), 1e-12 * one.mean());
    EXPECT_NEAR(block.variance(), one.variance(), 1e-9 * one.variance());
    EXPECT_NEAR(block.skewness(), one.skewness(), 1e-8);
    EXPECT_NEAR(block.kurtosis(), one.kurtosis(), 1e-7);
    EXPECT_EQ(block.min(), one.min());
    EXPECT_EQ(block.max(), one.max());
}

TEST(StatsKll, SketchRankErrorWithinBound) {
    const std::size_t n = 1000000;
    auto v = lognormal_values(n, 4);
    KllSketch a, b;
    for (std::size_t i = 0; i < n; i++) (i < n / 3 ? a : b).add(v[i]);
    a.merge(b);
    EXPECT_FALSE(a.exact());
    EXPECT_LT(a.retained(), 3000u);
    std::sort(v.begin(), v.end());
    for (double p : {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99}) {
        double q = a.quantiles({p})[0];
        double rank = (std::lower_bound(v.begin(), v.end(), q) - v.begin()) / double(n);
        EXPECT_NEAR(rank, p, 0.007) << "p=" << p;
    }
}

// Partial sketches of the same length (shards, parallel workers) make their own random choices:
// with one shared coin, values of the same ranks would be kept at the same positions and the
// merged errors would add up instead of averaging out. The same rows still give the same sketch.
TEST(StatsKll, PartialSketchesFlipTheirOwnCoins) {
    const std::size_t n = 50000;
    KllSketch a, b, again;
    for (std::size_t i = 0; i < n; i++) {
        a.add(double(i));
        b.add(double(i) + 1e6); // the same ranks, other values
        again.add(double(i));
    }
    auto ia = a.sorted_items(), ib = b.sorted_items(), iagain = again.sorted_items();
    EXPECT_EQ(ia.values, iagain.values);
    ASSERT_FALSE(a.exact());
    std::vector<double> shifted;
    for (double v : ib.values) shifted.push_back(v - 1e6);
    EXPECT_NE(ia.values, shifted);
}

TEST(StatsKll, SerializeRoundTripAndCorruption) {
    auto v = lognormal_values(50000, 5);
    KllSketch s;
    for (double x : v) s.add(x);
    ByteWriter w;
    s.serialize(w);
    ByteReader r(w.bytes().data(), w.bytes().size());
    auto t = KllSketch::deserialize(r);
    EXPECT_EQ(t.quantiles({0.5}), s.quantiles({0.5}));
    auto bytes = w.bytes();
    bytes.resize(bytes.size() - 9);
    ByteReader bad(bytes.data(), bytes.size());
    EXPECT_THROW(KllSketch::deserialize(bad), Error);
}

TEST(StatsCoMoments, CorrelationMatchesTwoPassAndMerges) {
    Rng rng(6);
    const int n = 3000;
    std::vector<double> xs(n * 3);
    for (int i = 0; i < n; i++) {
        double a = rng.uniform(), b = rng.uniform();
        xs[i * 3] = 1e8 + a;
        xs[i * 3 + 1] = 2 * a + 0.1 * b;
        xs[i * 3 + 2] = 5.0;
    }
    CoMoments whole(3), p(3), q(3);
    for (int i = 0; i < n; i++) {
        whole.add(&xs[i * 3]);
        (i % 2 ? p : q).add(&xs[i * 3]);
    }
    p.merge(q);
    auto c1 = whole.correlation(), c2 = p.correlation();
    double m0 = 0, m1 = 0;
    for (int i = 0; i < n; i++) m0 += xs[i * 3], m1 += xs[i * 3 + 1];
    m0 /= n, m1 /= n;
    double s00 = 0, s11 = 0, s01 = 0;
    for (int i = 0; i < n; i++) {
        double d0 = xs[i * 3] - m0, d1 = xs[i * 3 + 1] - m1;
        s00 += d0 * d0, s11 += d1 * d1, s01 += d0 * d1;
    }
    EXPECT_NEAR(c1(0, 1), s01 / std::sqrt(s00 * s11), 1e-6);
    EXPECT_NEAR(c2(0, 1), c1(0, 1), 1e-9);
    EXPECT_DOUBLE_EQ(c1(0, 0), 1.0);
    EXPECT_TRUE(std::isnan(c1(2, 0))); // constant feature
    EXPECT_NEAR(p.covariance()(1, 1), whole.covariance()(1, 1), 1e-12);
}

TEST(StatsHyperLogLog, EstimateWithinThreePercent) {
    for (std::uint64_t distinct :
         {100ULL, 5000ULL, 12000ULL, 16000ULL, 25000ULL, 40000ULL, 60000ULL, 80000ULL, 200000ULL}) {
        HyperLogLog a, b;
        for (std::uint64_t i = 0; i < distinct; i++) {
            a.add_hash(mix64(i));
            b.add_hash(mix64(i)); // duplicates do not count twice
        }
        a.merge(b);
        EXPECT_NEAR(a.estimate(), double(distinct), 0.03 * distinct) << distinct;
    }
}

TEST(StatsHistogram, FixedBoundsAndSketchAgreeWhenExact) {
    FixedHistogram f(4, 0, 8);
    KllSketch s;
    for (double x : {0.0, 1.0, 2.0, 3.5, 8.0, 9.0, -1.0}) {
        f.add(x);
        if (x >= 0 && x <= 8) s.add(x);
    }
    auto h = f.result();
    EXPECT_EQ(h.counts, (std::vector<std::uint64_t>{2, 2, 0, 1}));
    EXPECT_EQ(h.below, 1u);
    EXPECT_EQ(h.above, 1u);
    auto g = histogram_from_sketch(s, 0, 8, 4);
    EXPECT_EQ(g.counts, h.counts);
    EXPECT_THROW(FixedHistogram(0, 0, 1), Error);
    EXPECT_THROW(FixedHistogram(3, 1, 1), Error);
}

TEST(StatsValueSummary, NonFiniteCountedApart) {
    ValueSummary s;
    for (double x : std::vector<double>{1.0, 2.0, NAN, INFINITY, -INFINITY, 3.0}) s.add(x);
    s.add_null();
    auto d = describe(s);
    EXPECT_EQ(d.count, 3u);
    EXPECT_EQ(d.nans, 1u);
    EXPECT_EQ(d.infinities, 2u);
    EXPECT_EQ(d.nulls, 1u);
    ValueSummary copy = s;
    s.merge(copy); // buffered values of both sides are kept
    EXPECT_EQ(describe(s).count, 6u);
    EXPECT_DOUBLE_EQ(d.mean, 2.0);
    EXPECT_DOUBLE_EQ(d.quantiles[3], 2.0);
}
