// Isolation Forest sample pool and options: bounded, uniform, mergeable, serialisable.
#include <cstring>
#include "iforest_test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace dmine::iforest {
namespace {

template <typename F> ErrorKind kind_of(F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.kind();
    }
    ADD_FAILURE() << "no error raised";
    return ErrorKind::Internal;
}

Options small_pool() {
    Options options;
    options.sample_size = 10;
    options.n_trees = 10; // 100 rows kept
    return options;
}

std::vector<double> sequence(int from, int to) {
    std::vector<double> x;
    for (int i = from; i < to; i++) x.push_back(i);
    return x;
}

TEST(IforestSample, KeepsAtMostSampleSizeTimesTrees) {
    SamplePool pool = testing::pool_of(sequence(0, 5000), 1, small_pool());
    EXPECT_EQ(pool.rows_seen(), 5000u);
    EXPECT_EQ(pool.size(), 100u);
    EXPECT_EQ(pool.rows_by_key().size(), 100u);
    SamplePool few = testing::pool_of(sequence(0, 30), 1, small_pool());
    EXPECT_EQ(few.size(), 30u);
}

// Every row has the same chance, sample_size * n_trees / n, to be kept, also across merges.
TEST(IforestSample, InclusionIsUniform) {
    std::vector<int> kept(1000, 0), kept_merged(1000, 0);
    for (std::uint64_t seed = 0; seed < 400; seed++) {
        Options options = small_pool();
        options.seed = seed;
        for (double v : testing::pool_of(sequence(0, 1000), 1, options).rows_by_key())
            kept[int(v)]++;
        SamplePool a = testing::pool_of(sequence(0, 300), 1, options, 1);
        a.merge(testing::pool_of(sequence(300, 1000), 1, options, 2));
        EXPECT_EQ(a.rows_seen(), 1000u);
        for (double v : a.rows_by_key()) kept_merged[int(v)]++;
    }
    for (const auto &counts : {kept, kept_merged}) {
        double chi2 = 0.0; // expected 40 per row
        for (int c : counts) chi2 += (c - 40.0) * (c - 40.0) / 40.0;
        EXPECT_LT(chi2, 1000 + 5 * std::sqrt(2000.0)); // 999 degrees of freedom
        EXPECT_GT(chi2, 1000 - 5 * std::sqrt(2000.0));
        int first = std::accumulate(counts.begin(), counts.begin() + 300, 0);
        EXPECT_NEAR(first / 300.0, 40.0, 2.0);
    }
}

TEST(IforestSample, MergeOrderDoesNotMatter) {
    Options options = small_pool();
    SamplePool a = testing::pool_of(sequence(0, 400), 1, options, 1);
    SamplePool b = testing::pool_of(sequence(400, 700), 1, options, 2);
    SamplePool c = testing::pool_of(sequence(700, 760), 1, options, 3);
    SamplePool abc = a, cba = c;
    abc.merge(b);
    abc.merge(c);
    cba.merge(b);
    cba.merge(a);
    EXPECT_EQ(abc.rows_by_key(), cba.rows_by_key());
    EXPECT_EQ(abc.rows_seen(), 760u);
    b.add_nulls(2);
    c.add_nulls(3);
    c.merge(b);
    EXPECT_EQ(c.nulls_skipped(), 5u);
    EXPECT_EQ(fit(abc).to_json(), fit(cba).to_json());
}

TEST(IforestSample, SerialiseRoundTrip) {
    Options options = small_pool();
    options.contamination = 0.02;
    options.seed = 99;
    SamplePool pool = testing::pool_of(sequence(0, 900), 3, options, 4);
    pool.add_nulls(5);
    ByteWriter out;
    pool.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    SamplePool back = SamplePool::deserialize(in);
    in.expect_end();
    ByteWriter again;
    back.serialize(again);
    EXPECT_EQ(again.bytes(), out.bytes());
    EXPECT_EQ(back.rows_seen(), 300u);
    EXPECT_EQ(back.dim(), 3);
    EXPECT_EQ(back.nulls_skipped(), 5u);
    EXPECT_EQ(fit(back).header().nulls_skipped, 5u);
    EXPECT_EQ(fit(back).to_json(), fit(pool).to_json());
    // Adding after a round trip continues the same key stream.
    double row[3] = {1, 2, 3};
    pool.add(row, 3);
    back.add(row, 3);
    EXPECT_EQ(back.rows_by_key(), pool.rows_by_key());
}

