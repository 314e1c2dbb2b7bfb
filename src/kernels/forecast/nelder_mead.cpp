// Nelder-Mead, after R's nmmin (src/appl/optim.c).
#include "forecast/nelder_mead.hpp"

#include "core/interrupt.hpp"

#include <cmath>

namespace dmine::forecast {

namespace {
constexpr double kBig = 1.0e35;
}

NelderMeadResult nelder_mead(const std::function<double(const double *)> &fn, std::vector<double> b,
                             const NelderMeadOptions &o) {
    const int n = static_cast<int>(b.size());
    auto eval = [&](const double *x) {
        double v = fn(x);
        return std::isfinite(v) ? v : kBig;
    };
    NelderMeadResult result{b, 0.0, 0, false};
    double f0 = fn(b.data());
    if (!std::isfinite(f0) || n == 0) {
        result.value = f0;
        result.evaluations = 1;
        return result;
    }
    const int n1 = n + 1;
    // P[i][j]: coordinate i (row n holds the value) of vertex j; column n + 1 is the centroid.
    std::vector<std::vector<double>> P(n1, std::vector<double>(n + 2));
    int funcount = 1;
    const double convtol = o.reltol * (std::fabs(f0) + o.reltol);
    P[n][0] = f0;
    for (int i = 0; i < n; i++) P[i][0] = b[i];
    int L = 1;
    double size = 0.0, step = 0.0;
    for (int i = 0; i < n; i++)
        if (0.1 * std::fabs(b[i]) > step) step = 0.1 * std::fabs(b[i]);
    if (step == 0.0) step = 0.1;
    for (int j = 2; j <= n1; j++) {
        for (int i = 0; i < n; i++) P[i][j - 1] = b[i];
        double trystep = step;
        while (P[j - 2][j - 1] == b[j - 2]) {
            P[j - 2][j - 1] = b[j - 2] + trystep;
            trystep *= 10;
        }
        size += trystep;
    }
    double oldsize = size;
    bool calcvert = true;
    const int C = n + 2;
    bool failed = false;
    do {
        check_interrupts();
        if (calcvert) {
            for (int j = 0; j < n1; j++) {
                if (j + 1 != L) {
                    for (int i = 0; i < n; i++) b[i] = P[i][j];
                    P[n][j] = eval(b.data());
                    funcount++;
                }
            }
            calcvert = false;
        }
        double VL = P[n][L - 1], VH = VL;
        int H = L;
        for (int j = 1; j <= n1; j++) {
            if (j != L) {
                double f = P[n][j - 1];
                if (f < VL) {
                    L = j;
                    VL = f;
                }
                if (f > VH) {
                    H = j;
                    VH = f;
                }
            }
        }
        if (VH <= VL + convtol || VL <= o.abstol) break;
        for (int i = 0; i < n; i++) {
            double temp = -P[i][H - 1];
            for (int j = 0; j < n1; j++) temp += P[i][j];
            P[i][C - 1] = temp / n;
        }
        for (int i = 0; i < n; i++) b[i] = (1.0 + o.alpha) * P[i][C - 1] - o.alpha * P[i][H - 1];
        double f = eval(b.data());
        funcount++;
        const double VR = f;
        if (VR < VL) {
            P[n][C - 1] = f;
            for (int i = 0; i < n; i++) {
                double g = o.gamma * b[i] + (1 - o.gamma) * P[i][C - 1];
                P[i][C - 1] = b[i];
                b[i] = g;
            }
            f = eval(b.data());
            funcount++;
            if (f < VR) {
                for (int i = 0; i < n; i++) P[i][H - 1] = b[i];
                P[n][H - 1] = f;
            } else {
                for (int i = 0; i < n; i++) P[i][H - 1] = P[i][C - 1];
                P[n][H - 1] = VR;
            }
        } else {
            if (VR < VH) {
                for (int i = 0; i < n; i++) P[i][H - 1] = b[i];
                P[n][H - 1] = VR;
            }
            for (int i = 0; i < n; i++) b[i] = (1 - o.beta) * P[i][H - 1] + o.beta * P[i][C - 1];
            f = eval(b.data());
            funcount++;
            if (f < P[n][H - 1]) {
                for (int i = 0; i < n; i++) P[i][H - 1] = b[i];
                P[n][H - 1] = f;
            } else if (VR >= VH) {
                calcvert = true;
                size = 0.0;
                for (int j = 0; j < n1; j++) {
                    if (j + 1 != L) {
                        for (int i = 0; i < n; i++) {
                            P[i][j] = o.beta * (P[i][j] - P[i][L - 1]) + P[i][L - 1];
                            size += std::fabs(P[i][j] - P[i][L - 1]);
                        }
                    }
                }
                if (size < oldsize) {
                    oldsize = size;
                } else {
                    failed = true;
                    break;
                }
            }
        }
    } while (funcount <= o.maxit);
    result.value = P[n][L - 1];
    for (int i = 0; i < n; i++) result.x[i] = P[i][L - 1];
    result.evaluations = funcount;
    result.converged = !failed && funcount <= o.maxit;
    return result;
}

} // namespace dmine::forecast
