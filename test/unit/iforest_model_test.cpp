// Isolation Forest model: path lengths, scores, thresholds, binary and JSON forms.
#include "iforest_test_util.hpp"
#include "core/interrupt.hpp"
#include "core/model_format.hpp"
#include "core/rng.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>

namespace dmine::iforest {
namespace {

// n rows of `dim` values uniform in [0, 1), plus `outliers` rows at 10.
std::vector<double> cloud(int n, int dim, int outliers, std::uint64_t seed) {
    Rng rng(seed);
    std::vector<double> x;
    for (int r = 0; r < n; r++)
        for (int f = 0; f < dim; f++) x.push_back(rng.uniform());
    for (int r = 0; r < outliers; r++)
        for (int f = 0; f < dim; f++) x.push_back(10.0 + r);
    return x;
}

template <typename F> ErrorKind kind_of(F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.kind();
    }
    ADD_FAILURE() << "no error raised";
    return ErrorKind::Internal;
}

TEST(IforestModel, AveragePathLengthMatchesScikitLearn) {
    EXPECT_EQ(average_path_length(0), 0.0);
    EXPECT_EQ(average_path_length(1), 0.0);
    EXPECT_EQ(average_path_length(2), 1.0);
    EXPECT_NEAR(average_path_length(3), 1.207392357589623, 1e-14);
    EXPECT_NEAR(average_path_length(10), 3.748880484475505, 1e-14);
    EXPECT_NEAR(average_path_length(256), 10.244770920119917, 1e-13);
    EXPECT_NEAR(average_path_length(1000), 12.969940887100174, 1e-13);
}

TEST(IforestModel, DefaultsFollowThePaper) {
    Forest big = testing::fit_rows(cloud(1000, 2, 0, 1), 2);
    EXPECT_EQ(big.n_trees(), 100);
    EXPECT_EQ(big.header().sample_size, 256);
    EXPECT_EQ(big.header().max_depth, 8);
    EXPECT_EQ(big.header().rows_seen, 1000u);
    EXPECT_EQ(big.threshold(), 0.5);
    Forest small = testing::fit_rows(cloud(100, 2, 0, 1), 2);
    EXPECT_EQ(small.header().sample_size, 100);
    EXPECT_EQ(small.header().max_depth, 7);
    EXPECT_EQ(default_max_depth(2), 1);
    EXPECT_EQ(default_max_depth(257), 9);
}

TEST(IforestModel, ScoreIsTwoToMinusNormalisedPathLength) {
    auto x = cloud(500, 3, 5, 2);
    Forest forest = testing::fit_rows(x, 3);
    for (std::size_t r = 0; r < 505; r += 7) {
        const double *row = x.data() + r * 3;
        double expected = std::exp2(-forest.mean_path_length(row) / average_path_length(256));
        EXPECT_DOUBLE_EQ(forest.score(row), expected);
        EXPECT_GT(forest.score(row), 0.0);
        EXPECT_LE(forest.score(row), 1.0);
    }
}

TEST(IforestModel, OutliersScoreHigherThanInliers) {
    auto x = cloud(2000, 2, 5, 3);
    Forest forest = testing::fit_rows(x, 2);
    auto scores = testing::scores_of(forest, x);
    double inlier_max = *std::max_element(scores.begin(), scores.begin() + 2000);
    for (int r = 2000; r < 2005; r++) {
        EXPECT_GT(scores[r], inlier_max);
        EXPECT_GT(scores[r], 0.6);
        EXPECT_TRUE(forest.is_anomaly(x.data() + r * 2));
    }
    double mean = std::accumulate(scores.begin(), scores.begin() + 2000, 0.0) / 2000;
    EXPECT_LT(mean, 0.5);
}

TEST(IforestModel, IdenticalRowsScoreOneHalf) {
    std::vector<double> x(300 * 2, 4.25);
    Forest forest = testing::fit_rows(x, 2);
    EXPECT_EQ(forest.node_count(), 100u); // one leaf per tree
    EXPECT_NEAR(forest.score(x.data()), 0.5, 1e-12);
}

TEST(IforestModel, TwoRowsAreEnough) {
    std::vector<double> x = {0.0, 1.0};
    Forest forest = testing::fit_rows(x, 1);
    EXPECT_EQ(forest.header().sample_size, 2);
    EXPECT_EQ(forest.header().max_depth, 1);
    EXPECT_DOUBLE_EQ(forest.score(x.data()), 0.5); // depth 1 + c(1) over c(2)
}

TEST(IforestModel, SeedMakesTheModel) {
    auto x = cloud(800, 3, 2, 4);
    Options a, b;
    b.seed = 7;
    EXPECT_EQ(testing::fit_rows(x, 3, a).to_json(), testing::fit_rows(x, 3, a).to_json());
    EXPECT_NE(testing::fit_rows(x, 3, a).to_json(), testing::fit_rows(x, 3, b).to_json());
}

TEST(IforestModel, ContaminationShareSetsTheTrainingQuantile) {
    auto x = cloud(3000, 2, 0, 5);
    Options options;
    options.contamination = 0.05;
    Forest forest = testing::fit_rows(x, 2, options);
    auto scores = testing::scores_of(forest, x);
    EXPECT_DOUBLE_EQ(forest.threshold(), quantile(scores, 0.95));
    auto flagged = std::count_if(scores.begin(), scores.end(),
                                 [&](double s) { return s > forest.threshold(); });
    EXPECT_NEAR(double(flagged) / 3000.0, 0.05, 0.002);
}

TEST(IforestModel, QuantileInterpolatesLikeNumpy) {
    EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4}, 0.5), 2.5);
    EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.9), 3.7);
    EXPECT_DOUBLE_EQ(quantile({5}, 0.3), 5.0);
    EXPECT_DOUBLE_EQ(quantile({3, 1, 2}, 1.0), 3.0);
}

