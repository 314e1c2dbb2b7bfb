// The one-pass column profile: exact distinct counts and top values while the values are few,
// dropped past the bound; date shapes; merge equals one pass; serialize round trip.
#include "profile/column_profile.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace dmine;

namespace {

std::vector<std::pair<std::string, std::uint64_t>>
sorted(std::vector<std::pair<std::string, std::uint64_t>> v) {
    std::sort(v.begin(), v.end());
    return v;
}

std::uint64_t hash_of(std::uint64_t v) {
    return v * 0x9E3779B97F4A7C15ull + 12345;
}

void add(ColumnProfile &p, std::uint64_t v) {
    if (p.add_value(hash_of(v))) {
        const std::string text = std::to_string(v);
        p.set_text(text.data(), text.size());
    }
    p.add_integer(static_cast<std::int64_t>(v));
}

} // namespace

TEST(ColumnProfile, DateShapes) {
    EXPECT_TRUE(is_date_key(20240229));
    EXPECT_FALSE(is_date_key(20230229));
    EXPECT_TRUE(is_date_key(20000229));
    EXPECT_FALSE(is_date_key(19000229));
    EXPECT_FALSE(is_date_key(20240431));
    EXPECT_TRUE(is_date_key(20240731));
    EXPECT_TRUE(is_date_key(20240831));
    EXPECT_FALSE(is_date_key(20241301));
    EXPECT_FALSE(is_date_key(9991231));
    const std::string yes[] = {"2024-01-02", "20240102", "2024-0102", "202401-02"};
    for (const auto &s : yes) EXPECT_TRUE(is_date_text(s.data(), s.size())) << s;
    const std::string no[] = {"2024-01-2", "2024/01/02", "2024-01-02x", "x2024-01-02", ""};
    for (const auto &s : no) EXPECT_FALSE(is_date_text(s.data(), s.size())) << s;
    const std::string ts = "2024-01-02T10:30:00", ts2 = "2024-01-02 10:30", bad = "2024-01-02 10";
    EXPECT_TRUE(is_timestamp_text(ts.data(), ts.size()));
    EXPECT_TRUE(is_timestamp_text(ts2.data(), ts2.size()));
    EXPECT_FALSE(is_timestamp_text(bad.data(), bad.size()));
}

TEST(ColumnProfile, ExactCountsAndTopValues) {
    ColumnProfile p(ColumnProfile::kNumber | ColumnProfile::kDateKey);
    for (std::uint64_t i = 0; i < 10000; i++) add(p, i % 50 == 0 ? 7 : i % 300);
    p.add_null();
    EXPECT_EQ(p.count(), 10000u);
    EXPECT_EQ(p.distinct_exact(), 294); // the multiples of 50 all read 7
    EXPECT_NEAR(static_cast<double>(p.distinct_estimate()), 294.0, 10.0);
    auto top = p.values().top(2);
    ASSERT_GE(top.size(), 2u);
    EXPECT_EQ(top[0].first, "7");
    EXPECT_GT(top[0].second, top[1].second);
    for (std::size_t i = 2; i < top.size(); i++) EXPECT_EQ(top[i].second, top[1].second);
    EXPECT_EQ(describe(p.numbers()).nulls, 1u);
}

TEST(ColumnProfile, BoundDropsTheValues) {
    ColumnProfile p(0);
    for (std::uint64_t i = 0; i < ValueCounter::kMaxDistinct + 10; i++) add(p, i);
    EXPECT_EQ(p.distinct_exact(), -1);
    EXPECT_FALSE(p.values().texts_kept());
    EXPECT_TRUE(p.values().top(5).empty());
}

TEST(ColumnProfile, TextBoundKeepsCounts) {
    ColumnProfile p(0);
    const std::string big(100000, 'x');
    for (std::uint64_t i = 0; i < 5; i++)
        if (p.add_value(hash_of(i))) p.set_text(big.data(), big.size());
    EXPECT_EQ(p.distinct_exact(), 5);
    EXPECT_FALSE(p.values().texts_kept());
}

TEST(ColumnProfile, MergeEqualsOnePassAndRoundTrip) {
    ColumnProfile whole(ColumnProfile::kNumber), a(ColumnProfile::kNumber),
        b(ColumnProfile::kNumber);
    for (std::uint64_t i = 0; i < 5000; i++) {
        add(whole, i % 700);
        add(i < 2000 ? a : b, i % 700);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), whole.count());
    EXPECT_EQ(a.distinct_exact(), whole.distinct_exact());
    EXPECT_EQ(a.distinct_estimate(), whole.distinct_estimate());
    EXPECT_EQ(sorted(a.values().top(3)), sorted(whole.values().top(3)));
    ByteWriter out;
    a.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    ColumnProfile back = ColumnProfile::deserialize(in);
    in.expect_end();
    EXPECT_EQ(back.distinct_exact(), a.distinct_exact());
    EXPECT_EQ(sorted(back.values().top(3)), sorted(a.values().top(3)));
    EXPECT_DOUBLE_EQ(describe(back.numbers()).mean, describe(a.numbers()).mean);
}

TEST(ColumnProfile, CorruptedBytesAreRejected) {
    ColumnProfile p(0);
    add(p, 1);
    ByteWriter out;
    p.serialize(out);
    auto bytes = out.bytes();
    bytes[0] = 99; // flags
    ByteReader in(bytes.data(), bytes.size());
    EXPECT_THROW(ColumnProfile::deserialize(in), Error);
}
