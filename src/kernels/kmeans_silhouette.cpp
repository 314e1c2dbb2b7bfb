// Exact silhouette on a sample of points.
#include "kmeans_silhouette.hpp"

#include "interrupt.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace dmine::kmeans {

std::vector<Eigen::Index> silhouette_sample(Eigen::Index n, std::uint64_t size, Rng &rng) {
    auto m =
        static_cast<Eigen::Index>(std::min<std::uint64_t>(size, static_cast<std::uint64_t>(n)));
    std::unordered_set<Eigen::Index> chosen; // Floyd's algorithm: O(m) memory whatever n is
    chosen.reserve(m);
    for (Eigen::Index j = n - m; j < n; j++) {
        auto t = static_cast<Eigen::Index>(rng.below(static_cast<std::uint64_t>(j) + 1));
        chosen.insert(chosen.count(t) ? j : t);
    }
    std::vector<Eigen::Index> index(chosen.begin(), chosen.end());
    std::sort(index.begin(), index.end());
    return index;
}

double silhouette(const Matrix &x, const std::vector<int> &labels, int k,
                  const std::vector<Eigen::Index> &sample) {
    const auto m = sample.size();
    std::vector<double> members(k, 0.0);
    for (auto i : sample) members[labels[i]] += 1;
    auto present = std::count_if(members.begin(), members.end(), [](double c) { return c > 0; });
    if (present < 2 || static_cast<std::size_t>(present) >= m)
        return std::numeric_limits<double>::quiet_NaN();
    Matrix s(m, x.cols()); // the sample, contiguous
    for (std::size_t i = 0; i < m; i++) s.row(i) = x.row(sample[i]);
    const int d = static_cast<int>(x.cols());
    std::vector<double> sums(k);
    double total = 0;
    for (std::size_t i = 0; i < m; i++) {
        if ((i & 63) == 0) check_interrupts();
        std::fill(sums.begin(), sums.end(), 0.0);
        const double *p = s.row(i).data();
        for (std::size_t j = 0; j < m; j++) {
            const double *q = s.row(j).data();
            double t = 0;
            for (int c = 0; c < d; c++) t += (p[c] - q[c]) * (p[c] - q[c]);
            sums[labels[sample[j]]] += std::sqrt(t);
        }
        int own = labels[sample[i]];
        if (members[own] <= 1) continue; // a singleton's silhouette is 0
        double a = sums[own] / (members[own] - 1);
        double b = std::numeric_limits<double>::infinity();
        for (int c = 0; c < k; c++)
            if (c != own && members[c] > 0) b = std::min(b, sums[c] / members[c]);
        double denom = std::max(a, b);
        if (denom > 0) total += (b - a) / denom;
    }
    return total / static_cast<double>(m);
}

} // namespace dmine::kmeans
