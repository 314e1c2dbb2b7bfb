// Forecasting methods: ETS results, Theta, intermittent demand, naive, combinations.
#include "forecast/models.hpp"

#include "forecast/classical.hpp"

#include <algorithm>
#include <cmath>

namespace dmine::forecast {

namespace {

// Bands around `point` with ANN-like widths sigma sqrt(1 + (h - 1) alpha^2).
Bands smoothing_bands(const std::vector<double> &point, double sigma2, double alpha,
                      const std::vector<double> &levels) {
    std::vector<double> sd(point.size());
    for (std::size_t i = 0; i < point.size(); i++)
        sd[i] = std::sqrt(sigma2 * (1 + i * alpha * alpha));
    return normal_bands(point, sd, levels);
}

// Mean squared one-step error over the defined fitted values (NaN when none).
double mean_square_error(const std::vector<double> &y, const std::vector<double> &fitted) {
    double sum = 0;
    int count = 0;
    for (std::size_t i = 0; i < y.size(); i++) {
        if (std::isnan(fitted[i])) continue;
        double e = y[i] - fitted[i];
        sum += e * e;
        count++;
    }
    return count ? sum / count : NAN;
}

// Simple exponential smoothing started on the first value (R's ses(initial = "simple")): the
// one-step forecasts before each value (fitted) and the final level.
double simple_smoothing(const std::vector<double> &x, double alpha, std::vector<double> *fitted) {
    double level = x.empty() ? 0.0 : x[0];
    for (double v : x) {
        if (fitted) fitted->push_back(level);
        level = alpha * v + (1 - alpha) * level;
    }
    return level;
}

} // namespace

bool is_intermittent(const std::vector<double> &y) {
    if (y.empty()) return false;
    std::size_t zeros = 0;
    for (double v : y) {
        if (v < 0) return false;
        zeros += v == 0;
    }
    return zeros * 10 >= y.size() * 3;
}

ModelResult ets_result(const EtsFit &fit, const ModelInputs &in) {
    ModelResult r;
    r.method = ets_name(fit.spec);
    r.params.push_back({"alpha", fit.par.alpha});
    if (fit.spec.trend != Comp::None) r.params.push_back({"beta", fit.par.beta});
    if (fit.spec.season != Comp::None) r.params.push_back({"gamma", fit.par.gamma});
    if (fit.spec.damped) r.params.push_back({"phi", fit.par.phi});
    r.point.resize(in.h);
    ets_point_forecast(fit.spec, fit.par, fit.last_state.data(), in.h, r.point.data());
    r.bands = ets_bands(fit, r.point, in.levels, in.paths, in.seed);
    r.intervals = r.bands.simulated ? "simulated" : "analytic";
    r.fitted = fit.fitted;
    r.sigma2 = fit.sigma2;
    r.loglik = fit.loglik;
    r.aic = fit.aic;
    r.aicc = fit.aicc;
    r.bic = fit.bic;
    r.initial_state = fit.initial_state;
    r.last_state = fit.last_state;
    return r;
}

std::optional<ModelResult> theta_model(const std::vector<double> &y, int m, const ModelInputs &in) {
    const int n = static_cast<int>(y.size());
    bool constant = std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; });
    bool positive = std::all_of(y.begin(), y.end(), [](double v) { return v > 0; });
    (void)constant;
    (void)positive;
    bool seasonal = seasonality_test(y, m, 2 * m + 1);
    std::vector<double> x = y, season;
    if (seasonal) {
        season = decompose_seasonal(y, m, true);
        if (std::any_of(season.begin(), season.end(), [](double s) { return std::fabs(s) < 1e-4; }))
            seasonal = false;
        else
            for (int i = 0; i < n; i++) x[i] = y[i] / season[i];
    }
    auto ses = fit_ets(x, EtsSpec{Comp::Add, Comp::None, Comp::None, false, 1});
    if (!ses) return std::nullopt;
    ModelResult r;
    r.method = "Theta";
    const double alpha = std::max(1e-10, ses->par.alpha);
    double intercept, slope;
    least_squares_line(x.data(), n, 0.0, intercept, slope);
    const double drift = slope / 2;
    r.point.resize(in.h);
    const double level = ses->last_state[0];
    const double shift = (1 - std::pow(1 - alpha, n)) / alpha;
    for (int i = 0; i < in.h; i++) {
        r.point[i] = level + drift * (i + shift);
        if (seasonal) r.point[i] *= season[n - m + (i % m)];
    }
    r.fitted = ses->fitted;
    if (seasonal)
        for (int i = 0; i < n; i++) r.fitted[i] *= season[i];
    r.sigma2 = ses->sigma2;
    r.bands = smoothing_bands(r.point, ses->sigma2, alpha, in.levels);
    r.params = {{"alpha", alpha}, {"drift", drift}, {"seasonal", seasonal ? 1.0 : 0.0}};
    r.initial_state = ses->initial_state;
    r.last_state = ses->last_state;
    return r;
}

bool seasonality_test(const std::vector<double> &y, int m, int min_points) {
    const int n = static_cast<int>(y.size());
    if (m < 2 || n < min_points || n < 2 * m) return false;
    if (std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; })) return false;
    if (!std::all_of(y.begin(), y.end(), [](double v) { return v > 0; })) return false;
    std::vector<double> r = autocorrelations(y, m);
    double sum = 0;
    for (int k = 0; k < m - 1; k++) sum += r[k] * r[k];
    double stat = std::sqrt((1 + 2 * sum) / n);
    return std::fabs(r[m - 1]) / stat > normal_quantile(0.95);
}

