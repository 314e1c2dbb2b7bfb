// Seasonal decomposition kernel: planted seasons and trends are recovered, edge cases are defined.
#include "core/errors.hpp"
#include "trends/decompose.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace dmine;
using namespace dmine::trends;

namespace {

const std::vector<double> monthly = {0.7, 0.8, 1.0, 1.1, 1.2, 1.3, 1.4, 1.2, 1.0, 0.9, 0.7, 0.7};

// trend (100 + 2t) x season x a deterministic +-3% wobble, starting at position `first`.
std::vector<double> planted(int n, int first) {
    std::vector<double> y(n);
    for (int t = 0; t < n; t++)
        y[t] = (100 + 2 * t) * monthly[(first + t) % 12] * (1 + 0.03 * std::sin(1.7 * t));
    return y;
}

double correlation(const std::vector<double> &a, const std::vector<double> &b) {
    double ma = 0, mb = 0;
    for (std::size_t i = 0; i < a.size(); i++) ma += a[i], mb += b[i];
    ma /= double(a.size()), mb /= double(b.size());
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < a.size(); i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return sab / std::sqrt(saa * sbb);
}

} // namespace

TEST(TrendsDecompose, RecoversPlantedMonthlySeasonAndTrend) {
    Decomposition d = decompose(planted(36, 3), 12, 3);
    ASSERT_EQ(d.seasonal.size(), 12u);
    double mean = 0;
    for (double s : d.seasonal) mean += s / 12;
    EXPECT_NEAR(mean, 1.0, 1e-12);
    EXPECT_GT(correlation(d.seasonal, monthly), 0.99);
    for (int k = 0; k < 12; k++) EXPECT_NEAR(d.seasonal[k], monthly[k] / 1.0, 0.06) << k;
    EXPECT_NEAR(d.slope, 2.0, 0.3);
    EXPECT_GT(d.strength, 0.9);
    for (int t = 0; t < 36; t++) EXPECT_NEAR(d.trend[t], 100 + 2 * t, 8) << t; // ends included
}

TEST(TrendsDecompose, NoSeasonMeansLowStrength) {
    std::vector<double> y(48);
    for (int t = 0; t < 48; t++) y[t] = 50 + 5 * std::sin(2.3 * t * t);
    Decomposition d = decompose(y, 12, 0);
    EXPECT_LT(d.strength, 0.6);
}

TEST(TrendsDecompose, WeekdaysWithAClosedDay) {
    const double week[7] = {1, 1, 1, 1, 0.9, 0.5, 0};
    std::vector<double> y(140);
    for (int t = 0; t < 140; t++) y[t] = 20 * week[t % 7] * (1 + 0.05 * std::cos(t));
    Decomposition d = decompose(y, 7, 0);
    EXPECT_DOUBLE_EQ(d.seasonal[6], 0.0);
    EXPECT_NEAR(d.seasonal[0] / d.seasonal[5], 2.0, 0.2);
    EXPECT_GT(d.strength, 0.9);
    for (double t : d.trend) EXPECT_NEAR(t, 20 * 5.4 / 7, 1); // the mean level of a week
}

TEST(TrendsDecompose, ShortSeries) {
    Decomposition empty = decompose({}, 12, 0);
    EXPECT_TRUE(empty.trend.empty());
    EXPECT_TRUE(std::isnan(empty.strength));
    Decomposition few = decompose({1, 2, 3, 4, 5}, 12, 0); // less than a season: a straight line
    EXPECT_TRUE(std::isnan(few.seasonal[0]));
    EXPECT_NEAR(few.slope, 1.0, 1e-12);
    EXPECT_NEAR(few.trend[4], 5.0, 1e-12);
    Decomposition one_season = decompose(planted(18, 0), 12, 0); // indices, no strength
    EXPECT_GT(correlation(one_season.seasonal, monthly), 0.95);
    EXPECT_TRUE(std::isnan(one_season.strength));
}

TEST(TrendsDecompose, TheilSenIgnoresOutliers) {
    std::vector<double> y(30);
    for (int t = 0; t < 30; t++) y[t] = 3 * t + 1;
    y[5] = 1e6;
    y[20] = -1e6;
    EXPECT_NEAR(theil_sen_slope(y), 3.0, 1e-9);
    std::vector<double> v = {5, 1, 4, 2};
    EXPECT_DOUBLE_EQ(median(v), 3.0);
}

TEST(TrendsDecompose, RejectsBadArguments) {
    EXPECT_THROW(decompose({1, 2}, 1, 0), Error);
    EXPECT_THROW(decompose({1, 2}, 12, 12), Error);
    EXPECT_THROW(decompose({1, NAN}, 12, 0), Error);
}
