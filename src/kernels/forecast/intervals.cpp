// Prediction intervals of the models.
#include "forecast/intervals.hpp"

#include "core/interrupt.hpp"
#include "core/rng.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

namespace dmine::forecast {

double normal_quantile(double p) {
    // AS 241 (PPND16), Wichura 1988: about 1e-16 relative accuracy.
    double q = p - 0.5;
    if (std::fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q *
               (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r +
                     67265.770927008700853) *
                        r +
                    45921.953931549871457) *
                       r +
                   13731.693765509461125) *
                      r +
                  1971.5909503065514427) *
                     r +
                 133.14166789178437745) *
                    r +
                3.387132872796366608) /
               (((((((r * 5226.495278852545925 + 28729.085735721942674) * r +
                     39307.89580009271061) *
                        r +
                    21213.794301586595867) *
                       r +
                   5394.1960214247511077) *
                      r +
                  687.1870074920579083) *
                     r +
                 42.313330701600911252) *
                    r +
                1.0);
    }
    double r = q < 0 ? p : 1 - p;
    r = std::sqrt(-std::log(r));
    double val;
    if (r <= 5.0) {
        r -= 1.6;
        val = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r +
                    0.24178072517745061177) *
                       r +
                   1.27045825245236838258) *
                      r +
                  3.64784832476320460504) *
                     r +
                 5.7694972214606914055) *
                    r +
                4.6303378461565452959) *
                   r +
               1.42343711074968357734) /
              (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r +
                    0.0151986665636164571966) *
                       r +
                   0.14810397642748007459) *
                      r +
                  0.68976733498510000455) *
                     r +
                 1.6763848301838038494) *
                    r +
                2.05319162663775882187) *
                   r +
               1.0);
    } else {
        r -= 5.0;
        val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r +
                    0.0012426609473880784386) *
                       r +
                   0.026532189526576123093) *
                      r +
                  0.29656057182850489123) *
                     r +
                 1.7848265399172913358) *
                    r +
                5.4637849111641143699) *
                   r +
               6.6579046435011037772) /
              (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                    1.8463183175100546818e-5) *
                       r +
                   7.868691311456132591e-4) *
                      r +
                  0.0148753612908506148525) *
                     r +
                 0.13692988092273580531) *
                    r +
                0.59983220655588793769) *
                   r +
               1.0);
    }
    return q < 0 ? -val : val;
}

Bands normal_bands(const std::vector<double> &point, const std::vector<double> &sd,
                   const std::vector<double> &levels) {
    Bands b;
    b.levels = levels;
    const std::size_t h = point.size();
    for (double level : levels) {
        double z = -normal_quantile(0.5 - level / 200.0);
        std::vector<double> lo(h), hi(h);
        for (std::size_t i = 0; i < h; i++) {
            lo[i] = point[i] - z * sd[i];
            hi[i] = point[i] + z * sd[i];
        }
        b.lo.push_back(std::move(lo));
        b.hi.push_back(std::move(hi));
    }
    return b;
}

bool ets_linear(const EtsSpec &spec) {
    return spec.error == Comp::Add && spec.trend != Comp::Mult && spec.season != Comp::Mult;
}

namespace {

// Class 1: var(h) = sigma^2 (1 + sum_{j<h} c_j^2), c_j = w' F^(j-1) g.
std::vector<double> linear_sd(const EtsFit &fit, int h) {
    const EtsSpec &s = fit.spec;
    const int p = ets_state_count(s);
    const int m = s.m;
    const bool trend = s.trend != Comp::None, season = s.season != Comp::None;
    const double phi = s.damped ? fit.par.phi : 1.0;
    Eigen::VectorXd w = Eigen::VectorXd::Zero(p), g = Eigen::VectorXd::Zero(p);
    Eigen::MatrixXd F = Eigen::MatrixXd::Zero(p, p);
    w(0) = 1;
    F(0, 0) = 1;
    g(0) = fit.par.alpha;
    if (trend) {
        w(1) = phi;
        F(0, 1) = F(1, 1) = phi;
        g(1) = fit.par.beta;
    }
    if (season) {
        const int o = 1 + trend;
        w(p - 1) = 1;
        F(o, p - 1) = 1;
        for (int j = 1; j < m; j++) F(o + j, o + j - 1) = 1;
        g(o) = fit.par.gamma;
    }
    std::vector<double> sd(h);
    double acc = 1.0;
    Eigen::VectorXd Fg = g; // F^(j-1) g
    for (int i = 0; i < h; i++) {
        sd[i] = std::sqrt(fit.sigma2 * acc);
        double c = w.dot(Fg);
        acc += c * c;
        Fg = F * Fg;
    }
    return sd;
}

// Type 7 quantile of sorted values.
double sorted_quantile(const std::vector<double> &v, double q) {
    double pos = q * (v.size() - 1);
    std::size_t k = static_cast<std::size_t>(std::floor(pos));
    if (k + 1 >= v.size()) return v.back();
    return v[k] + (pos - k) * (v[k + 1] - v[k]);
}

double standard_normal(Rng &rng) {
    // Box-Muller on 53-bit uniforms: the same stream on every platform.
    double u1 = rng.uniform(), u2 = rng.uniform();
    if (u1 <= 0) u1 = 0x1.0p-53;
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

} // namespace

Bands ets_bands(const EtsFit &fit, const std::vector<double> &point,
                const std::vector<double> &levels, int paths, std::uint64_t seed) {
    const int h = static_cast<int>(point.size());
    if (ets_linear(fit.spec)) return normal_bands(point, linear_sd(fit, h), levels);
    const int p = ets_state_count(fit.spec);
    const double sigma = std::sqrt(fit.sigma2);
    std::vector<std::vector<double>> sims(h, std::vector<double>(paths));
    Rng rng(seed);
    std::vector<double> x(p);
    for (int k = 0; k < paths; k++) {
        if (k % 256 == 0) check_interrupts();
        std::copy(fit.last_state.begin(), fit.last_state.end(), x.begin());
        for (int i = 0; i < h; i++) {
            double f = ets_one_step(fit.spec, fit.par, x.data());
            double e = sigma * standard_normal(rng);
            double y = fit.spec.error == Comp::Add ? f + e : f * (1 + e);
            if (!std::isfinite(y)) y = f;
            sims[i][k] = y;
            ets_update(fit.spec, fit.par, x.data(), y);
        }
    }
    Bands b;
    b.levels = levels;
    b.simulated = true;
    for (auto &col : sims) std::sort(col.begin(), col.end());
    for (double level : levels) {
        std::vector<double> lo(h), hi(h);
        for (int i = 0; i < h; i++) {
            lo[i] = sorted_quantile(sims[i], 0.5 - level / 200.0);
            hi[i] = sorted_quantile(sims[i], 0.5 + level / 200.0);
        }
        b.lo.push_back(std::move(lo));
        b.hi.push_back(std::move(hi));
    }
    return b;
}

} // namespace dmine::forecast