std::optional<ModelResult> adjusted_ets_model(const std::vector<double> &y, int m,
                                              const ModelInputs &in) {
    const int n = static_cast<int>(y.size());
    std::vector<double> season = decompose_seasonal(y, m, true), x(n);
    for (double s : season)
        if (!(s > 1e-4)) return std::nullopt;
    for (int i = 0; i < n; i++) x[i] = y[i] / season[i];
    auto fit = auto_ets(x, 1);
    if (!fit) return std::nullopt;
    ModelResult r = ets_result(*fit, in);
    r.method += " seasonally adjusted";
    for (int i = 0; i < in.h; i++) {
        double f = season[n - m + (i % m)];
        r.point[i] *= f;
        for (auto &row : r.bands.lo) row[i] *= f;
        for (auto &row : r.bands.hi) row[i] *= f;
    }
    for (int i = 0; i < n; i++) r.fitted[i] *= season[i];
    r.loglik = r.aic = r.aicc = r.bic = NAN; // of the adjusted series, not comparable
    return r;
}

ModelResult croston_model(const std::vector<double> &y, bool sba, double alpha,
                          const ModelInputs &in) {
    std::vector<double> sizes, gaps;
    int last = -1;
    for (int i = 0; i < static_cast<int>(y.size()); i++)
        if (y[i] > 0) {
            sizes.push_back(y[i]);
            gaps.push_back(i - last);
            last = i;
        }
    ModelResult r;
    r.method = sba ? "SBA" : "Croston";
    r.params = {{"alpha", alpha}};
    r.fitted.assign(y.size(), NAN);
    double ratio = 0.0;
    if (!sizes.empty()) {
        // The smoothed size and gap after each demand give the forecasts until the next one.
        const double factor = sba ? 1 - alpha / 2 : 1.0;
        double z = sizes[0], p = gaps[0];
        int k = 0;
        for (int i = 0; i < static_cast<int>(y.size()); i++) {
            if (k > 0) r.fitted[i] = z / p * factor;
            if (y[i] > 0) {
                z = alpha * y[i] + (1 - alpha) * z;
                p = alpha * gaps[k] + (1 - alpha) * p;
                k++;
            }
        }
        ratio = simple_smoothing(sizes, alpha, nullptr) / simple_smoothing(gaps, alpha, nullptr) *
                factor;
    }
    r.point.assign(in.h, ratio);
    double mse = mean_square_error(y, r.fitted);
    r.sigma2 = mse;
    r.bands = smoothing_bands(r.point, std::isnan(mse) ? 0.0 : mse, alpha, in.levels);
    r.intervals = "approximate";
    return r;
}

ModelResult tsb_model(const std::vector<double> &y, double alpha, double beta,
                      const ModelInputs &in) {
    double z = 0, nonzero = 0;
    for (double v : y)
        if (v > 0) {
            z += v;
            nonzero++;
        }
    ModelResult r;
    r.method = "TSB";
    r.params = {{"alpha", alpha}, {"beta", beta}};
    z = nonzero ? z / nonzero : 0.0;
    double p = y.empty() ? 0.0 : nonzero / y.size();
    r.fitted.resize(y.size());
    for (std::size_t i = 0; i < y.size(); i++) {
        r.fitted[i] = p * z;
        if (y[i] > 0) {
            z += alpha * (y[i] - z);
            p += beta * (1 - p);
        } else {
            p -= beta * p;
        }
    }
    r.point.assign(in.h, p * z);
    r.sigma2 = mean_square_error(y, r.fitted);
    r.bands = smoothing_bands(r.point, std::isnan(r.sigma2) ? 0.0 : r.sigma2, alpha, in.levels);
    r.intervals = "approximate";
    return r;
}

ModelResult naive_model(const std::vector<double> &y, const ModelInputs &in) {
    ModelResult r;
    r.method = "naive";
    r.fitted.assign(y.size(), NAN);
    for (std::size_t i = 1; i < y.size(); i++) r.fitted[i] = y[i - 1];
    r.point.assign(in.h, y.empty() ? 0.0 : y.back());
    r.sigma2 = mean_square_error(y, r.fitted);
    std::vector<double> sd(in.h);
    for (int i = 0; i < in.h; i++)
        sd[i] = std::isnan(r.sigma2) ? NAN : std::sqrt(r.sigma2 * (i + 1));
    r.bands = normal_bands(r.point, sd, in.levels);
    return r;
}

ModelResult combine_models(const std::vector<ModelResult> &parts, const std::vector<double> &y) {
    ModelResult r = parts[0];
    r.method = "combination";
    r.params.clear();
    const double k = static_cast<double>(parts.size());
    std::string names;
    for (std::size_t i = 0; i < parts.size(); i++) {
        r.params.push_back({parts[i].method, 1.0 / k});
        if (i == 0) continue;
        for (std::size_t s = 0; s < r.point.size(); s++) r.point[s] += parts[i].point[s];
        for (std::size_t s = 0; s < r.fitted.size(); s++) r.fitted[s] += parts[i].fitted[s];
        for (std::size_t l = 0; l < r.bands.lo.size(); l++)
            for (std::size_t s = 0; s < r.point.size(); s++) {
                r.bands.lo[l][s] += parts[i].bands.lo[l][s];
                r.bands.hi[l][s] += parts[i].bands.hi[l][s];
            }
    }
    for (double &v : r.point) v /= k;
    for (double &v : r.fitted) v /= k;
    for (auto &row : r.bands.lo)
        for (double &v : row) v /= k;
    for (auto &row : r.bands.hi)
        for (double &v : row) v /= k;
    r.sigma2 = mean_square_error(y, r.fitted);
    r.loglik = r.aic = r.aicc = r.bic = NAN;
    r.initial_state.clear();
    r.last_state.clear();
    r.intervals = "combined";
    return r;
}

} // namespace dmine::forecast
