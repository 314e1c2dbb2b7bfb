// Nelder-Mead simplex minimiser as R's optim(method = "Nelder-Mead") runs it (nmmin in R's
// optim.c): same initial simplex, coefficients, convergence test and shrink rule, so a fit
// follows the path R's forecast::ets takes. Non-finite objective values count as 1e35.
//
// The search can stop after a budget of evaluations and resume later: run(a) then run(b) takes
// exactly the path of one run(b), so candidates can be screened cheaply and only the promising
// ones carried on to R's full budget.
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

class NelderMead {
public:
    using Objective = std::function<double(const double *)>;
    NelderMead(Objective f, std::vector<double> x0, const NelderMeadOptions &options = {});
    // Go on until `maxit` evaluations in all (at most options.maxit), convergence or a failed
    // shrink. Calls check_interrupts() as it goes.
    void run(int maxit);
    // The best point so far.
    NelderMeadResult result() const;
    // Converged or failed: running further changes nothing.
    bool finished() const { return done_; }

private:
    double eval(const double *x);

    Objective fn_;
    NelderMeadOptions o_;
    int n_;
    std::vector<double> b_;
    std::vector<double>
        P_; // (n + 1) x (n + 2): row i coordinate i (row n the value), column j vertex j
    double f0_ = 0, convtol_ = 0, oldsize_ = 0;
    int funcount_ = 0, L_ = 1;
    bool calcvert_ = true, done_ = false, failed_ = false, trivial_ = false;

    double &at(int i, int j) { return P_[static_cast<std::size_t>(i) * (n_ + 2) + j]; }
    double at(int i, int j) const { return P_[static_cast<std::size_t>(i) * (n_ + 2) + j]; }
};

// Minimise f from x0 (options.maxit evaluations at most).
NelderMeadResult nelder_mead(const std::function<double(const double *)> &f, std::vector<double> x0,
                             const NelderMeadOptions &options = {});

} // namespace dmine::forecast
