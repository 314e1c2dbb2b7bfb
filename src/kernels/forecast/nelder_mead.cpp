// Nelder-Mead, after R's nmmin (src/appl/optim.c).
#include "forecast/nelder_mead.hpp"

#include "core/interrupt.hpp"

#include <cmath>

namespace dmine::forecast {

namespace {
constexpr double kBig = 1.0e35;
}

double NelderMead::eval(const double *x) {
    double v = fn_(x);
    return std::isfinite(v) ? v : kBig;
}

NelderMead::NelderMead(Objective f, std::vector<double> x0, const NelderMeadOptions &o)
    : fn_(std::move(f)), o_(o), n_(static_cast<int>(x0.size())), b_(std::move(x0)) {
    f0_ = fn_(b_.data());
    funcount_ = 1;
    if (!std::isfinite(f0_) || n_ == 0) {
        trivial_ = done_ = true;
        return;
    }
    const int n = n_, n1 = n + 1;
    P_.assign(static_cast<std::size_t>(n1) * (n + 2), 0.0);
    convtol_ = o_.reltol * (std::fabs(f0_) + o_.reltol);
    at(n, 0) = f0_;
    for (int i = 0; i < n; i++) at(i, 0) = b_[i];
    double size = 0.0, step = 0.0;
    for (int i = 0; i < n; i++)
        if (0.1 * std::fabs(b_[i]) > step) step = 0.1 * std::fabs(b_[i]);
    if (step == 0.0) step = 0.1;
    for (int j = 2; j <= n1; j++) {
        for (int i = 0; i < n; i++) at(i, j - 1) = b_[i];
        double trystep = step;
        while (at(j - 2, j - 1) == b_[j - 2]) {
            at(j - 2, j - 1) = b_[j - 2] + trystep;
            trystep *= 10;
        }
        size += trystep;
    }
    oldsize_ = size;
}

void NelderMead::run(int maxit) {
    if (maxit > o_.maxit) maxit = o_.maxit;
    const int n = n_, n1 = n + 1, C = n + 2;
    std::vector<double> &b = b_;
    while (!done_ && funcount_ <= maxit) {
        check_interrupts();
        if (calcvert_) {
            for (int j = 0; j < n1; j++) {
                if (j + 1 != L_) {
                    for (int i = 0; i < n; i++) b[i] = at(i, j);
                    at(n, j) = eval(b.data());
                    funcount_++;
                }
            }
            calcvert_ = false;
        }
        double VL = at(n, L_ - 1), VH = VL;
        int H = L_;
        for (int j = 1; j <= n1; j++) {
            if (j != L_) {
                double f = at(n, j - 1);
                if (f < VL) {
                    L_ = j;
                    VL = f;
                }
                if (f > VH) {
                    H = j;
                    VH = f;
                }
            }
        }
        if (VH <= VL + convtol_ || VL <= o_.abstol) {
            done_ = true;
            break;
        }
        for (int i = 0; i < n; i++) {
            double temp = -at(i, H - 1);
            for (int j = 0; j < n1; j++) temp += at(i, j);
            at(i, C - 1) = temp / n;
        }
        for (int i = 0; i < n; i++)
            b[i] = (1.0 + o_.alpha) * at(i, C - 1) - o_.alpha * at(i, H - 1);
        double f = eval(b.data());
        funcount_++;
        const double VR = f;
        if (VR < VL) {
            at(n, C - 1) = f;
            for (int i = 0; i < n; i++) {
                double g = o_.gamma * b[i] + (1 - o_.gamma) * at(i, C - 1);
                at(i, C - 1) = b[i];
                b[i] = g;
            }
            f = eval(b.data());
            funcount_++;
            if (f < VR) {
                for (int i = 0; i < n; i++) at(i, H - 1) = b[i];
                at(n, H - 1) = f;
            } else {
                for (int i = 0; i < n; i++) at(i, H - 1) = at(i, C - 1);
                at(n, H - 1) = VR;
            }
        } else {
            if (VR < VH) {
                for (int i = 0; i < n; i++) at(i, H - 1) = b[i];
                at(n, H - 1) = VR;
            }
            for (int i = 0; i < n; i++)
                b[i] = (1 - o_.beta) * at(i, H - 1) + o_.beta * at(i, C - 1);
            f = eval(b.data());
            funcount_++;
            if (f < at(n, H - 1)) {
                for (int i = 0; i < n; i++) at(i, H - 1) = b[i];
                at(n, H - 1) = f;
            } else if (VR >= VH) {
                calcvert_ = true;
                double size = 0.0;
                for (int j = 0; j < n1; j++) {
                    if (j + 1 != L_) {
                        for (int i = 0; i < n; i++) {
                            at(i, j) = o_.beta * (at(i, j) - at(i, L_ - 1)) + at(i, L_ - 1);
                            size += std::fabs(at(i, j) - at(i, L_ - 1));
                        }
                    }
                }
                if (size < oldsize_) {
                    oldsize_ = size;
                } else {
                    failed_ = done_ = true;
                    break;
                }
            }
        }
    }
    if (funcount_ > o_.maxit) done_ = true;
}

NelderMeadResult NelderMead::result() const {
    NelderMeadResult r{b_, 0.0, funcount_, false};
    if (trivial_) {
        r.value = f0_;
        return r;
    }
    r.value = at(n_, L_ - 1);
    for (int i = 0; i < n_; i++) r.x[i] = at(i, L_ - 1);
    r.converged = !failed_ && funcount_ <= o_.maxit;
    return r;
}

NelderMeadResult nelder_mead(const std::function<double(const double *)> &fn, std::vector<double> b,
                             const NelderMeadOptions &o) {
    NelderMead nm(fn, std::move(b), o);
    nm.run(o.maxit);
    return nm.result();
}

} // namespace dmine::forecast
