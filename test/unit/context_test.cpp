// Context summaries: fitting, merging, the stored forms and the surprise of planted values.
#include "context/context_groups.hpp"
#include "context/context_summary.hpp"
#include "context/top_lines.hpp"
#include "core/errors.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>

using namespace dmine;
using namespace dmine::context;

namespace {

ContextState prices(int from, int to) {
    ContextState s(Options{});
    for (int i = from; i < to; i++) {
        std::string key = std::to_string(i % 5);
        s.add_value(key.data(), key.size(), true, (10 + i % 5) * (1 + 0.01 * (i % 7)));
    }
    return s;
}

} // namespace

TEST(Context, MergedStatesGiveTheSerialSummary) {
    auto all = prices(0, 2000);
    auto a = prices(0, 700), b = prices(700, 2000);
    ByteWriter out;
    b.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    a.merge(ContextState::deserialize(in));
    EXPECT_EQ(Summary::fit(all).to_json(), Summary::fit(a).to_json());
}

// The state's bytes (varint bucket counts): exact round trip over negative and large keys, linear
// scale, and every truncation or changed byte either refused as corrupted or read cleanly.
TEST(Context, StateBytesRoundTripAndRefuseDamage) {
    Options linear;
    linear.scale = Scale::Linear;
    ContextState s(linear);
    for (int i = 0; i < 3000; i++) {
        std::string key = std::to_string(i % 7);
        s.add_value(key.data(), key.size(), true, (i % 2 ? -1 : 1) * std::pow(1.7, i % 400));
    }
    ByteWriter out;
    s.serialize(out);
    const auto &bytes = out.bytes();
    ByteReader in(bytes.data(), bytes.size());
    auto back = ContextState::deserialize(in);
    in.expect_end();
    ByteWriter again;
    back.serialize(again);
    EXPECT_EQ(again.bytes().size(), bytes.size());
    EXPECT_EQ(Summary::fit(back).to_json(), Summary::fit(s).to_json());
    for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
        ByteReader part(bytes.data(), cut);
        EXPECT_THROW(
            {
                ContextState::deserialize(part);
                part.expect_end();
            },
            Error);
    }
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        auto damaged = bytes;
        damaged[i] ^= 0x5a;
        ByteReader r(damaged.data(), damaged.size());
        try {
            auto state = ContextState::deserialize(r);
            Summary::fit(state);
        } catch (const Error &e) {
            EXPECT_NE(e.kind(), ErrorKind::Internal);
        }
    }
}

TEST(Context, StoredFormsRoundTrip) {
    auto summary = Summary::fit(prices(0, 2000));
    auto bytes = summary.encode();
    EXPECT_EQ(Summary::decode(bytes.data(), bytes.size()).to_json(), summary.to_json());
    EXPECT_EQ(Summary::from_json(summary.to_json().c_str()).encode(), bytes);
    bytes.back() ^= 1;
    try {
        Summary::decode(bytes.data(), bytes.size());
        FAIL();
    } catch (const Error &e) {
        EXPECT_EQ(e.kind(), ErrorKind::Corrupted);
    }
}

TEST(Context, PlantedPriceIsSurprisingAndSmallGroupsFallBack) {
    auto summary = Summary::fit(prices(0, 2000));
    std::string key = "3";
    auto usual = summary.assess_value(&key, 13.1, Side::Both, true);
    auto planted = summary.assess_value(&key, 13.1 * 40, Side::Both, true);
    ASSERT_TRUE(usual && planted);
    EXPECT_LT(usual->surprise, 3);
    EXPECT_GT(planted->surprise, 30);
    EXPECT_NEAR(planted->ratio, 40, 2);
    std::string unknown = "nope";
    EXPECT_FALSE(summary.assess_value(&unknown, 13, Side::Both, true));
    EXPECT_TRUE(summary.assess_value(nullptr, 13, Side::Both, true));
    EXPECT_FALSE(summary.assess_value(&key, -1, Side::Both, true)); // log scale
}

TEST(Context, TimeBinsAndNightSales) {
    int hour, weekday;
    time_bins(0, hour, weekday); // 2000-01-01 00:00, a Saturday
    EXPECT_EQ(hour, 0);
    EXPECT_EQ(weekday, 6);
    time_bins(-1, hour, weekday); // 1999-12-31 23:59:59.999999, a Friday
    EXPECT_EQ(hour, 23);
    EXPECT_EQ(weekday, 5);
    Options o;
    o.kind = Kind::Time;
    o.min_rows = 100;
    ContextState s(o);
    const std::int64_t h = 3600000000LL;
    for (int i = 0; i < 5000; i++) s.add_time("a", 1, true, (i % 30) * 24 * h + (8 + i % 12) * h);
    auto summary = Summary::fit(s);
    std::string key = "a";
    auto night = summary.assess_time(&key, 3 * h + 5 * 24 * h, true);
    auto day = summary.assess_time(&key, 12 * h + 5 * 24 * h, true);
    ASSERT_TRUE(night && day);
    EXPECT_GT(night->surprise, 6);
    EXPECT_LT(day->surprise, 2); // the weekdays of 30 days are not all as frequent
}

