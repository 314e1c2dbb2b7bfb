// GroupSummary (src/kernels/explore/): exact distinct counts, merge equal to one pass, the
// serialized form round trip, the finished form, corrupted bytes.
#include "explore/group_summary.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

using namespace dmine;
using namespace dmine::explore;

namespace {

struct Line {
    std::string product;
    std::int64_t customer;
    std::int32_t day;
    double amount;
};

std::vector<Line> lines(int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<Line> out;
    for (int i = 0; i < n; i++)
        out.push_back({"p" + std::to_string(rng() % 50), static_cast<std::int64_t>(rng() % 300),
                       static_cast<std::int32_t>(8000 + rng() % 400), double(rng() % 1000) / 10});
    return out;
}

void add(GroupSummary &s, const Line &l) {
    KeyRef g{l.product.data(), l.product.size(), false};
    KeyRef c{reinterpret_cast<const char *>(&l.customer), sizeof l.customer, false};
    s.add_values(&g, 1, l.amount, 1.0, c, KeyRef{}, l.day);
}

std::map<std::string, GroupRow> by_key(const GroupSummary &s) {
    std::map<std::string, GroupRow> m;
    for (auto &r : s.rows()) m[r.key] = r;
    return m;
}

GroupSummary round_trip(const GroupSummary &s, bool finished = false) {
    ByteWriter w;
    finished ? s.serialize_finished(w) : s.serialize(w);
    ByteReader r(w.bytes().data(), w.bytes().size());
    GroupSummary back = GroupSummary::deserialize(r);
    r.expect_end();
    return back;
}

} // namespace

TEST(GroupSummary, DistinctCustomersAreExact) {
    auto data = lines(5000, 1);
    GroupSummary s(GroupKind::Values, GrowthPeriod::Month);
    std::map<std::string, std::set<std::int64_t>> truth;
    std::map<std::string, std::int64_t> count;
    for (auto &l : data) {
        add(s, l);
        truth[l.product].insert(l.customer);
        count[l.product]++;
    }
    auto rows = by_key(s);
    ASSERT_EQ(rows.size(), truth.size());
    for (auto &[k, customers] : truth) {
        EXPECT_EQ(rows[k].customers, static_cast<std::int64_t>(customers.size())) << k;
        EXPECT_EQ(rows[k].lines, count[k]);
    }
}

TEST(GroupSummary, MergeEqualsOnePass) {
    auto data = lines(6000, 2);
    GroupSummary one(GroupKind::Values, GrowthPeriod::Month),
        a(GroupKind::Values, GrowthPeriod::Month), b(GroupKind::Values, GrowthPeriod::Month),
        c(GroupKind::Values, GrowthPeriod::Month);
    for (std::size_t i = 0; i < data.size(); i++) {
        add(one, data[i]);
        add(i % 3 == 0 ? a : i % 3 == 1 ? b : c, data[i]);
    }
    a.merge(b);
    ByteWriter w;
    c.serialize(w);
    ByteReader r(w.bytes().data(), w.bytes().size());
    a.merge_serialized(r);
    auto x = by_key(one), y = by_key(a);
    ASSERT_EQ(x.size(), y.size());
    for (auto &[k, row] : x) {
        EXPECT_EQ(row.customers, y[k].customers);
        EXPECT_EQ(row.lines, y[k].lines);
        EXPECT_NEAR(row.revenue, y[k].revenue, 1e-9 * std::abs(row.revenue));
        if (std::isnan(row.growth))
            EXPECT_TRUE(std::isnan(y[k].growth));
        else
            EXPECT_NEAR(row.growth, y[k].growth, 1e-12);
    }
}

TEST(GroupSummary, RoundTripAndFinished) {
    GroupSummary s(GroupKind::Calendar);
    std::int64_t order = 7, customer = 3;
    KeyRef o{reinterpret_cast<const char *>(&order), 8, false};
    KeyRef c{reinterpret_cast<const char *>(&customer), 8, false};
    s.add_calendar(8766, 10, 5.0, 1.0, c, o); // 2024-01-01, a Monday
    s.add_calendar(8767, 11, 2.0, 1.0, c, o);
    auto back = by_key(round_trip(s));
    auto done = round_trip(s, true);
    auto finished = by_key(done);
    EXPECT_EQ(finished.size(), back.size());
    EXPECT_EQ(back["2024-01-01"].orders, 1); // the week of 2024-01-01 and the day itself
    EXPECT_EQ(finished["2024-01-01"].lines, 2);
    EXPECT_EQ(finished["110"].orders, 1); // Monday, 10 h
    GroupSummary other(GroupKind::Calendar);
    EXPECT_THROW(other.merge(done), Error);
}

TEST(GroupSummary, CorruptedBytesAreRejected) {
    GroupSummary s(GroupKind::Values, GrowthPeriod::Year);
    for (auto &l : lines(200, 3)) add(s, l);
    ByteWriter w;
    s.serialize(w);
    auto bytes = w.bytes();
    for (std::size_t cut : {std::size_t(0), std::size_t(5), bytes.size() / 2, bytes.size() - 1}) {
        ByteReader r(bytes.data(), cut);
        EXPECT_THROW(GroupSummary::deserialize(r), Error) << cut;
    }
    bytes[0] = 9; // unknown kind
    ByteReader r(bytes.data(), bytes.size());
    EXPECT_THROW(GroupSummary::deserialize(r), Error);
}

TEST(KeySet, ReservedMergeOfALargeSetStaysLinear) {
    KeySet a, b;
    for (std::uint64_t i = 0; i < 200000; i++) a.insert(i * 2654435761u);
    b.reserve(a.size());
    a.for_each([&](std::uint64_t k) { b.insert(k); });
    EXPECT_EQ(b.size(), a.size());
}
