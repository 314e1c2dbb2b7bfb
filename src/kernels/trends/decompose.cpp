// Seasonal decomposition: see decompose.hpp.
#include "trends/decompose.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace dmine::trends {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr int refinements = 2; // trend and indices re-estimated from the adjusted series

// The weights of the centred moving average over one season.
std::vector<double> season_weights(int period) {
    if (period % 2 == 1) return std::vector<double>(period, 1.0);
    std::vector<double> w(period + 1, 1.0);
    w.front() = w.back() = 0.5;
    return w;
}

double variance(const std::vector<double> &v) {
    if (v.size() < 2) return nan;
    double mean = 0;
    for (double x : v) mean += x;
    mean /= double(v.size());
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    return ss / double(v.size() - 1);
}

int position(int t, int period, int first) {
    return (first + t) % period;
}

// Seasonal indices: median ratio y / trend per position, rescaled to a mean of 1.
std::vector<double> seasonal_indices(const std::vector<double> &y, const std::vector<double> &trend,
                                     int period, int first) {
    std::vector<std::vector<double>> ratios(period);
    for (std::size_t t = 0; t < y.size(); t++)
        if (std::isfinite(trend[t]) && trend[t] > 0)
            ratios[position(int(t), period, first)].push_back(y[t] / trend[t]);
    std::vector<double> s(period, nan);
    double sum = 0;
    int seen = 0;
    for (int k = 0; k < period; k++) {
        if (ratios[k].empty()) continue;
        s[k] = median(ratios[k]);
        sum += s[k];
        seen++;
    }
    if (seen == 0 || !(sum > 0)) return std::vector<double>(period, nan);
    for (double &x : s) x *= double(seen) / sum;
    return s;
}

// The straight line through y with the Theil-Sen slope and the median intercept.
std::vector<double> theil_sen_line(const std::vector<double> &y) {
    double b = theil_sen_slope(y);
    std::vector<double> residual;
    for (std::size_t t = 0; t < y.size(); t++)
        if (std::isfinite(y[t])) residual.push_back(y[t] - (std::isfinite(b) ? b : 0) * double(t));
    double a = median(residual);
    std::vector<double> line(y.size());
    for (std::size_t t = 0; t < y.size(); t++) line[t] = a + (std::isfinite(b) ? b : 0) * double(t);
    return line;
}

std::vector<double> adjusted(const std::vector<double> &y, const std::vector<double> &s, int period,
                             int first) {
    std::vector<double> a(y.size(), nan);
    for (std::size_t t = 0; t < y.size(); t++) {
        double f = s[position(int(t), period, first)];
        if (std::isfinite(f) && f > 0) a[t] = y[t] / f;
    }
    return a;
}

double strength_of(const std::vector<double> &y, const std::vector<double> &trend,
                   const std::vector<double> &s, int period, int first) {
    std::vector<double> detrended, remainder;
    for (std::size_t t = 0; t < y.size(); t++) {
        double f = s[position(int(t), period, first)];
        if (!std::isfinite(trend[t]) || !(trend[t] > 0) || !std::isfinite(f)) continue;
        detrended.push_back(y[t] / trend[t]);
        remainder.push_back(y[t] / trend[t] - f);
    }
    double total = variance(detrended);
    if (!(total > 0)) return nan;
    return std::max(0.0, 1.0 - variance(remainder) / total);
}

} // namespace

double median(std::vector<double> &values) {
    if (values.empty()) return nan;
    std::size_t mid = values.size() / 2;
    std::nth_element(values.begin(), values.begin() + long(mid), values.end());
    double upper = values[mid];
    if (values.size() % 2 == 1) return upper;
    double lower = *std::max_element(values.begin(), values.begin() + long(mid));
    return (lower + upper) / 2;
}

double theil_sen_slope(const std::vector<double> &y) {
    std::size_t step = y.size() / 2000 + 1; // at most ~2 million pairs
    std::vector<double> slopes;
    for (std::size_t i = 0; i < y.size(); i += step) {
        if (!std::isfinite(y[i])) continue;
        for (std::size_t j = i + step; j < y.size(); j += step)
            if (std::isfinite(y[j])) slopes.push_back((y[j] - y[i]) / double(j - i));
    }
    return median(slopes);
}

std::vector<double> centred_moving_average(const std::vector<double> &y, int period,
                                           bool truncate) {
    std::vector<double> w = season_weights(period);
    long half = long(w.size()) / 2, n = long(y.size());
    std::vector<double> out(y.size(), nan);
    for (long t = 0; t < n; t++) {
        if (!truncate && (t - half < 0 || t + half >= n)) continue;
        double sum = 0, weight = 0;
        for (long j = std::max(0L, t - half); j <= std::min(n - 1, t + half); j++) {
            if (!std::isfinite(y[j])) continue;
            sum += w[j - t + half] * y[j];
            weight += w[j - t + half];
        }
        if (weight > 0) out[t] = sum / weight;
    }
    return out;
}

Decomposition decompose(const std::vector<double> &y, int period, int first_position) {
    if (period < 2 || period > 1000)
        fail(ErrorKind::InvalidParameter,
             "period must be between 2 and 1000, got " + std::to_string(period));
    if (first_position < 0 || first_position >= period)
        fail(ErrorKind::InvalidParameter, "first position must be between 1 and the period");
    for (double v : y)
        if (!std::isfinite(v)) fail(ErrorKind::Data, "series values must be finite");
    Decomposition d{std::vector<double>(y.size(), nan), std::vector<double>(period, nan), nan, nan};
    if (y.empty()) return d;
    int n = int(y.size());
    if (n < period) { // less than one season: no seasonal figure, a straight robust trend
        d.trend = n >= 2 ? theil_sen_line(y) : y;
        d.slope = theil_sen_slope(y);
        return d;
    }
    // First pass: the classical trend (full windows) or, below two seasons, a robust line.
    std::vector<double> trend =
        n >= 2 * period ? centred_moving_average(y, period, false) : theil_sen_line(y);
    std::vector<double> s = seasonal_indices(y, trend, period, first_position);
    for (int i = 0; i < refinements; i++) { // trend of the adjusted series over the whole span
        trend = centred_moving_average(adjusted(y, s, period, first_position), period, true);
        s = seasonal_indices(y, trend, period, first_position);
    }
    d.trend = trend;
    d.seasonal = s;
    if (n >= 2 * period) d.strength = strength_of(y, trend, s, period, first_position);
    d.slope = theil_sen_slope(adjusted(y, s, period, first_position));
    return d;
}

} // namespace dmine::trends