TEST(IforestSample, DamagedStateIsRejected) {
    SamplePool pool = testing::pool_of(sequence(0, 50), 2, small_pool());
    ByteWriter out;
    pool.serialize(out);
    const auto &bytes = out.bytes();
    for (std::size_t n = 0; n < bytes.size(); n += 5) {
        ByteReader in(bytes.data(), n);
        EXPECT_EQ(kind_of([&] { SamplePool::deserialize(in); }), ErrorKind::Corrupted);
    }
    auto copy = bytes;
    copy[0] ^= 1; // magic
    ByteReader in(copy.data(), copy.size());
    EXPECT_EQ(kind_of([&] { SamplePool::deserialize(in); }), ErrorKind::Corrupted);
}

TEST(IforestSample, BadRowsAreRejected) {
    SamplePool pool(Options{}, 3);
    double ok[3] = {1, 2, 3};
    double nan[3] = {1, std::nan(""), 3};
    double inf[3] = {1, 2, INFINITY};
    pool.add(ok, 3);
    EXPECT_EQ(kind_of([&] { pool.add(ok, 2); }), ErrorKind::DimensionMismatch);
    EXPECT_EQ(kind_of([&] { pool.add(nan, 3); }), ErrorKind::Data);
    EXPECT_EQ(kind_of([&] { pool.add(inf, 3); }), ErrorKind::Data);
    EXPECT_EQ(pool.rows_seen(), 1u);
    EXPECT_EQ(kind_of([] { SamplePool(Options{}, 0); }), ErrorKind::DimensionMismatch);
    SamplePool other(Options{}, 2);
    EXPECT_EQ(kind_of([&] { pool.merge(other); }), ErrorKind::DimensionMismatch);
}

TEST(IforestSample, PoolSizeIsBounded) {
    Options options;
    options.n_trees = 10000;
    options.sample_size = 65536;
    EXPECT_EQ(kind_of([&] { SamplePool(options, 1); }), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind_of([] { SamplePool(Options{}, 5000); }), ErrorKind::InvalidParameter);
}

TEST(IforestOptions, ParsesKnownKeys) {
    Options o = parse_options(
        R"({"n_trees": 50, "sample_size": 128, "max_depth": 5, "contamination": 0.05, "seed": 42})");
    EXPECT_EQ(o.n_trees, 50);
    EXPECT_EQ(o.sample_size, 128);
    EXPECT_EQ(o.max_depth, 5);
    EXPECT_EQ(o.contamination, 0.05);
    EXPECT_EQ(o.seed, 42u);
    EXPECT_TRUE(contamination_is_auto(parse_options(R"({"contamination": "auto"})")));
    EXPECT_EQ(parse_options("{}").n_trees, 100);
    EXPECT_EQ(parse_options("null").sample_size, 256);
}

TEST(IforestOptions, RejectsBadOptions) {
    for (const char *text :
         {"", "[]", "3", R"({"trees": 10})", R"({"n_trees": 0})", R"({"n_trees": 10001})",
          R"({"n_trees": 2.5})", R"({"n_trees": "10"})", R"({"sample_size": 1})",
          R"({"sample_size": 65537})", R"({"max_depth": 0})", R"({"max_depth": 65})",
          R"({"contamination": 0})", R"({"contamination": 0.6})", R"({"contamination": "x"})",
          R"({"contamination": true})", R"({"seed": -1})", R"({"seed": 18446744073709551615})"})
        EXPECT_EQ(kind_of([&] { parse_options(text); }), ErrorKind::InvalidParameter) << text;
}

TEST(IforestSample, CountsBeyondBigintAreRejected) {
    SamplePool pool = testing::pool_of(sequence(0, 50), 2, small_pool());
    ByteWriter out;
    pool.serialize(out);
    auto bytes = out.bytes();
    // rows_seen follows the options, the dimension and the stream base: find it by value.
    const std::uint64_t seen = pool.rows_seen();
    std::size_t at = 0;
    for (std::size_t i = 0; i + 8 <= bytes.size(); i++)
        if (std::memcmp(bytes.data() + i, &seen, 8) == 0) {
            at = i;
            break;
        }
    ASSERT_GT(at, 0u);
    const std::uint64_t huge = std::uint64_t(INT64_MAX) + 1;
    std::memcpy(bytes.data() + at, &huge, 8);
    ByteReader in(bytes.data(), bytes.size());
    EXPECT_EQ(kind_of([&] { SamplePool::deserialize(in); }), ErrorKind::Corrupted);
}

} // namespace
} // namespace dmine::iforest
