// The bounded point store: exact below the budget, a uniform mergeable sample beyond it.
#include "core/errors.hpp"
#include "kmeans/kmeans_sample.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace dmine::kmeans {
namespace {

PointSample ramp(std::uint64_t from, std::uint64_t to, std::uint64_t budget, std::uint64_t stream) {
    PointSample s(budget, 7, stream);
    for (std::uint64_t i = from; i < to; i++) {
        double x[2] = {static_cast<double>(i), static_cast<double>(i % 10)};
        s.add(x, 2);
    }
    return s;
}

PointSample roundtrip(const PointSample &s) {
    ByteWriter out;
    s.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    PointSample back = PointSample::deserialize(in);
    in.expect_end();
    return back;
}

TEST(KmeansSample, KeepsEveryRowUpToTheBudgetInCanonicalOrder) {
    PointSample s = ramp(0, 500, 1000, 0);
    s.add_null();
    EXPECT_EQ(s.rows(), 500u);
    EXPECT_EQ(s.nulls(), 1u);
    EXPECT_FALSE(s.sampled());
    Matrix p = s.points();
    ASSERT_EQ(p.rows(), 500);
    for (Eigen::Index i = 0; i < p.rows(); i++) EXPECT_EQ(p(i, 0), static_cast<double>(i));
}

TEST(KmeansSample, SamplesUniformlyBeyondTheBudget) {
    PointSample s = ramp(0, 50000, 2000, 0);
    EXPECT_TRUE(s.sampled());
    Matrix p = s.points();
    ASSERT_EQ(p.rows(), 2000);
    std::set<double> seen;
    for (Eigen::Index i = 0; i < p.rows(); i++) {
        seen.insert(p(i, 0));
        EXPECT_EQ(p(i, 1), std::fmod(p(i, 0), 10.0)); // rows are kept whole
    }
    EXPECT_EQ(seen.size(), 2000u); // without replacement
    // The mean of a uniform sample of 0..49999 is 24999.5 +- 14434 / sqrt(2000) = 323.
    EXPECT_NEAR(p.col(0).mean(), 24999.5, 4 * 323.0);
}

TEST(KmeansSample, ParallelPartsMergeIntoOneSample) {
    PointSample a = ramp(0, 30000, 2000, 1);
    PointSample b = ramp(30000, 40000, 2000, 2);
    PointSample c = ramp(40000, 40500, 2000, 3); // still exact
    a.merge(roundtrip(b));
    a.merge(c);
    EXPECT_EQ(a.rows(), 40500u);
    Matrix p = a.points();
    ASSERT_EQ(p.rows(), 2000);
    // Each part contributes in proportion to its rows.
    double from_b = (p.col(0).array() >= 30000 && p.col(0).array() < 40000).cast<double>().sum();
    EXPECT_NEAR(from_b / 2000, 10000.0 / 40500, 0.04);
}

TEST(KmeansSample, MergedExactPartsEqualOneStore) {
    PointSample whole = ramp(0, 900, 1000, 0);
    PointSample a = ramp(0, 450, 1000, 1), b = ramp(450, 900, 1000, 2), empty(1000, 7, 3);
    empty.add_null();
    b.merge(a);
    empty.merge(b);
    EXPECT_EQ(empty.nulls(), 1u);
    EXPECT_EQ(empty.points(), whole.points());
    for (int j = 0; j < 2; j++) {
        EXPECT_NEAR(empty.moments().mean[j], whole.moments().mean[j], 1e-9);
        EXPECT_NEAR(empty.moments().sd()[j], whole.moments().sd()[j], 1e-9);
    }
}

TEST(KmeansSample, MomentsAreExactOverAllRows) {
    PointSample s = ramp(0, 50000, 100, 0);
    EXPECT_DOUBLE_EQ(s.moments().mean[0], 24999.5);
    EXPECT_NEAR(s.moments().sd()[0], std::sqrt((50000.0 * 50000.0 - 1) / 12), 1e-6);
}

TEST(KmeansSample, SerializesExactly) {
    PointSample s = ramp(0, 5000, 1000, 0);
    s.add_null();
    PointSample back = roundtrip(s);
    EXPECT_EQ(back.rows(), s.rows());
    EXPECT_EQ(back.nulls(), 1u);
    EXPECT_EQ(back.points(), s.points());
    ByteWriter a, b;
    s.serialize(a);
    back.serialize(b);
    EXPECT_EQ(a.bytes(), b.bytes());
}

TEST(KmeansSample, RejectsCorruptedState) {
    PointSample s = ramp(0, 100, 1000, 0);
    ByteWriter out;
    s.serialize(out);
    auto bytes = out.bytes();
    bytes.resize(bytes.size() - 3);
    ByteReader short_in(bytes.data(), bytes.size());
    EXPECT_THROW(PointSample::deserialize(short_in), Error);
    bytes = out.bytes();
    bytes[16] = 3; // dimension 3 with 2-element rows
    ByteReader bad_in(bytes.data(), bytes.size());
    EXPECT_THROW(PointSample::deserialize(bad_in), Error);
}

TEST(KmeansSample, RejectsRaggedEmptyAndNonFiniteRows) {
    PointSample s(100, 0);
    double x[3] = {1, 2, 3};
    s.add(x, 2);
    try {
        s.add(x, 3);
        FAIL();
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::DimensionMismatch);
    }
    double bad[2] = {1, std::nan("")};
    try {
        s.add(bad, 2);
        FAIL();
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Data);
    }
    PointSample empty(100, 0);
    EXPECT_THROW(empty.add(x, 0), Error);
    PointSample other(100, 0);
    other.add(x, 3);
    EXPECT_THROW(s.merge(other), Error);
}

TEST(KmeansSample, CountsDistinctRowsUpToALimit) {
    Matrix x(6, 2);
    x << 1, 2, 0.0, 5, 1, 2, -0.0, 5, 3, 3, 1, 2; // 3 distinct: -0 equals 0
    EXPECT_EQ(count_distinct_upto(x, 100), 3u);
    EXPECT_EQ(count_distinct_upto(x, 2), 2u);
}

TEST(KmeansSample, MemoryBudgetCapsWidePoints) {
    EXPECT_EQ(PointSample::budget_for(100000, 8), 100000u);
    EXPECT_LT(PointSample::budget_for(100000, 10000) * 10000 * 8 * 2, 300u << 20);
}

} // namespace
} // namespace dmine::kmeans
