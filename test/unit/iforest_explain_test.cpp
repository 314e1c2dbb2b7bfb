// Isolation Forest explanations: planted anomalies in generated sales lines.
#include "iforest/iforest_explain.hpp"
#include "iforest_test_util.hpp"
#include "core/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

namespace dmine::iforest {
namespace {

enum Feature { kAmount, kQuantity, kHour, kWeekday, kFeatures };

struct Sales {
    std::vector<double> x;    // amount, quantity, hour, weekday
    std::vector<int> planted; // feature made anomalous, -1 for a normal line
};

double normal(Rng &rng) {
    double u = 1.0 - rng.uniform(), v = rng.uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
}

// `rows` ordinary sales lines, then `per_kind` lines of each kind of planted anomaly: amount
// × 40, quantity × 60, sale at 3 a.m.
Sales generate_sales(int rows, int per_kind, std::uint64_t seed) {
    Rng rng(seed);
    Sales sales;
    auto line = [&] {
        double amount = std::round(std::exp(3.5 + 0.6 * normal(rng)) * 100.0) / 100.0;
        double quantity = 1.0 + std::floor(-std::log(1.0 - rng.uniform()) * 3.0);
        double hour = std::clamp(std::round(14.0 + 2.5 * normal(rng)), 8.0, 21.0);
        double weekday = double(rng.below(7));
        return std::vector<double>{amount, quantity, hour, weekday};
    };
    for (int r = 0; r < rows; r++) {
        auto v = line();
        sales.x.insert(sales.x.end(), v.begin(), v.end());
        sales.planted.push_back(-1);
    }
    for (int kind : {kAmount, kQuantity, kHour})
        for (int k = 0; k < per_kind; k++) {
            auto v = line();
            if (kind == kAmount) v[kAmount] *= 40.0;
            if (kind == kQuantity) v[kQuantity] *= 60.0;
            if (kind == kHour) v[kHour] = 3.0;
            sales.x.insert(sales.x.end(), v.begin(), v.end());
            sales.planted.push_back(kind);
        }
    return sales;
}

// Among planted anomalies scoring in the top 1%, the top-ranked feature is the planted one
// for at least 90%.
TEST(IforestExplain, PlantedAnomaliesNameTheirFeature) {
    for (std::uint64_t seed = 0; seed < 5; seed++) {
        Sales sales = generate_sales(20000, 20, 100 + seed);
        Options options;
        options.seed = seed;
        Forest forest = testing::fit_rows(sales.x, kFeatures, options);
        auto scores = testing::scores_of(forest, sales.x);
        double cut = quantile(scores, 0.99);
        int flagged = 0, named = 0, all_named = 0;
        int per_kind_named[3] = {0, 0, 0}, per_kind_flagged[3] = {0, 0, 0};
        for (std::size_t r = 0; r < scores.size(); r++) {
            int kind = sales.planted[r];
            if (kind < 0) continue;
            Explanation all = explain(forest, sales.x.data() + r * kFeatures);
            all_named += all.features[0].feature == kind;
            if (scores[r] < cut) continue;
            flagged++;
            per_kind_flagged[kind]++;
            Explanation e = explain(forest, sales.x.data() + r * kFeatures);
            if (e.features[0].feature == kind) {
                named++;
                per_kind_named[kind]++;
            }
        }
        std::printf("[ iforest  ] seed %d: %d of 60 planted in the top 1%%, named %d "
                    "(amount %d/%d, quantity %d/%d, hour %d/%d)\n",
                    int(seed), flagged, named, per_kind_named[0], per_kind_flagged[0],
                    per_kind_named[1], per_kind_flagged[1], per_kind_named[2], per_kind_flagged[2]);
        std::printf("[ iforest  ] all planted: named %d of 60\n", all_named);
        ASSERT_GT(flagged, 0);
        EXPECT_GE(double(named), 0.9 * flagged) << "seed " << seed;
    }
}

} // namespace
} // namespace dmine::iforest
