// Classical decomposition, least-squares lines and autocorrelations.
#include "forecast/classical.hpp"

#include <cmath>

namespace dmine::forecast {

std::vector<double> decompose_seasonal(const std::vector<double> &y, int m, bool mult) {
    const int n = static_cast<int>(y.size());
    // Centred moving average: weights 1/m, or (1/2, 1, ..., 1, 1/2)/m for even m.
    std::vector<double> w(m % 2 ? m : m + 1, 1.0 / m);
    if (m % 2 == 0) w.front() = w.back() = 0.5 / m;
    const int half = static_cast<int>(w.size()) / 2;
    std::vector<double> sum(m, 0.0);
    std::vector<int> count(m, 0);
    for (int i = half; i + half < n; i++) {
        double trend = 0.0;
        for (int k = 0; k < static_cast<int>(w.size()); k++) trend += w[k] * y[i - half + k];
        double detrended = mult ? y[i] / trend : y[i] - trend;
        sum[i % m] += detrended;
        count[i % m]++;
    }
    std::vector<double> figure(m);
    double mean = 0.0;
    for (int j = 0; j < m; j++) {
        figure[j] = sum[j] / count[j];
        mean += figure[j] / m;
    }
    for (double &f : figure) f = mult ? f / mean : f - mean;
    std::vector<double> seasonal(n);
    for (int i = 0; i < n; i++) seasonal[i] = figure[i % m];
    return seasonal;
}

void least_squares_line(const double *y, int n, double x0, double &intercept, double &slope) {
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x0 + i;
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0;
    for (int i = 0; i < n; i++) {
        double dx = x0 + i - mx;
        sxy += dx * (y[i] - my);
        sxx += dx * dx;
    }
    slope = sxx > 0 ? sxy / sxx : 0.0;
    intercept = my - slope * mx;
}

std::vector<double> autocorrelations(const std::vector<double> &y, int max_lag) {
    const int n = static_cast<int>(y.size());
    double mean = 0;
    for (double v : y) mean += v / n;
    double c0 = 0;
    for (double v : y) c0 += (v - mean) * (v - mean);
    std::vector<double> r(max_lag, 0.0);
    for (int k = 1; k <= max_lag && k < n; k++) {
        double c = 0;
        for (int i = 0; i + k < n; i++) c += (y[i] - mean) * (y[i + k] - mean);
        r[k - 1] = c0 > 0 ? c / c0 : 0.0;
    }
    return r;
}

} // namespace dmine::forecast
