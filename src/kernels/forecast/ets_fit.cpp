// ETS estimation, after R's forecast::etsmodel, initstate, initparam and ets.
#include "forecast/ets_fit.hpp"

#include "forecast/classical.hpp"
#include "forecast/nelder_mead.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace dmine::forecast {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Seasonal part for short series (n < 3m): y minus (or over) a line fitted with one Fourier pair.
std::vector<double> fourier_seasonal(const std::vector<double> &y, int m, bool mult) {
    const int n = static_cast<int>(y.size());
    const bool with_sin = m != 2; // sin(pi t) vanishes: R drops the column
    const int cols = 3 + with_sin;
    Eigen::MatrixXd X(n, cols);
    Eigen::VectorXd v(n);
    for (int i = 0; i < n; i++) {
        double t = i + 1;
        int c = 0;
        X(i, c++) = 1.0;
        X(i, c++) = t;
        if (with_sin) X(i, c++) = std::sin(2 * kPi * t / m);
        X(i, c++) = std::cos(2 * kPi * t / m);
        v(i) = y[i];
    }
    Eigen::VectorXd beta = X.colPivHouseholderQr().solve(v);
    std::vector<double> s(n);
    for (int i = 0; i < n; i++) {
        double line = beta(0) + beta(1) * (i + 1);
        s[i] = mult ? y[i] / line : y[i] - line;
    }
    return s;
}

// Build the parameters from the optimiser's vector: smoothing parameters, then states.
struct Layout {
    EtsSpec spec;
    int n_smooth;
    int n_states; // free initial states
};

EtsParams params_from(const Layout &lay, const double *p) {
    EtsParams par;
    int k = 0;
    par.alpha = p[k++];
    if (lay.spec.trend != Comp::None) par.beta = p[k++];
    if (lay.spec.season != Comp::None) par.gamma = p[k++];
    par.phi = lay.spec.damped ? p[k++] : 1.0;
    return par;
}

// The full initial state from the free ones: the last seasonal state makes the seasonal states
// sum to 0 (additive) or m (multiplicative).
void full_state(const Layout &lay, const double *free, double *x) {
    std::copy(free, free + lay.n_states, x);
    if (lay.spec.season == Comp::None) return;
    const int off = 1 + (lay.spec.trend != Comp::None);
    double sum = 0;
    for (int j = off; j < lay.n_states; j++) sum += free[j];
    x[lay.n_states] = (lay.spec.season == Comp::Mult ? lay.spec.m : 0) - sum;
}

} // namespace

int ets_min_points(const EtsSpec &spec) {
    int npars = 2;
    if (spec.trend != Comp::None) npars += 2;
    if (spec.season != Comp::None) npars += spec.m;
    npars += spec.damped;
    return npars + 5;
}

std::vector<double> ets_initial_state(const std::vector<double> &y, const EtsSpec &spec) {
    const int n = static_cast<int>(y.size());
    std::vector<double> init;
    std::vector<double> ysa = y;
    std::vector<double> seas;
    int m = 1;
    if (spec.season != Comp::None) {
        m = spec.m;
        const bool mult = spec.season == Comp::Mult;
        std::vector<double> s =
            n < 3 * m ? fourier_seasonal(y, m, mult) : decompose_seasonal(y, m, mult);
        for (int j = m - 1; j >= 1; j--) seas.push_back(s[j]); // rev(seasonal[2:m])
        if (!mult) {
            for (int i = 0; i < n; i++) ysa[i] = y[i] - s[i];
        } else {
            double total = 0;
            for (double &v : seas) {
                v = std::max(v, 1e-2);
                total += v;
            }
            if (total > m) {
                double denom = total + 1e-2 * seas.size();
                for (double &v : seas) v /= denom;
            }
            for (int i = 0; i < n; i++) ysa[i] = y[i] / std::max(s[i], 1e-2);
        }
    }
    const int maxn = std::min(std::max(10, 2 * m), n);
    if (spec.trend == Comp::None) {
        double mean = 0;
        for (int i = 0; i < maxn; i++) mean += ysa[i];
        init.push_back(mean / maxn);
    } else {
        double a, b;
        least_squares_line(ysa.data(), maxn, 1.0, a, b);
        if (spec.trend == Comp::Add) {
            double l0 = a, b0 = b;
            if (std::fabs(l0 + b0) < 1e-8) {
                l0 *= 1 + 1e-3;
                b0 *= 1 + 1e-3;
            }
            init.push_back(l0);
            init.push_back(b0);
        } else {
            double l0 = a + b;
            if (std::fabs(l0) < 1e-8) l0 = 1e-7;
            double b0 = (a + 2 * b) / l0;
            l0 = l0 / b0;
            if (std::fabs(b0) > 1e10) b0 = std::copysign(1e10, b0);
            if (l0 < 1e-8 || b0 < 1e-8) {
                l0 = std::max(ysa[0], 1e-3);
                b0 = std::max(ysa[1] / ysa[0], 1e-3);
            }
            init.push_back(l0);
            init.push_back(b0);
        }
    }
    init.insert(init.end(), seas.begin(), seas.end());
    return init;
}