TEST(IforestModel, BinaryRoundTripIsExact) {
    auto x = cloud(700, 3, 3, 6);
    Options options;
    options.contamination = 0.01;
    Forest forest = testing::fit_rows(x, 3, options);
    auto bytes = forest.encode();
    Forest back = Forest::decode(bytes.data(), bytes.size());
    EXPECT_EQ(back.encode(), bytes);
    EXPECT_EQ(back.threshold(), forest.threshold());
    for (std::size_t r = 0; r < 703; r++)
        EXPECT_EQ(back.score(x.data() + r * 3), forest.score(x.data() + r * 3));
}

TEST(IforestModel, JsonRoundTripIsExact) {
    auto x = cloud(700, 3, 3, 7);
    Options options;
    options.contamination = 0.1;
    options.seed = 123456789012345ULL;
    Forest forest = testing::fit_rows(x, 3, options);
    std::string text = forest.to_json();
    Forest back = Forest::from_json(text);
    EXPECT_EQ(back.to_json(), text);
    EXPECT_EQ(back.encode(), forest.encode());
    EXPECT_NE(text.find("\"format\":\"dmine.iforest\""), std::string::npos);
    EXPECT_NE(text.find("\"seed\":123456789012345"), std::string::npos);
}

TEST(IforestModel, InfoSummarisesWithoutTrees) {
    Forest forest = testing::fit_rows(cloud(300, 2, 0, 8), 2);
    std::string info = forest.info_json();
    EXPECT_EQ(info.find("\"trees\""), std::string::npos);
    EXPECT_NE(info.find("\"n_trees\":100"), std::string::npos);
    EXPECT_NE(info.find("\"rows_seen\":300"), std::string::npos);
    EXPECT_NE(info.find("\"contamination\":\"auto\""), std::string::npos);
}

TEST(IforestModel, WrongDimensionIsRejected) {
    Forest forest = testing::fit_rows(cloud(100, 3, 0, 9), 3);
    EXPECT_EQ(kind_of([&] { forest.check_dim(2); }), ErrorKind::DimensionMismatch);
    forest.check_dim(3);
}

TEST(IforestModel, FewerThanTwoRowsIsAnError) {
    SamplePool pool(Options{}, 2);
    EXPECT_EQ(kind_of([&] { fit(pool); }), ErrorKind::Data);
    double row[2] = {1, 2};
    pool.add(row, 2);
    EXPECT_EQ(kind_of([&] { fit(pool); }), ErrorKind::Data);
    pool.add(row, 2);
    EXPECT_NO_THROW(fit(pool));
}

// Every flipped byte of a sealed model is caught by the envelope.
TEST(IforestModel, FlippedBytesAreRejected) {
    Options options;
    options.n_trees = 3;
    options.sample_size = 8;
    Forest forest = testing::fit_rows(cloud(50, 2, 1, 10), 2, options);
    auto bytes = forest.encode();
    for (std::size_t i = 0; i < bytes.size(); i++) {
        auto copy = bytes;
        copy[i] ^= 0x5a;
        EXPECT_EQ(kind_of([&] { Forest::decode(copy.data(), copy.size()); }), ErrorKind::Corrupted)
            << "byte " << i;
    }
    for (std::size_t n = 0; n < bytes.size(); n += 7)
        EXPECT_EQ(kind_of([&] { Forest::decode(bytes.data(), n); }), ErrorKind::Corrupted);
}

