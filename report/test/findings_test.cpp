// The key findings: exact sentences for a hand-made run, and what is left out when data are
// missing or too few.
#include <gtest/gtest.h>

#include "findings.hpp"

using namespace dmine::report;

namespace {

TrendPoint month(const std::string &start, double revenue) {
    TrendPoint p;
    p.grain = "month";
    p.period_start = start;
    p.revenue = revenue;
    return p;
}

ReportData sample() {
    ReportData d;
    // 13 months: January 2023 … January 2024.
    std::vector<double> rev = {800,  500,  1000, 1000, 1000, 1000, 1000,
                               1000, 1000, 1000, 1000, 2000, 900};
    for (size_t i = 0; i < rev.size(); ++i) {
        int y = 2023 + static_cast<int>(i / 12), m = 1 + static_cast<int>(i % 12);
        char b[16];
        std::snprintf(b, sizeof b, "%04d-%02d-01", y, m);
        d.trends.points.push_back(month(b, rev[i]));
    }
    std::vector<double> idx = {0.85, 0.72, 0.9, 0.95, 1, 1.02, 0.93, 0.88, 1, 1.05, 1.22, 1.45};
    const char *names[] = {"January", "February", "March",     "April",   "May",      "June",
                           "July",    "August",   "September", "October", "November", "December"};
    for (int m = 0; m < 12; ++m)
        d.trends.seasonality.push_back({"month", m + 1, names[m], idx[m], 0.86});
    d.trends.heatmap = {{6, 11, 300.0, 12}, {1, 9, 100.0, 4}};
    d.breakdowns.concentration = {{"store", "region", 5, 4, 0.1, 0.3},
                                  {"product", "product", 3000, 410, 0.71, 0.78}};
    d.rfm.segments = {{"At Risk", 90, 0.45, 30000, 200, 2, 333},
                      {"Can't Lose", 10, 0.05, 20000, 150, 9, 2000},
                      {"Champions", 100, 0.5, 150000, 5, 12, 1500}};
    d.rfm.customers = 200;
    d.rfm.monetary = 200000;
    d.clustering.measure_names = {"monetary", "night_share"};
    ClusterProfile a, b;
    a.cluster = 0;
    a.size = 900;
    a.label = "Average";
    a.measures = {100.0, 0.1};
    b.cluster = 1;
    b.size = 100;
    b.label = "Big";
    b.measures = {1000.0, 0.5};
    d.clustering.profiles = {a, b};
    d.anomalies.anomalies = 85;
    d.anomalies.lines_scored = 60000;
    d.anomalies.type_counts = {{"amount", 50}, {"quantity", 25}, {"hour", 10}};
    return d;
}

std::map<std::string, Finding> by_topic(const std::vector<Finding> &f) {
    std::map<std::string, Finding> out;
    for (const auto &x : f) out[x.topic] = x;
    return out;
}

} // namespace

TEST(ReportFindings, ExactSentences) {
    auto f = key_findings(sample(), "EUR");
    std::vector<std::string> topics;
    for (const auto &x : f) topics.push_back(x.topic);
    EXPECT_EQ(topics, (std::vector<std::string>{"growth", "months", "seasonality", "heatmap",
                                                "concentration", "risk", "cluster", "anomalies"}));
    auto t = by_topic(f);
    EXPECT_EQ(t["growth"].text, "Revenue was 900 EUR in January 2024, 55.0 % less than in December "
                                "2023. Year over year, that is 12.5 % more than in January 2023.");
    EXPECT_EQ(t["growth"].anchor, "trends");
    EXPECT_EQ(t["months"].text, "Over 13 complete months, the best was December 2023 (2,000 EUR) "
                                "and the worst February 2023 (500 EUR).");
    EXPECT_EQ(t["seasonality"].text,
              "Monthly seasonality is strong (strength 0.86): December is the peak month, 45 % "
              "above an average month, and February the lowest, 28 % below.");
    EXPECT_EQ(t["seasonality"].anchor, "trends-seasonality");
    EXPECT_EQ(t["heatmap"].text, "The busiest hour of the week is Saturday 11:00–12:00, with "
                                 "75.0 % of revenue (300 EUR).");
    EXPECT_EQ(t["concentration"].text,
              "In product, the top 20 % of the 3,000 items make 78.0 % of revenue (Gini 0.71); 410 "
              "items make 80 % of it (class A).");
    EXPECT_EQ(t["concentration"].anchor, "breakdowns-concentration");
    EXPECT_EQ(t["risk"].text,
              "100 customers (50.0 %) are in segments at risk (At Risk 90, Can't Lose 10); they "
              "spent 50,000 EUR, 25.0 % of all customer value.");
    EXPECT_EQ(t["risk"].anchor, "rfm");
    EXPECT_EQ(t["cluster"].text,
              "The largest customer cluster, “Average” (cluster 0), holds 90.0 % of the customers "
              "(900); compared with all customers it has 47 % lower spend and 29 % lower night "
              "share.");
    EXPECT_EQ(t["cluster"].anchor, "clustering");
    EXPECT_EQ(
        t["anomalies"].text,
        "85 lines are anomalies (0.14 % of 60,000), by type: 50 amount, 25 quantity, 10 hour.");
}