std::optional<EtsFit> evaluate_ets(const std::vector<double> &y, const EtsSpec &spec,
                                   const EtsParams &par, const std::vector<double> &x0,
                                   int n_params) {
    const int n = static_cast<int>(y.size());
    const int p = ets_state_count(spec);
    EtsFit fit;
    fit.spec = spec;
    fit.par = par;
    fit.initial_state = x0;
    fit.residuals.resize(n);
    std::vector<double> states(static_cast<std::size_t>(p) * (n + 1));
    double lik = ets_calc(spec, par, x0.data(), y.data(), n, fit.residuals.data(), states.data());
    if (!std::isfinite(lik)) return std::nullopt;
    fit.last_state.assign(states.end() - p, states.end());
    fit.fitted.resize(n);
    double sse = 0;
    for (int i = 0; i < n; i++) {
        double e = fit.residuals[i];
        fit.fitted[i] = spec.error == Comp::Add ? y[i] - e : y[i] / (1 + e);
        sse += e * e;
    }
    const int np = n_params + 1; // and sigma
    fit.n_params = n_params;
    fit.loglik = -0.5 * lik;
    fit.aic = lik + 2 * np;
    fit.bic = lik + std::log(static_cast<double>(n)) * np;
    fit.aicc = n - np - 1 > 0 ? fit.aic + 2.0 * np * (np + 1) / (n - np - 1)
                              : std::numeric_limits<double>::infinity();
    fit.sigma2 = n > n_params ? sse / (n - n_params) : NAN;
    return fit;
}

namespace {

// One model being fitted: R's etsmodel set-up (initparam, initstate) and its Nelder-Mead search,
// which can stop after a budget and resume on the same path.
class EtsFitter {
public:
    // Empty when the data are too short or not positive for a multiplicative model.
    static std::unique_ptr<EtsFitter> make(const std::vector<double> &y, const EtsSpec &spec);

    void run(int evaluations) { nm_->run(evaluations); }
    bool finished() const { return nm_->finished(); }
    // AICc of the best point so far (+Inf when none is admissible); running further lowers it.
    double aicc() const;
    std::optional<EtsFit> fit() const;

private:
    EtsFitter(const std::vector<double> &y, const EtsSpec &spec) : y_(y), spec_(spec) {}
    double objective(const double *v);

    const std::vector<double> &y_;
    EtsSpec spec_;
    EtsBounds bounds_;
    Layout lay_{};
    int n_params_ = 0;
    std::vector<double> x_;
    std::unique_ptr<NelderMead> nm_;
};

double EtsFitter::objective(const double *v) {
    EtsParams par = params_from(lay_, v);
    if (!ets_usual_ok(spec_, par, bounds_) || !ets_admissible(spec_, par))
        return std::numeric_limits<double>::infinity();
    full_state(lay_, v + lay_.n_smooth, x_.data());
    const int p = static_cast<int>(x_.size());
    if (spec_.season == Comp::Mult)
        for (int j = 1 + (spec_.trend != Comp::None); j < p; j++)
            if (x_[j] < 0) return std::numeric_limits<double>::infinity();
    double lik =
        ets_calc(spec_, par, x_.data(), y_.data(), static_cast<int>(y_.size()), nullptr, nullptr);
    if (std::isnan(lik)) return std::numeric_limits<double>::infinity();
    return std::max(lik, -1e10);
}

std::unique_ptr<EtsFitter> EtsFitter::make(const std::vector<double> &y, const EtsSpec &spec_in) {
    EtsSpec spec = spec_in;
    if (spec.season == Comp::None) spec.m = 1;
    if (spec.season != Comp::None && (spec.m < 2 || spec.m > kMaxEtsSeason)) return nullptr;
    const int n = static_cast<int>(y.size());
    if (n < ets_min_points(spec)) return nullptr;
    if (spec.error == Comp::Mult || spec.season == Comp::Mult || spec.trend == Comp::Mult) {
        if (*std::min_element(y.begin(), y.end()) <= 0) return nullptr;
    }
    // initparam (bounds "both": the usual lower and upper bounds)
    EtsBounds bounds;
    const double *lo = bounds.lower, *up = bounds.upper;
    const int m = spec.m;
    std::vector<double> par0;
    double alpha = lo[0] + 0.2 * (up[0] - lo[0]) / m;
    if (alpha > 1 || alpha < 0) alpha = lo[0] + 2e-3;
    par0.push_back(alpha);
    if (spec.trend != Comp::None) {
        double u = std::min(up[1], alpha);
        double beta = lo[1] + 0.1 * (u - lo[1]);
        if (beta < 0 || beta > alpha) beta = alpha - 1e-3;
        par0.push_back(beta);
    }
    if (spec.season != Comp::None) {
        double u = std::min(up[2], 1 - alpha);
        double gamma = lo[2] + 0.05 * (u - lo[2]);
        if (gamma < 0 || gamma > 1 - alpha) gamma = 1 - alpha - 1e-3;
        par0.push_back(gamma);
    }
    if (spec.damped) {
        double phi = lo[3] + 0.99 * (up[3] - lo[3]);
        if (phi < 0 || phi > 1) phi = up[3] - 1e-3;
        par0.push_back(phi);
    }
    std::vector<double> init = ets_initial_state(y, spec);
    std::vector<double> start = par0;
    start.insert(start.end(), init.begin(), init.end());
    if (static_cast<int>(start.size()) >= n - 1) return nullptr;

    std::unique_ptr<EtsFitter> f(new EtsFitter(y, spec));
    f->lay_ = Layout{spec, static_cast<int>(par0.size()), static_cast<int>(init.size())};
    f->n_params_ = static_cast<int>(start.size());
    f->x_.resize(ets_state_count(spec));
    EtsFitter *self = f.get();
    f->nm_ = std::make_unique<NelderMead>([self](const double *v) { return self->objective(v); },
                                          std::move(start));
    return f;
}

double EtsFitter::aicc() const {
    NelderMeadResult best = nm_->result();
    if (!std::isfinite(best.value) || best.value >= 1e35)
        return std::numeric_limits<double>::infinity();
    const int n = static_cast<int>(y_.size());
    const int np = n_params_ + 1;
    if (n - np - 1 <= 0) return std::numeric_limits<double>::infinity();
    return best.value + 2 * np + 2.0 * np * (np + 1) / (n - np - 1);
}

std::optional<EtsFit> EtsFitter::fit() const {
    NelderMeadResult best = nm_->result();
    if (!std::isfinite(best.value) || best.value >= 1e35) return std::nullopt;
    EtsParams par = params_from(lay_, best.x.data());
    std::vector<double> x(x_.size());
    full_state(lay_, best.x.data() + lay_.n_smooth, x.data());
    return evaluate_ets(y_, spec_, par, x, n_params_);
}

} // namespace

