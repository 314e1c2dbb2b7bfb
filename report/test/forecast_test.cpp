// The forecast section: series grouping and order, the fan chart's bands, the key finding.
#include <gtest/gtest.h>

#include "findings.hpp"
#include "forecast_render.hpp"

using namespace dmine::report;

namespace {

ForecastPoint point(const std::string &dim, const std::string &value, int month, int step,
                    double v) {
    ForecastPoint p;
    p.dimension = dim;
    p.attribute = dim == "total" ? "revenue" : "family";
    p.value = value;
    p.grain = "month";
    char b[32];
    std::snprintf(b, sizeof b, "%04d-%02d-01", 2024 + (month - 1) / 12, 1 + (month - 1) % 12);
    p.period_start = b;
    p.step = step;
    p.model = "ETS(A,N,A)";
    if (step <= 0) {
        p.actual = v;
    } else {
        p.point = v;
        p.lo80 = v - 10;
        p.hi80 = v + 10;
        p.lo95 = v - 20;
        p.hi95 = v + 20;
    }
    return p;
}

// A total of 12 months at 100 then 3 forecast months (110, 150, 120); two families.
Forecasts sample() {
    Forecasts f;
    for (const char *fam : {"Garden", "Beverages"})
        for (int m = 1; m <= 12; ++m)
            f.rows.push_back(point("product", fam, m, m - 12, fam[0] == 'G' ? 10 : 50));
    for (int m = 1; m <= 12; ++m) f.rows.push_back(point("total", "", m, m - 12, 100));
    f.rows.push_back(point("total", "", 13, 1, 110));
    f.rows.push_back(point("total", "", 14, 2, 150));
    f.rows.push_back(point("total", "", 15, 3, 120));
    return f;
}

} // namespace

TEST(Forecast, SeriesTotalFirstThenByRevenue) {
    auto s = sample().series();
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].dimension, "total");
    EXPECT_EQ(s[0].history.size(), 12u);
    EXPECT_EQ(s[0].forecast.size(), 3u);
    EXPECT_EQ(s[1].value, "Beverages"); // 600 of revenue before Garden's 120
    EXPECT_EQ(s[2].value, "Garden");
}

TEST(Forecast, FanChartHasHistoryForecastAndStackedBands) {
    auto s = sample().series();
    auto opt = chart_fan(s[0], "EUR");
    ASSERT_EQ(opt["xAxis"]["data"].size(), 15u);
    EXPECT_EQ(opt["xAxis"]["data"][12], "2025-01");
    std::map<std::string, nlohmann::json> by_name;
    for (const auto &x : opt["series"]) by_name[x["name"]] = x;
    EXPECT_EQ(by_name["95 % interval (lower)"]["data"][12], 90.0);
    EXPECT_EQ(by_name["95 % interval"]["data"][12], 40.0); // the width, stacked on the lower bound
    EXPECT_EQ(by_name["80 % interval"]["data"][13], 20.0);
    EXPECT_TRUE(by_name["95 % interval"]["data"][11].is_null());
    EXPECT_EQ(by_name["forecast"]["data"][11], 100.0); // starts at the last observed period
    EXPECT_TRUE(by_name["revenue"]["data"][12].is_null());
    EXPECT_EQ(opt["yAxis"]["name"], "revenue (EUR)");
}

TEST(Forecast, KeyFinding) {
    ReportData d;
    d.forecasts = sample();
    bool found = false;
    for (const auto &f : key_findings(d, "EUR"))
        if (f.topic == "forecast") {
            found = true;
            EXPECT_EQ(f.text,
                      "Revenue is forecast at 380 EUR over the next 3 months (95 % interval "
                      "320 EUR to 440 EUR), 26.7 % more than the 3 months before; the peak "
                      "is expected in February 2025.");
            EXPECT_EQ(f.anchor, "forecast");
        }
    EXPECT_TRUE(found);
}

TEST(Forecast, NoFindingWithoutForecast) {
    ReportData d;
    for (const auto &f : key_findings(d)) EXPECT_NE(f.topic, "forecast");
}
