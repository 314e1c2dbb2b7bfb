// Nelder-Mead simplex minimiser as R's optim(method = "Nelder-Mead") runs it (nmmin in R's
// optim.c): same initial simplex, coefficients, convergence test and shrink rule, so a fit
// follows the path R's forecast::ets takes. Non-finite objective values count as 1e35.
#pragma once

#include <functional>
#include <vector>

namespace dmine::forecast {

struct NelderMeadOptions {
    double abstol = -1e300;         // R: -Inf
    double reltol = 1.490116119e-8; // R: sqrt(.Machine$double.eps)
    double alpha = 1.0, beta = 0.5, gamma = 2.0;
    int maxit = 2000; // objective evaluations
};

struct NelderMeadResult {
    std::vector<double> x;
    double value;
    int evaluations;
    bool converged;
};

// Minimise f from x0. Calls check_interrupts() as it goes.
NelderMeadResult nelder_mead(const std::function<double(const double *)> &f, std::vector<double> x0,
                             const NelderMeadOptions &options = {});

} // namespace dmine::forecast