std::optional<EtsFit> fit_ets(const std::vector<double> &y, const EtsSpec &spec) {
    auto f = EtsFitter::make(y, spec);
    if (!f) return std::nullopt;
    f->run(NelderMeadOptions{}.maxit);
    return f->fit();
}

std::optional<EtsFit> auto_ets(const std::vector<double> &y, int m, const AutoEtsOptions &o) {
    const bool positive = !y.empty() && *std::min_element(y.begin(), y.end()) > 0;
    const bool seasonal = m > 1 && m <= kMaxEtsSeason && static_cast<int>(y.size()) > m;
    std::vector<std::unique_ptr<EtsFitter>> fitters;
    for (Comp e : {Comp::Add, Comp::Mult}) {
        if (e == Comp::Mult && !positive) continue;
        for (Comp t : {Comp::None, Comp::Add}) {
            for (Comp s : {Comp::None, Comp::Add, Comp::Mult}) {
                if (s != Comp::None && !seasonal) continue;
                if (e == Comp::Add && s == Comp::Mult) continue;
                for (bool d : {true, false}) {
                    if (t == Comp::None && d) continue;
                    EtsSpec spec{e, t, s, d, s == Comp::None ? 1 : m};
                    if (auto f = EtsFitter::make(y, spec)) fitters.push_back(std::move(f));
                }
            }
        }
    }
    // Screen every candidate on a small budget, then carry the most promising unfinished ones on
    // to R's full budget (same path: their AICc only goes down).
    // The screening in two halves: a candidate already hopeless at half the budget stops there.
    std::vector<double> score(fitters.size());
    for (std::size_t i = 0; i < fitters.size(); i++) {
        fitters[i]->run(o.screen_evaluations / 2);
        score[i] = fitters[i]->aicc();
    }
    const double half_best = score.empty() ? 0.0 : *std::min_element(score.begin(), score.end());
    for (std::size_t i = 0; i < fitters.size(); i++) {
        if (score[i] > half_best + o.hopeless_margin) continue;
        fitters[i]->run(o.screen_evaluations);
        score[i] = fitters[i]->aicc();
    }
    std::vector<std::size_t> order(fitters.size());
    for (std::size_t i = 0; i < order.size(); i++) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return score[a] < score[b]; });
    int refined = 0;
    for (std::size_t i : order) {
        if (refined >= o.refine || !std::isfinite(score[i])) break;
        if (fitters[i]->finished()) continue;
        refined++;
        if (refined > 1 && o.checkpoint_evaluations < o.refine_evaluations) {
            const double best = *std::min_element(score.begin(), score.end());
            if (score[i] > best + o.screen_margin) continue;
            fitters[i]->run(o.checkpoint_evaluations);
            score[i] = fitters[i]->aicc();
            if (score[i] > best + o.checkpoint_margin) continue;
        }
        fitters[i]->run(o.refine_evaluations);
        score[i] = fitters[i]->aicc();
    }
    std::optional<EtsFit> best;
    for (std::size_t i : order) {
        if (best && !(score[i] < best->aicc)) continue;
        auto fit = fitters[i]->fit();
        if (fit && std::isfinite(fit->aicc) && (!best || fit->aicc < best->aicc))
            best = std::move(fit);
    }
    return best;
}

} // namespace dmine::forecast