TEST(ReportFindings, NothingFromNothing) {
    EXPECT_TRUE(key_findings(ReportData{}).empty());
}

TEST(ReportFindings, PartialMonthsAreLeftOut) {
    ReportData d;
    d.trends.points = {month("2024-01-01", 1000), month("2024-02-01", 1200),
                       month("2024-03-01", 300)};
    TrendPoint first, last;
    first.grain = last.grain = "day";
    first.period_start = "2024-01-05"; // January starts late: partial
    last.period_start = "2024-03-10";  // March ends early: partial
    first.revenue = last.revenue = 10;
    d.trends.points.push_back(first);
    d.trends.points.push_back(last);
    auto f = key_findings(d);
    ASSERT_EQ(f.size(), 0u); // one complete month: no growth, no best and worst
    d.trends.points[0].period_start = "2023-12-01";
    d.trends.points.insert(d.trends.points.begin() + 1, month("2024-01-01", 800));
    f = key_findings(d);
    ASSERT_EQ(f.size(), 2u); // growth, best and worst over December … February
    EXPECT_EQ(f[0].text, "Revenue was 1,200 in February 2024, 50.0 % more than in January 2024.");
}

TEST(ReportFindings, MissingDataLeavesSentencesOut) {
    ReportData d = sample();
    for (auto &s : d.trends.seasonality) s.strength.reset(); // below two full cycles
    d.trends.heatmap.clear();
    for (auto &c : d.breakdowns.concentration) c.top20_share.reset();
    d.rfm.segments.erase(d.rfm.segments.begin(), d.rfm.segments.begin() + 2); // no segment at risk
    d.clustering.profiles.pop_back();                                         // one cluster
    d.anomalies.anomalies.reset();
    d.trends.points.resize(12); // no year over year below 13 months
    auto t = by_topic(key_findings(d, "EUR"));
    EXPECT_EQ(t.size(), 2u);
    EXPECT_EQ(t["growth"].text,
              "Revenue was 2,000 EUR in December 2023, 100.0 % more than in November 2023.");
    EXPECT_TRUE(t.count("months"));
}

TEST(ReportFindings, RiskSegmentsAndWords) {
    ReportData d;
    d.rfm.segments = {{"about to sleep", 3, {}, {}, {}, {}, {}},
                      {"Cannot lose them", 1, {}, {}, {}, {}, {}},
                      {"Loyal", 5, {}, {}, {}, {}, {}}};
    auto f = key_findings(d);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].text,
              "4 customers are in segments at risk (about to sleep 3, Cannot lose them 1).");
    EXPECT_EQ(strength_word(0.6), "strong");
    EXPECT_EQ(strength_word(0.3), "moderate");
    EXPECT_EQ(strength_word(0.29), "weak");
    EXPECT_EQ(month_label("2024-12-01"), "December 2024");
    EXPECT_EQ(month_label("soon"), "soon");
}

TEST(ReportFindings, NoAnomaliesSaysSo) {
    ReportData d;
    d.anomalies.anomalies = 0;
    d.anomalies.lines_scored = 1234;
    auto f = key_findings(d);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0].text, "No anomaly was found among the 1,234 lines scored.");
}