// Quantities as in a shop: 70% of lines 1, 21% 2, the rest 3 to 6, over 200 products. The
// calibrated tail calls a 6 about as rare as it is (3 lines in 100) and a 60, far beyond anything
// the lines show, far rarer than the Laplace law would.
TEST(Context, CalibratedTailsFollowTheLines) {
    Options o;
    o.min_spread = 0.3;
    ContextState s(o);
    std::mt19937 rng(7);
    for (int i = 0; i < 40000; i++) {
        int r = static_cast<int>(rng() % 100);
        double q = r < 70 ? 1 : r < 91 ? 2 : 3 + r % 4;
        std::string key = std::to_string(i % 200);
        s.add_value(key.data(), key.size(), true, q);
    }
    auto summary = Summary::fit(s);
    std::string key = "17";
    auto six = summary.assess_value(&key, 6, Side::High, true);
    auto sixty = summary.assess_value(&key, 60, Side::High, true);
    ASSERT_TRUE(six && sixty);
    EXPECT_LT(six->surprise, 4.5);
    // The Laplace law of the group: ln(60 / 1) / b + ln 2.
    EXPECT_GT(sixty->surprise,
              std::log(60.0 / sixty->typical) / sixty->spread + std::log(2.0) + 1.5);
    auto j = nlohmann::json::parse(summary.to_json());
    ASSERT_EQ(j["tails"].size(), 4u);
    EXPECT_EQ(j["tails"][0]["z"].size(), j["tails"][0]["surprise"].size());
    EXPECT_GT(j["tails"][0]["z"].size(), 2u);
    // Knots that do not increase are refused.
    j["tails"][0]["z"][1] = j["tails"][0]["z"][0];
    EXPECT_THROW(Summary::from_json(j.dump().c_str()), Error);
}

// Two night sales in one store of 1,000 lines: each still looks like an hour the store never
// sees (a bin of at most 0.5% of the lines counts as empty).
TEST(Context, StrayNightSalesDoNotMakeTheNightUsual) {
    Options o;
    o.kind = Kind::Time;
    o.min_rows = 100;
    ContextState s(o);
    const std::int64_t h = 3600000000LL;
    for (int i = 0; i < 20000; i++) {
        std::string key = std::to_string(i % 20);
        s.add_time(key.data(), key.size(), true, (i % 30) * 24 * h + (8 + i % 12) * h);
    }
    s.add_time("3", 1, true, 3 * h + 2 * 24 * h);
    s.add_time("3", 1, true, 3 * h + 9 * 24 * h);
    auto summary = Summary::fit(s);
    std::string key = "3";
    auto night = summary.assess_time(&key, 3 * h + 2 * 24 * h, true);
    ASSERT_TRUE(night);
    EXPECT_GT(night->surprise, 9);
}

TEST(Context, TopLinesKeepTheHighestWhateverTheOrder) {
    TopLines a(3), b(3);
    for (int i = 0; i < 100; i++) {
        std::uint8_t byte = static_cast<std::uint8_t>(i);
        (i % 2 ? a : b).add(i, &byte, 1);
    }
    a.merge(b);
    auto r = a.result();
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].first, 99);
    EXPECT_EQ(r[2].first, 97);
    EXPECT_THROW(TopLines(-1), Error);
}

TEST(Context, IntegerKeysFindTheirGroups) {
    auto summary = Summary::fit(prices(0, 2000));
    ASSERT_NE(summary.find(std::int64_t{3}), nullptr);
    EXPECT_EQ(summary.find(std::int64_t{3}), summary.find(std::string_view("3")));
    EXPECT_EQ(summary.find(std::int64_t{12}), nullptr);
}

// Keys written as canonical integers, negative ones and zero among them, are found as integers;
// others ("007", "x") only as text; many keys (the index grows past its first size).
TEST(Context, IntegerIndexFindsCanonicalKeysOnly) {
    ContextState s(Options{});
    for (int i = -3000; i < 3000; i++) {
        std::string key = std::to_string(i);
        s.add_value(key.data(), key.size(), true, 1 + (i & 7));
    }
    s.add_value("007", 3, true, 2);
    s.add_value("x", 1, true, 2);
    auto summary = Summary::fit(s);
    for (std::int64_t k : {-3000, -1, 0, 1, 2999})
        EXPECT_EQ(summary.find(k), summary.find(std::string_view(std::to_string(k)))) << k;
    EXPECT_EQ(summary.find(std::int64_t{3000}), nullptr);
    EXPECT_EQ(summary.find(std::int64_t{7}), summary.find(std::string_view("7")));
    EXPECT_NE(summary.find(std::string_view("007")), summary.find(std::int64_t{7}));
    EXPECT_NE(summary.find(std::string_view("x")), nullptr);
}

