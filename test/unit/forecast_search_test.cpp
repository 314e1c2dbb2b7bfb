// The fast paths of the ETS search: the optimiser's recursion (no state history, seasonal ring)
// equals the full one, a Nelder-Mead search stopped and resumed takes the path of one run, the
// screened automatic choice picks R's full-search model on R's reference series, and forecast
// states of different settings do not merge.
#include "core/errors.hpp"
#include "forecast/ets_fit.hpp"
#include "forecast/nelder_mead.hpp"
#include "forecast/series_state.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>

namespace {

using namespace dmine;
using namespace dmine::forecast;

std::vector<double> reference_series(const char *name) {
    std::ifstream in(std::string(DMINE_TEST_DATA) + "/ets_reference.json");
    return nlohmann::json::parse(in).at(name).at("y").get<std::vector<double>>();
}

TEST(EtsSearch, OptimiserRecursionEqualsFullOne) {
    std::vector<double> y = reference_series("austourists");
    const int n = static_cast<int>(y.size());
    for (Comp e : {Comp::Add, Comp::Mult})
        for (Comp t : {Comp::None, Comp::Add, Comp::Mult})
            for (Comp s : {Comp::None, Comp::Add, Comp::Mult})
                for (bool d : {false, true}) {
                    if (t == Comp::None && d) continue;
                    EtsSpec spec{e, t, s, d, s == Comp::None ? 1 : 4};
                    EtsParams par{0.3, t != Comp::None ? 0.05 : 0, s != Comp::None ? 0.2 : 0,
                                  d ? 0.9 : 1.0};
                    std::vector<double> x0 = ets_initial_state(y, spec);
                    if (s != Comp::None) { // the last seasonal state from the constraint
                        double sum = 0;
                        for (std::size_t j = 1 + (t != Comp::None); j < x0.size(); j++)
                            sum += x0[j];
                        x0.push_back((s == Comp::Mult ? 4 : 0) - sum);
                    }
                    const int p = ets_state_count(spec);
                    std::vector<double> e1(n), e2(n), states((p) * (n + 1));
                    double fast = ets_calc(spec, par, x0.data(), y.data(), n, e1.data(), nullptr);
                    double full =
                        ets_calc(spec, par, x0.data(), y.data(), n, e2.data(), states.data());
                    SCOPED_TRACE(ets_name(spec));
                    if (std::isnan(full)) {
                        EXPECT_TRUE(std::isnan(fast));
                        continue;
                    }
                    EXPECT_NEAR(fast, full, 1e-10 * std::fabs(full));
                    for (int i = 0; i < n; i++) EXPECT_EQ(e1[i], e2[i]) << i;
                }
}

TEST(EtsSearch, ResumedNelderMeadTakesThePathOfOneRun) {
    auto rosenbrock = [](const double *v) {
        double s = 0;
        for (int i = 0; i < 4; i++)
            s += 100 * std::pow(v[i + 1] - v[i] * v[i], 2) + std::pow(1 - v[i], 2);
        return s;
    };
    std::vector<double> x0{-1.2, 1, -0.5, 0.3, 2};
    NelderMeadResult one = nelder_mead(rosenbrock, x0);
    NelderMead nm(rosenbrock, x0);
    for (int budget : {7, 150, 151, 900, 2000}) nm.run(budget);
    NelderMeadResult resumed = nm.result();
    EXPECT_EQ(resumed.evaluations, one.evaluations);
    EXPECT_EQ(resumed.value, one.value);
    EXPECT_EQ(resumed.x, one.x);
    EXPECT_TRUE(nm.finished());
}

TEST(EtsSearch, ScreenedChoiceIsRsFullSearchChoice) {
    for (auto [name, m] : {std::pair<const char *, int>{"austourists", 4}, {"oildata", 1}}) {
        std::vector<double> y = reference_series(name);
        auto screened = auto_ets(y, m);
        AutoEtsOptions all{2000, 100, 2000};
        all.checkpoint_margin = all.screen_margin = all.hopeless_margin = HUGE_VAL;
        auto full = auto_ets(y, m, all);
        ASSERT_TRUE(screened && full) << name;
        EXPECT_EQ(ets_name(screened->spec), ets_name(full->spec)) << name;
        EXPECT_NEAR(screened->aicc, full->aicc, 1e-9 * std::fabs(full->aicc)) << name;
    }
}

TEST(ForecastState, DifferentSettingsDoNotMerge) {
    ForecastState a(TimeKind::Index, "{}", 3), b(TimeKind::Index, "{}", 4),
        c(TimeKind::Date, "{}", 3), d(TimeKind::Index, "{\"period\": 4}", 3);
    EXPECT_THROW(a.merge(b), Error);
    EXPECT_THROW(a.merge(c), Error);
    EXPECT_THROW(a.merge(d), Error);
    ForecastState e(TimeKind::Index, "{}", 3);
    e.add(1, 2.0);
    a.merge(e);
    EXPECT_EQ(a.rows(), 1u);
}

} // namespace
