// Shaping the exploration tables' rows: NULLs, bad cells, groups and series.
#include <gtest/gtest.h>

#include "explore_data.hpp"

using namespace dmine::report;

TEST(ReportExploreData, TrendsAndSeries) {
    Rows r({"grain", "period_start", "revenue", "lines", "orders", "customers", "trend"},
           {{"month", "2024-01-01", "100.5", "10", "4", "3", std::nullopt},
            {"week", "2024-01-01", "NaN", std::nullopt, "1", "1", "20"},
            {"month", std::nullopt, "1", "1", "1", "1", "1"}}); // no period: left out
    Trends t;
    t.points = trend_points_from_rows(r);
    ASSERT_EQ(t.points.size(), 2u);
    EXPECT_EQ(t.series("month").size(), 1u);
    EXPECT_DOUBLE_EQ(*t.points[0].revenue, 100.5);
    EXPECT_FALSE(t.points[0].trend);
    EXPECT_FALSE(t.points[1].lines);
    EXPECT_FALSE(t.empty());
}

TEST(ReportExploreData, HeatmapKeepsValidCells) {
    Rows r({"isodow", "hour", "revenue", "lines"}, {{"1", "0", "5", "1"},
                                                    {"8", "3", "5", "1"},
                                                    {"7", "24", "5", "1"},
                                                    {"7", "23", std::nullopt, "2"}});
    auto cells = heatmap_from_rows(r);
    ASSERT_EQ(cells.size(), 2u);
    EXPECT_EQ(cells[1].isodow, 7);
    EXPECT_FALSE(cells[1].revenue);
}

TEST(ReportExploreData, SeasonalityLabels) {
    Rows r({"cycle", "position", "label", "seasonal_index", "strength"},
           {{"weekday", "6", "Saturday", "1.3", "0.5"},
            {"month", "2", std::nullopt, "0.7", std::nullopt}});
    Trends t;
    t.seasonality = seasonality_from_rows(r);
    EXPECT_EQ(t.cycle("weekday")[0].label, "Saturday");
    EXPECT_EQ(t.cycle("month")[0].label, "2"); // no label: the position
    EXPECT_FALSE(t.cycle("month")[0].strength);
}

TEST(ReportExploreData, BreakdownGroups) {
    Rows r({"dimension", "attribute", "value", "revenue", "lines", "customers", "share", "growth",
            "abc_class", "rank"},
           {{"product", "family", "A1", "50", "5", "2", "0.5", "0.1", "A", "1"},
            {"store", "region", std::nullopt, "10", "1", "1", "0.1", std::nullopt, "C", "1"},
            {"product", "family", "A2", "30", "3", "1", "0.3", "-0.2", "B", "2"}});
    Breakdowns b;
    b.rows = breakdowns_from_rows(r);
    auto g = b.groups();
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0], (std::pair<std::string, std::string>{"product", "family"}));
    EXPECT_EQ(b.group("product", "family").size(), 2u);
    EXPECT_EQ(b.group("store", "region")[0].value, "(null)");
    EXPECT_FALSE(b.group("store", "region")[0].growth);
    Rows c({"dimension", "attribute", "items", "gini", "top20_share", "a_items"},
           {{"product", "family", "2", "0.25", "0.6", "1"}});
    b.concentration = concentration_from_rows(c);
    EXPECT_DOUBLE_EQ(*b.concentration[0].gini, 0.25);
    EXPECT_EQ(*b.concentration[0].a_items, 1);
    EXPECT_EQ(breakdowns_json(b)["rows"].size(), 3u);
}
