// Choosing and running the forecasting method of one series.
#include "forecast/forecast_run.hpp"

#include "core/errors.hpp"
#include "forecast/models.hpp"
#include "trends/decompose.hpp"

#include <algorithm>
#include <cmath>

namespace dmine::forecast {

namespace {

[[noreturn]] void too_short(const std::string &method, int need, std::size_t have,
                            const std::string &hint = {}) {
    fail(ErrorKind::Data,
         method + " needs at least " + std::to_string(need) + " periods, the series has " +
             std::to_string(have),
         {},
         hint.empty() ? "Use a simpler model, or 'auto', which falls back to simpler ones." : hint);
}

ModelResult named_ets(const std::vector<double> &y, int period, const std::string &name,
                      const ModelInputs &in) {
    EtsSpec spec;
    spec.m = period;
    parse_ets_name(name, spec);
    if (spec.season == Comp::None) spec.m = 1;
    if (spec.season != Comp::None && (period < 2 || period > kMaxEtsSeason))
        fail(ErrorKind::InvalidParameter,
             name + " needs a period between 2 and " + std::to_string(kMaxEtsSeason) + ", got " +
                 std::to_string(period),
             {}, "Set the period option, or use a non-seasonal model or theta.");
    const bool multiplicative =
        spec.error == Comp::Mult || spec.trend == Comp::Mult || spec.season == Comp::Mult;
    if (multiplicative && *std::min_element(y.begin(), y.end()) <= 0)
        fail(ErrorKind::Data, name + " needs positive values, the series has zero or negative ones",
             {}, "Use an additive model such as ETS(A,A,A), or 'auto'.");
    if (static_cast<int>(y.size()) < ets_min_points(spec))
        too_short(name, ets_min_points(spec), y.size());
    auto fit = fit_ets(y, spec);
    if (!fit)
        fail(ErrorKind::Data, name + " could not be fitted to the series", {},
             "Try 'auto' or another model.");
    return ets_result(*fit, in);
}

std::optional<ModelResult> best_ets(const std::vector<double> &y, int period,
                                    const ModelInputs &in) {
    auto fit = auto_ets(y, period);
    if (!fit) return std::nullopt;
    return ets_result(*fit, in);
}

// Hyndman's strength of seasonality of the robust decomposition (0 for non-positive series).
double seasonal_strength(const std::vector<double> &y, int m) {
    if (!std::all_of(y.begin(), y.end(), [](double v) { return v > 0; })) return 0;
    double f = trends::decompose(y, m, 0).strength;
    return std::isnan(f) ? 0 : f;
}

ModelResult choose(const Series &s, const ForecastOptions &o, const ModelInputs &in) {
    const std::vector<double> &y = s.y;
    const std::string &model = o.model;
    if (model == "naive") return naive_model(y, in);
    if (model == "croston" || model == "sba") return croston_model(y, model == "sba", o.alpha, in);
    if (model == "tsb") return tsb_model(y, o.alpha, o.beta, in);
    if (model == "theta") {
        auto r = theta_model(y, s.period, in);
        if (!r) too_short("theta", kMinSmoothingPoints, y.size());
        return *r;
    }
    if (model == "ets" || model == "combination") {
        auto e = best_ets(y, s.period, in);
        if (!e) too_short(model, kMinSmoothingPoints, y.size());
        if (model == "ets") return *e;
        auto t = theta_model(y, s.period, in);
        if (!t) too_short(model, kMinSmoothingPoints, y.size());
        return combine_models({*e, *t}, y);
    }
    if (model != "auto") return named_ets(y, s.period, model, in);
    if (is_intermittent(y)) return croston_model(y, true, o.alpha, in);
    if (static_cast<int>(y.size()) < kMinSmoothingPoints) return naive_model(y, in);
    if (auto e = best_ets(y, s.period, in)) {
        // A seasonal series too short for the seasonal models' parameters keeps its season.
        const bool seasonal_ets = e->method[e->method.size() - 2] != 'N';
        if (!seasonal_ets && s.period > 1 && static_cast<int>(y.size()) >= 2 * s.period &&
            (seasonality_test(y, s.period, 2 * s.period) || seasonal_strength(y, s.period) >= 0.6))
            if (auto a = adjusted_ets_model(y, s.period, in)) return *a;
        return *e;
    }
    if (auto t = theta_model(y, s.period, in)) return *t;
    return naive_model(y, in);
}

} // namespace

double in_sample_mase(const std::vector<double> &y, const std::vector<double> &fitted, int m) {
    const std::size_t n = y.size();
    const std::size_t lag = static_cast<std::size_t>(m) < n ? static_cast<std::size_t>(m) : 1;
    double scale = 0, err = 0;
    int ns = 0, ne = 0;
    for (std::size_t i = lag; i < n; i++) {
        scale += std::fabs(y[i] - y[i - lag]);
        ns++;
    }
    for (std::size_t i = 0; i < n; i++)
        if (!std::isnan(fitted[i])) {
            err += std::fabs(y[i] - fitted[i]);
            ne++;
        }
    if (!ns || !ne || scale == 0) return NAN;
    return (err / ne) / (scale / ns);
}

ForecastValue run_forecast(const Series &s, const ForecastOptions &o) {
    if (s.y.empty())
        fail(ErrorKind::Data, "a forecast needs at least 1 period with a value, got none", {},
             "Rows with a NULL time or value are skipped.");
    if (static_cast<int>(s.y.size()) < o.min_history)
        too_short("the forecast (min_history)", o.min_history, s.y.size(),
                  "Lower min_history to forecast shorter series.");
    ModelInputs in;
    in.h = o.horizon;
    in.levels = o.levels;
    in.paths = o.paths;
    in.seed = o.seed;
    ModelResult r = choose(s, o, in);
    ForecastValue f;
    f.kind = s.kind;
    f.grain = s.grain;
    f.period = s.period;
    f.first = s.first;
    f.model = o.model;
    f.method = r.method;
    f.intervals = r.intervals;
    f.nonnegative = o.nonnegative;
    f.params = r.params;
    f.aicc = r.aicc;
    f.aic = r.aic;
    f.bic = r.bic;
    f.loglik = r.loglik;
    f.sigma2 = r.sigma2;
    f.levels = o.levels;
    f.point = r.point;
    f.lo = r.bands.lo;
    f.hi = r.bands.hi;
    f.actual = s.y;
    f.fitted = r.fitted;
    f.initial_state = r.initial_state;
    f.last_state = r.last_state;
    f.rows = s.rows;
    f.filled = s.filled;
    f.dropped = s.dropped;
    for (double &v : f.point)
        if (!std::isfinite(v))
            fail(ErrorKind::OutOfRange, "the forecast is beyond the float8 range");
    for (auto *bands : {&f.lo, &f.hi})
        for (auto &row : *bands)
            for (double &v : row)
                if (std::isinf(v)) v = NAN;
    for (double &v : f.fitted)
        if (std::isinf(v)) v = NAN;
    if (o.nonnegative) {
        for (double &v : f.point) v = std::max(v, 0.0);
        for (auto *bands : {&f.lo, &f.hi})
            for (auto &row : *bands)
                for (double &v : row)
                    if (!std::isnan(v)) v = std::max(v, 0.0);
    }
    f.mase = in_sample_mase(f.actual, f.fitted, s.period);
    return f;
}

} // namespace dmine::forecast
