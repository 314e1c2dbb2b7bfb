// The ETS state-space recursions of Hyndman et al. (2008), as R's forecast::ets computes them:
// one-step forecasts, state updates, the likelihood criterion, multi-step point forecasts and
// the parameter checks (usual bounds and admissibility).
//
// State layout (R's): level, growth (when there is a trend), then m seasonal states, the most
// recent first; the one used for the next observation is the last.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dmine::forecast {

enum class Comp : std::uint8_t { None = 0, Add = 1, Mult = 2 };

struct EtsSpec {
    Comp error = Comp::Add;
    Comp trend = Comp::None;
    Comp season = Comp::None;
    bool damped = false;
    int m = 1; // season length (1 when season is None)
};

// alpha, beta, gamma and phi; absent components hold 0 (phi: 1 when not damped).
struct EtsParams {
    double alpha = 0, beta = 0, gamma = 0, phi = 1;
};

// Largest season length the recursions take (R's limit).
constexpr int kMaxEtsSeason = 24;

// "ETS(M,Ad,M)" and back; false when `name` is no ETS model name.
std::string ets_name(const EtsSpec &spec);
bool parse_ets_name(const std::string &name, EtsSpec &spec);

// Number of states: 1 + (trend) + m (season).
int ets_state_count(const EtsSpec &spec);
// Number of smoothing parameters (alpha, beta, gamma, phi present).
int ets_param_count(const EtsSpec &spec);

// The recursion over y[0..n) from initial state x0. Writes the residuals to e (n values; relative
// errors for multiplicative error) and, when not null, the n + 1 state vectors to states.
// Returns R's criterion n log(sum e^2) (+ 2 sum log|f| for multiplicative error); NaN when a
// forecast is undefined (a negative multiplicative growth).
double ets_calc(const EtsSpec &spec, const EtsParams &par, const double *x0, const double *y, int n,
                double *e, double *states);

// h point forecasts from state x.
void ets_point_forecast(const EtsSpec &spec, const EtsParams &par, const double *x, int h,
                        double *f);

// One step: the forecast from `state`, then the state after observing y (in place).
double ets_one_step(const EtsSpec &spec, const EtsParams &par, const double *state);
void ets_update(const EtsSpec &spec, const EtsParams &par, double *state, double y);

// R's bounds: usual ones (lower/upper per parameter, beta <= alpha, gamma <= 1 - alpha) and
// admissibility (stable characteristic equation).
struct EtsBounds {
    double lower[4] = {1e-4, 1e-4, 1e-4, 0.8};
    double upper[4] = {0.9999, 0.9999, 0.9999, 0.98};
};
bool ets_usual_ok(const EtsSpec &spec, const EtsParams &par, const EtsBounds &bounds);
bool ets_admissible(const EtsSpec &spec, const EtsParams &par);

} // namespace dmine::forecast
