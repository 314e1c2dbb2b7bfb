// Kernel driver for instruction counts of the automatic ETS choice (no SQL): auto_ets on monthly
// series of 60 points shaped like test/bench/forecast_speed_bench.py's (trend, a season of varying
// shape and strength, uniform noise from a fixed generator), one line per series (model, AICc,
// parameters) so two builds can be compared for identical choices. Not part of the build:
//   g++ -std=c++17 -O2 -DEIGEN_NO_DEBUG -Isrc/kernels -isystem /usr/include/eigen3 \
//       test/bench/forecast_kernel_count.cpp
//       src/kernels/forecast/{ets_core,ets_fit,nelder_mead,classical}.cpp \ -o /tmp/fc_count &&
//       valgrind --tool=callgrind /tmp/fc_count 20
// Arguments: number of series (20), first series number (1). Environment: SCREEN, REFINE, HM,
// SCM, CKE, CKM override AutoEtsOptions (screen_evaluations, refine, hopeless_margin,
// screen_margin, checkpoint_evaluations, checkpoint_margin).
#include "forecast/ets_fit.hpp"
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <vector>
using namespace dmine::forecast;
int main(int argc, char **argv) {
    int N = argc > 1 ? atoi(argv[1]) : 20;
    int first = argc > 2 ? atoi(argv[2]) : 1;
    std::uint64_t st = 12345;
    for (int s = first; s < first + N; s++) {
        std::vector<double> y;
        for (int t = 1; t <= 60; t++) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (st >> 11) * (1.0 / 9007199254740992.0);
            y.push_back(100 + (s % 7) * t * 0.5 +
                        (10 + s % 13) * std::sin(2 * M_PI * (t + s % 12) / 12.0) +
                        5 * (s % 3) * std::cos(4 * M_PI * t / 12.0) + 8 * (u - 0.5));
        }
        AutoEtsOptions o;
        if (getenv("CKM")) o.checkpoint_margin = atof(getenv("CKM"));
        if (getenv("SCM")) o.screen_margin = atof(getenv("SCM"));
        if (getenv("HM")) o.hopeless_margin = atof(getenv("HM"));
        if (getenv("CKE")) o.checkpoint_evaluations = atoi(getenv("CKE"));
        if (getenv("SCREEN")) o.screen_evaluations = atoi(getenv("SCREEN"));
        if (getenv("REFINE")) o.refine = atoi(getenv("REFINE"));
        auto f = auto_ets(y, 12, o);
        if (f)
            printf("%d %s %.10g %.6g %.6g %.6g %.6g\n", s, ets_name(f->spec).c_str(), f->aicc,
                   f->par.alpha, f->par.beta, f->par.gamma, f->par.phi);
        else
            printf("%d none\n", s);
    }
}
