// ETS recursions, following R's forecast::ets (etscalc.c) step for step.
#include "forecast/ets_core.hpp"

#include <algorithm>
#include <cmath>

namespace dmine::forecast {

namespace {

constexpr double kTol = 1e-10;
constexpr double kHuge = 1e10;

char comp_letter(Comp c) {
    return c == Comp::None ? 'N' : c == Comp::Add ? 'A' : 'M';
}

bool comp_from(char c, Comp &out) {
    switch (c) {
    case 'N':
        out = Comp::None;
        return true;
    case 'A':
        out = Comp::Add;
        return true;
    case 'M':
        out = Comp::Mult;
        return true;
    default:
        return false;
    }
}

int season_offset(const EtsSpec &spec) {
    return 1 + (spec.trend != Comp::None);
}

} // namespace

std::string ets_name(const EtsSpec &spec) {
    std::string name = "ETS(";
    name += comp_letter(spec.error);
    name += ',';
    name += comp_letter(spec.trend);
    if (spec.damped) name += 'd';
    name += ',';
    name += comp_letter(spec.season);
    name += ')';
    return name;
}

bool parse_ets_name(const std::string &name, EtsSpec &spec) {
    // ETS(E,T[d],S) with no spaces; case of the letters matters as in R.
    std::size_t n = name.size();
    if (n != 10 && n != 11) return false;
    if (name.compare(0, 4, "ETS(") != 0 || name[n - 1] != ')') return false;
    EtsSpec s;
    if (!comp_from(name[4], s.error) || s.error == Comp::None || name[5] != ',') return false;
    if (!comp_from(name[6], s.trend)) return false;
    std::size_t i = 7;
    if (n == 11) {
        if (name[7] != 'd' || s.trend == Comp::None) return false;
        s.damped = true;
        i = 8;
    }
    if (name[i] != ',' || !comp_from(name[i + 1], s.season)) return false;
    s.m = spec.m;
    spec = s;
    return true;
}

int ets_state_count(const EtsSpec &spec) {
    return 1 + (spec.trend != Comp::None) + (spec.season != Comp::None ? spec.m : 0);
}

int ets_param_count(const EtsSpec &spec) {
    return 1 + (spec.trend != Comp::None) + (spec.season != Comp::None) + spec.damped;
}

double ets_one_step(const EtsSpec &spec, const EtsParams &par, const double *x) {
    double l = x[0];
    double f;
    if (spec.trend == Comp::None)
        f = l;
    else if (spec.trend == Comp::Add)
        f = l + par.phi * x[1];
    else if (x[1] < 0)
        return NAN;
    else
        f = l * std::pow(x[1], par.phi);
    if (spec.season == Comp::Add)
        f += x[season_offset(spec) + spec.m - 1];
    else if (spec.season == Comp::Mult)
        f *= x[season_offset(spec) + spec.m - 1];
    return f;
}

void ets_update(const EtsSpec &spec, const EtsParams &par, double *x, double y) {
    const double oldl = x[0];
    const double oldb = spec.trend != Comp::None ? x[1] : 0.0;
    double *s = x + season_offset(spec);
    const int m = spec.m;
    double q, phib = 0;
    if (spec.trend == Comp::None) {
        q = oldl;
    } else if (spec.trend == Comp::Add) {
        phib = par.phi * oldb;
        q = oldl + phib;
    } else if (std::fabs(par.phi - 1.0) < kTol) {
        phib = oldb;
        q = oldl * oldb;
    } else {
        phib = std::pow(oldb, par.phi);
        q = oldl * phib;
    }
    double p;
    const double olds_last = spec.season != Comp::None ? s[m - 1] : 0.0;
    if (spec.season == Comp::None)
        p = y;
    else if (spec.season == Comp::Add)
        p = y - olds_last;
    else
        p = std::fabs(olds_last) < kTol ? kHuge : y / olds_last;
    const double l = q + par.alpha * (p - q);
    x[0] = l;
    if (spec.trend != Comp::None) {
        double r;
        if (spec.trend == Comp::Add)
            r = l - oldl;
        else
            r = std::fabs(oldl) < kTol ? kHuge : l / oldl;
        x[1] = phib + (par.beta / par.alpha) * (r - phib);
    }
    if (spec.season != Comp::None) {
        double t;
        if (spec.season == Comp::Add)
            t = y - q;
        else
            t = std::fabs(q) < kTol ? kHuge : y / q;
        for (int j = m - 1; j > 0; j--) s[j] = s[j - 1];
        s[0] = olds_last + par.gamma * (t - olds_last);
    }
}

namespace {

// log(prod |f|) without a log per step: the product is renormalised (exponent kept apart).
struct LogProduct {
    double mantissa = 1.0;
    long exponent = 0;
    void add(double f) {
        mantissa *= std::fabs(f);
        if (mantissa > 1e200 || mantissa < 1e-200) {
            int e;
            mantissa = std::frexp(mantissa, &e);
            exponent += e;
        }
    }
    double log() const { return std::log(mantissa) + exponent * 0.69314718055994530942; }
};

// The recursion of ets_calc without the state history, for the optimiser: components fixed at
// compile time and the seasonal states in a ring (R shifts them every step; same arithmetic).
// Res: the residuals are wanted (a branch less per step in the optimiser's calls).
template <Comp E, Comp T, Comp S, bool Res>
double calc_ring(const EtsParams &par, const double *x0, int m, const double *y, int n, double *e) {
    double l = x0[0], b = T != Comp::None ? x0[1] : 0.0;
    double ring[kMaxEtsSeason];
    int last = 0; // ring slot of the seasonal state used next (R's s[m - 1])
    if (S != Comp::None) {
        std::copy(x0 + 1 + (T != Comp::None), x0 + 1 + (T != Comp::None) + m, ring);
        last = m - 1;
    }
    const double alpha = par.alpha, phi = par.phi, gamma = par.gamma;
    const double beta_alpha = T != Comp::None ? par.beta / par.alpha : 0.0;
    const bool phi_one = std::fabs(phi - 1.0) < kTol;
    double sse = 0.0;
    LogProduct logf;
    for (int i = 0; i < n; i++) {
        // One-step forecast (ets_one_step).
        double q, phib = 0;
        if (T == Comp::None) {
            q = l;
        } else if (T == Comp::Add) {
            phib = phi * b;
            q = l + phib;
        } else {
            if (b < 0) return NAN;
            phib = phi_one ? b : std::pow(b, phi);
            q = l * phib;
        }
        const double olds = S != Comp::None ? ring[last] : 0.0;
        double f = q;
        if (S == Comp::Add) f = q + olds;
        if (S == Comp::Mult) f = q * olds;
        const double err = E == Comp::Add ? y[i] - f : (y[i] - f) / f;
        if (Res) e[i] = err;
        sse += err * err;
        if (E == Comp::Mult) logf.add(f);
        // State update (ets_update).
        double p;
        if (S == Comp::None)
            p = y[i];
        else if (S == Comp::Add)
            p = y[i] - olds;
        else
            p = std::fabs(olds) < kTol ? kHuge : y[i] / olds;
        const double oldl = l;
        l = q + alpha * (p - q);
        if (T != Comp::None) {
            double r;
            if (T == Comp::Add)
                r = l - oldl;
            else
                r = std::fabs(oldl) < kTol ? kHuge : l / oldl;
            b = phib + beta_alpha * (r - phib);
        }
        if (S != Comp::None) {
            double t;
            if (S == Comp::Add)
                t = y[i] - q;
            else
                t = std::fabs(q) < kTol ? kHuge : y[i] / q;
            ring[last] = olds + gamma * (t - olds);
            last = last == 0 ? m - 1 : last - 1;
        }
    }
    double lik = n * std::log(sse);
    if (E == Comp::Mult) lik += 2 * logf.log();
    return lik;
}

template <Comp E, Comp T, bool Res>
double calc_season(const EtsSpec &spec, const EtsParams &par, const double *x0, const double *y,
                   int n, double *e) {
    switch (spec.season) {
    case Comp::None:
        return calc_ring<E, T, Comp::None, Res>(par, x0, spec.m, y, n, e);
    case Comp::Add:
        return calc_ring<E, T, Comp::Add, Res>(par, x0, spec.m, y, n, e);
    default:
        return calc_ring<E, T, Comp::Mult, Res>(par, x0, spec.m, y, n, e);
    }
}

template <Comp E, bool Res>
double calc_trend(const EtsSpec &spec, const EtsParams &par, const double *x0, const double *y,
                  int n, double *e) {
    switch (spec.trend) {
    case Comp::None:
        return calc_season<E, Comp::None, Res>(spec, par, x0, y, n, e);
    case Comp::Add:
        return calc_season<E, Comp::Add, Res>(spec, par, x0, y, n, e);
    default:
        return calc_season<E, Comp::Mult, Res>(spec, par, x0, y, n, e);
    }
}

} // namespace

double ets_calc(const EtsSpec &spec, const EtsParams &par, const double *x0, const double *y, int n,
                double *e, double *states) {
    if (!states && !e)
        return spec.error == Comp::Add ? calc_trend<Comp::Add, false>(spec, par, x0, y, n, e)
                                       : calc_trend<Comp::Mult, false>(spec, par, x0, y, n, e);
    if (!states)
        return spec.error == Comp::Add ? calc_trend<Comp::Add, true>(spec, par, x0, y, n, e)
                                       : calc_trend<Comp::Mult, true>(spec, par, x0, y, n, e);
    const int p = ets_state_count(spec);
    double x[1 + 1 + kMaxEtsSeason];
    std::copy(x0, x0 + p, x);
    if (states) std::copy(x, x + p, states);
    double sse = 0.0, logf = 0.0;
    for (int i = 0; i < n; i++) {
        double f = ets_one_step(spec, par, x);
        if (std::isnan(f)) return NAN;
        double err = spec.error == Comp::Add ? y[i] - f : (y[i] - f) / f;
        if (e) e[i] = err;
        ets_update(spec, par, x, y[i]);
        if (states) std::copy(x, x + p, states + static_cast<std::size_t>(p) * (i + 1));
        sse += err * err;
        logf += std::log(std::fabs(f));
    }
    double lik = n * std::log(sse);
    if (spec.error == Comp::Mult) lik += 2 * logf;
    return lik;
}

void ets_point_forecast(const EtsSpec &spec, const EtsParams &par, const double *x, int h,
                        double *f) {
    const int m = spec.m;
    const double *s = x + season_offset(spec);
    double phistar = par.phi;
    for (int i = 0; i < h; i++) {
        double v;
        if (spec.trend == Comp::None)
            v = x[0];
        else if (spec.trend == Comp::Add)
            v = x[0] + phistar * x[1];
        else if (x[1] < 0)
            v = NAN;
        else
            v = x[0] * std::pow(x[1], phistar);
        if (spec.season != Comp::None) {
            int j = m - 1 - (i % m);
            v = spec.season == Comp::Add ? v + s[j] : v * s[j];
        }
        f[i] = v;
        if (std::fabs(par.phi - 1.0) < kTol)
            phistar += 1.0;
        else
            phistar += std::pow(par.phi, static_cast<double>(i + 2));
    }
}

bool ets_usual_ok(const EtsSpec &spec, const EtsParams &par, const EtsBounds &b) {
    if (par.alpha < b.lower[0] || par.alpha > b.upper[0]) return false;
    if (spec.trend != Comp::None &&
        (par.beta < b.lower[1] || par.beta > par.alpha || par.beta > b.upper[1]))
        return false;
    if (spec.damped && (par.phi < b.lower[3] || par.phi > b.upper[3])) return false;
    if (spec.season != Comp::None &&
        (par.gamma < b.lower[2] || par.gamma > 1 - par.alpha || par.gamma > b.upper[2]))
        return false;
    return true;
}

bool ets_admissible(const EtsSpec &spec, const EtsParams &par) {
    const double phi = spec.damped ? par.phi : 1.0;
    const double alpha = par.alpha;
    if (phi < 0 || phi > 1 + 1e-8) return false;
    if (spec.season == Comp::None) {
        if (alpha < 1 - 1 / phi || alpha > 1 + 1 / phi) return false;
        if (spec.trend != Comp::None &&
            (par.beta < alpha * (phi - 1) || par.beta > (1 + phi) * (2 - alpha)))
            return false;
        return true;
    }
    const int m = spec.m;
    if (m <= 1) return true;
    const double beta = spec.trend != Comp::None ? par.beta : 0.0;
    const double gamma = par.gamma;
    if (gamma < std::max(1 - 1 / phi - alpha, 0.0) || gamma > 1 + 1 / phi - alpha) return false;
    if (alpha < 1 - 1 / phi - gamma * (1 - m + phi + phi * m) / (2 * phi * m)) return false;
    if (beta < -(1 - phi) * (gamma / m + alpha)) return false;
    // Roots of phi(1-a-g) + (a+b-a phi+g-1) z + (a+b-a phi)(z^2..z^(m-1)) + (a+b-phi) z^m + z^(m+1)
    const int d = m + 1;
    double c[kMaxEtsSeason + 2]; // coefficients c_0 .. c_d, the leading 1 last
    c[0] = phi * (1 - alpha - gamma);
    c[1] = alpha + beta - alpha * phi + gamma - 1;
    for (int k = 2; k < m; k++) c[k] = alpha + beta - alpha * phi;
    c[m] = alpha + beta - phi;
    c[d] = 1.0;
    int top = d;
    if (std::fabs(phi - 1.0) < 1e-10) {
        // Without damping z = 1 is a root: divide it out (synthetic division) and test the rest.
        double q[kMaxEtsSeason + 2];
        double carry = 0;
        for (int k = top; k >= 1; k--) {
            carry = c[k] + carry;
            q[k - 1] = carry;
        }
        std::copy(q, q + top, c);
        top--;
    }
    // Roots up to 1 + 1e-10 in modulus pass (R's tolerance): test p(rho w) on the unit circle.
    double rho = 1.0;
    for (int k = 0; k <= top; k++, rho *= 1 + 1e-10) c[k] *= rho;
    // Schur-Cohn: every root is inside the unit circle iff |c_0| < |c_d| and the same holds for
    // (c_d p(z) - c_0 p*(z)) / z, one degree less (no eigenvalue solver in the optimiser's loop).
    // Divided by c_d, that is c_k+1 - r c_d-1-k with r = c_0 / c_d: one multiply-add per
    // coefficient, written to the other buffer (no copy). The leading coefficient shrinks by
    // 1 - r^2 >= 2^-53 per degree: no overflow, and an underflow (only when every r is within
    // rounding of 1, at most 25 degrees) rejects, as the point is on the boundary anyway.
    double other[kMaxEtsSeason + 2];
    double *cur = c, *next = other;
    for (int deg = top; deg > 0; deg--) {
        const double a0 = cur[0], ad = cur[deg];
        if (!(std::fabs(a0) < std::fabs(ad))) return false; // NaN fails too
        const double r = a0 / ad;
        for (int k = 0; k < deg; k++) next[k] = cur[k + 1] - r * cur[deg - 1 - k];
        if (!(std::fabs(next[deg - 1]) > 1e-300)) return false;
        std::swap(cur, next);
    }
    return true;
}

} // namespace dmine::forecast
