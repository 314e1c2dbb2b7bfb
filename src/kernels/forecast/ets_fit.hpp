// Fitting ETS models as R's forecast::ets does: initial states from a decomposition (initstate),
// starting parameters (initparam), Nelder-Mead on the likelihood criterion under both the usual
// bounds and admissibility, then AIC, AICc, BIC and sigma^2; and the choice among models by AICc.
#pragma once

#include "forecast/ets_core.hpp"

#include <optional>
#include <vector>

namespace dmine::forecast {

struct EtsFit {
    EtsSpec spec;
    EtsParams par;
    std::vector<double> initial_state; // all states, the last seasonal one included
    std::vector<double> last_state;    // after the last observation
    std::vector<double> residuals;     // relative for multiplicative error
    std::vector<double> fitted;        // one-step fitted values
    double loglik = 0, aic = 0, aicc = 0, bic = 0, sigma2 = 0;
    int n_params = 0; // estimated: smoothing parameters and free initial states
};

// The model with given parameters and initial states over y: R's pegelsresid.C plus its
// information criteria, counting `n_params` estimated parameters. Empty when undefined.
std::optional<EtsFit> evaluate_ets(const std::vector<double> &y, const EtsSpec &spec,
                                   const EtsParams &par, const std::vector<double> &x0,
                                   int n_params);

// R's initstate: level, growth, m - 1 seasonal states (the last follows from the constraint).
std::vector<double> ets_initial_state(const std::vector<double> &y, const EtsSpec &spec);

// The smallest number of points a model fits on (R: n > npars + 4).
int ets_min_points(const EtsSpec &spec);

// Fit one model (R's etsmodel); empty when the data are too short, not positive for a
// multiplicative model, or the fit fails.
std::optional<EtsFit> fit_ets(const std::vector<double> &y, const EtsSpec &spec);

// The best model by AICc among R's default candidates (error A/M, trend N/A/Ad, season N/A/M
// when m > 1, no multiplicative error on non-positive data, no additive error with
// multiplicative season). Empty when no candidate fits.
// R's ets runs Nelder-Mead to 2000 evaluations on every candidate. Here every candidate first gets
// screen_evaluations; then the `refine` best by screened AICc among those not converged go on to
// refine_evaluations on the same path (R's fit when 2000: their AICc only goes down), the ones
// after the first with a checkpoint on the way (below). The best AICc of all wins.
// screen_evaluations = 2000 with infinite margins is R's choice exactly.
struct AutoEtsOptions {
    int screen_evaluations = 150;
    int refine = 2;
    int refine_evaluations = 2000;
    // A candidate after the first is first carried to checkpoint_evaluations only, and stops
    // there when its AICc is still above the best one by more than checkpoint_margin: what the
    // rest of R's budget lowers is a few units at most on 60-point monthly series (measured:
    // under 5), so the choice stays R's and most of the second refinement is saved.
    // Nor does a candidate whose screened AICc is above the best by more than screen_margin get
    // further (measured: screening to R's budget lowers it by under 18).
    int checkpoint_evaluations = 400;
    double checkpoint_margin = 5.0;
    double screen_margin = 20.0;
    // A candidate whose AICc at half the screening budget is above the best one by more than
    // hopeless_margin is screened no further (and so never refined).
    double hopeless_margin = 60.0;
};
std::optional<EtsFit> auto_ets(const std::vector<double> &y, int m,
                               const AutoEtsOptions &options = {});

} // namespace dmine::forecast