// Damage behind a valid checksum: decoding either fails cleanly or gives a usable model.
TEST(IforestModel, ResealedDamageNeverBreaksAWalk) {
    Options options;
    options.n_trees = 3;
    options.sample_size = 16;
    auto x = cloud(60, 2, 1, 11);
    Forest forest = testing::fit_rows(x, 2, options);
    auto bytes = forest.encode();
    int rejected = 0, accepted = 0;
    for (std::size_t i = kModelHeaderSize; i < bytes.size(); i++)
        for (std::uint8_t flip : {0x01, 0x80, 0xff}) {
            auto copy = bytes;
            copy[i] ^= flip;
            std::uint64_t sum =
                checksum64(copy.data() + kModelHeaderSize, copy.size() - kModelHeaderSize);
            std::memcpy(copy.data() + 16, &sum, sizeof sum);
            try {
                Forest damaged = Forest::decode(copy.data(), copy.size());
                accepted++;
                if (damaged.dim() != 2) continue; // the SQL functions check the dimension first
                for (std::size_t r = 0; r < 61; r++) {
                    double s = damaged.score(x.data() + r * 2);
                    ASSERT_TRUE(s > 0.0 && s <= 1.0);
                }
            } catch (const Error &e) {
                EXPECT_EQ(e.kind(), ErrorKind::Corrupted);
                rejected++;
            }
        }
    EXPECT_GT(rejected, 0);
    EXPECT_GT(accepted, 0); // flips in split values and the like stay valid models
}

TEST(IforestModel, BadTextIsRejected) {
    Options options;
    options.n_trees = 2;
    options.sample_size = 4;
    Forest forest = testing::fit_rows(cloud(20, 1, 0, 12), 1, options);
    std::string good = forest.to_json();
    auto edited = [&](auto &&edit) {
        auto j = nlohmann::json::parse(good);
        edit(j);
        return j.dump();
    };
    std::vector<std::string> bad = {
        "",
        "not json",
        "[1, 2]",
        edited([](auto &j) { j["format"] = "dmine.kmeans"; }),
        edited([](auto &j) { j["version"] = 2; }),
        edited([](auto &j) { j.erase("threshold"); }),
        edited([](auto &j) { j["threshold"] = 1.5; }),
        edited([](auto &j) { j["features"] = 0; }),
        edited([](auto &j) { j["n_trees"] = 3; }),
        edited([](auto &j) { j["contamination"] = 0.7; }),
        edited([](auto &j) { j["sample_size"] = 1; }),
        edited([](auto &j) { j["rows_seen"] = 3; }),
        edited([](auto &j) { j["trees"][0]["left"][0] = 0; }),    // a loop
        edited([](auto &j) { j["trees"][0]["left"][0] = 100; }),  // out of bounds
        edited([](auto &j) { j["trees"][0]["feature"][0] = 1; }), // no such feature
        edited([](auto &j) { j["trees"][0]["threshold"][0] = nullptr; }),
        edited([](auto &j) { j["trees"][0]["size"][0] = 5; }),
        edited([](auto &j) { j["trees"][0]["size"].push_back(1); }),
        edited([](auto &j) { j["trees"][1] = 7; }),
        edited([](auto &j) { j["trees"][0]["feature"][0] = "x"; }),
        edited([](auto &j) { j["colour"] = "red"; }),
        edited([](auto &j) { j["trees"][0]["depth"] = 3; }),
    };
    for (const auto &text : bad)
        EXPECT_EQ(kind_of([&] { Forest::from_json(text); }), ErrorKind::InvalidText) << text;
    EXPECT_NO_THROW(Forest::from_json(good));
}

TEST(IforestModel, FitHonoursInterrupts) {
    static int calls = 0;
    calls = 0;
    set_interrupt_hook([] {
        if (++calls > 5) throw Interrupted();
    });
    auto x = cloud(1000, 2, 0, 13);
    EXPECT_THROW(testing::fit_rows(x, 2), Interrupted);
    set_interrupt_hook(nullptr);
}

} // namespace
} // namespace dmine::iforest