// Time parts are memoised per group when the groups are few: a memoised assessment (the bins
// asked before, in another order) equals the first one of a fresh copy of the summary, for every
// hour and weekday of groups and the overall group, with and without leaving the line out; past
// the memo's cap of groups, asking twice gives the same too.
TEST(Context, MemoisedTimeAssessmentsEqualComputedOnes) {
    Options o;
    o.kind = Kind::Time;
    o.min_rows = 20;
    const std::int64_t h = 3600000000LL;
    auto fill = [&](int groups) {
        ContextState s(o);
        for (int g = 0; g < groups; g++) {
            std::string key = std::to_string(g);
            int lines = g < 3 ? 400 : 25;
            for (int i = 0; i < lines; i++)
                s.add_time(key.data(), key.size(), true,
                           (i % 13) * 24 * h + ((g * 5 + i * 7) % 24) * h);
        }
        return Summary::fit(s);
    };
    auto same = [](const std::optional<Assessment> &x, const std::optional<Assessment> &y) {
        ASSERT_EQ(x.has_value(), y.has_value());
        if (!x) return;
        EXPECT_EQ(x->surprise, y->surprise);
        EXPECT_EQ(x->typical, y->typical);
        EXPECT_EQ(x->spread, y->spread);
        EXPECT_EQ(x->by_weekday, y->by_weekday);
    };
    for (int groups : {3, 5000}) {
        auto warm = fill(groups);
        auto bytes = warm.encode();
        for (int day = 6; day >= 0; day--) // fill the memo backwards first
            for (int hour = 23; hour >= 0; hour--)
                for (bool leave_out : {false, true})
                    warm.assess_time(nullptr, day * 24 * h + hour * h, leave_out);
        for (int g = -1; g < 3; g++)
            for (int day = 0; day < 7; day++)
                for (int hour = 0; hour < 24; hour += 5)
                    for (bool leave_out : {false, true}) {
                        std::string key = std::to_string(g);
                        const std::string *k = g < 0 ? nullptr : &key;
                        std::int64_t t = day * 24 * h + hour * h;
                        auto cold = Summary::decode(bytes.data(), bytes.size());
                        auto first = warm.assess_time(k, t, leave_out);
                        same(first, cold.assess_time(k, t, leave_out));
                        same(first, warm.assess_time(k, t, leave_out));
                    }
    }
}

// The previous line's group is looked up first: a copy forgets it (it pointed into the source),
// and runs of one key, dense or sparse buckets, give the counts of a plain count.
TEST(Context, RepeatedKeysAndCopiesCountEveryLine) {
    ContextState s(Options{});
    std::mt19937 rng(7);
    std::map<std::pair<std::string, std::int32_t>, std::uint64_t> expected;
    for (int i = 0; i < 5000; i++) {
        std::string key = std::to_string(i / 7 % 50); // runs of 7 lines of one key
        double x = i % 3 == 0 ? std::exp(0.01 * (i % 40)) : std::exp(0.37 * (rng() % 60));
        s.add_value(key.data(), key.size(), true, x);
        std::int32_t b;
        ASSERT_TRUE(value_bucket(Scale::Log, x, b));
        expected[{key, b}]++;
        if (i == 2500) {
            ContextState copy(s);
            copy.add_value(key.data(), key.size(), true, 1.0);
            StateString k(key.data(), key.size());
            EXPECT_EQ(copy.groups().at(k).n, s.groups().at(k).n + 1);
        }
    }
    std::size_t seen = 0;
    for (const auto &[key, g] : s.groups()) {
        std::uint64_t n = 0;
        for (std::size_t j = 0; j < g.buckets.size(); j++) {
            if (j) {
                EXPECT_LT(g.buckets[j - 1].key, g.buckets[j].key);
            }
            std::string k(key.data(), key.size());
            EXPECT_EQ(g.buckets[j].count, (expected[{k, g.buckets[j].key}])) << k;
            n += g.buckets[j].count;
            seen++;
        }
        EXPECT_EQ(n, g.n);
    }
    EXPECT_EQ(seen, expected.size());
    EXPECT_EQ(s.overall().n, 5000u);
}
