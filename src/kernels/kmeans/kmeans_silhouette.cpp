// Exact silhouette on a sample of points.
#include "kmeans/kmeans_silhouette.hpp"

#include "core/interrupt.hpp"
#include "kmeans/kmeans_distance.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dmine::kmeans {
namespace {

inline double distance(const Matrix &s, Eigen::Index i, Eigen::Index j) {
    return std::sqrt(sqdist(s.row(i).data(), s.row(j).data(), static_cast<int>(s.cols())));
}

// Sums of distances from each point to the points of each cluster (m x k), every pair once.
Matrix pair_sums(const Matrix &s, const std::vector<int> &label, int k) {
    Matrix sums = Matrix::Zero(s.rows(), k);
    for (Eigen::Index i = 0; i < s.rows(); i++) {
        if ((i & 63) == 0) check_interrupts();
        for (Eigen::Index j = i + 1; j < s.rows(); j++) {
            double t = distance(s, i, j);
            sums(i, label[j]) += t;
            sums(j, label[i]) += t;
        }
    }
    return sums;
}

// The same for one point (when an m x k table would be too large).
void row_sums(const Matrix &s, const std::vector<int> &label, Eigen::Index i, double *sums) {
    for (Eigen::Index j = 0; j < s.rows(); j++)
        if (j != i) sums[label[j]] += distance(s, i, j);
}

} // namespace

double silhouette(const Matrix &x, const std::vector<int> &labels, int k,
                  const std::vector<Eigen::Index> &sample) {
    const auto m = static_cast<Eigen::Index>(sample.size());
    std::vector<double> members(k, 0.0);
    for (auto i : sample) members[labels[i]] += 1;
    auto present = std::count_if(members.begin(), members.end(), [](double c) { return c > 0; });
    if (present < 2 || present >= m) return std::numeric_limits<double>::quiet_NaN();
    Matrix s(m, x.cols()); // the sample, contiguous
    std::vector<int> label(m);
    for (Eigen::Index i = 0; i < m; i++) {
        s.row(i) = x.row(sample[i]);
        label[i] = labels[sample[i]];
    }
    const bool table = static_cast<double>(m) * k <= 2e7;
    Matrix sums = table ? pair_sums(s, label, k) : Matrix::Zero(1, k);
    double total = 0;
    for (Eigen::Index i = 0; i < m; i++) {
        const double *row = sums.row(table ? i : 0).data();
        if (!table) {
            if ((i & 63) == 0) check_interrupts();
            sums.setZero();
            row_sums(s, label, i, sums.data());
        }
        int own = label[i];
        if (members[own] <= 1) continue; // a singleton's silhouette is 0
        double a = row[own] / (members[own] - 1);
        double b = std::numeric_limits<double>::infinity();
        for (int c = 0; c < k; c++)
            if (c != own && members[c] > 0) b = std::min(b, row[c] / members[c]);
        double denom = std::max(a, b);
        if (denom > 0) total += (b - a) / denom;
    }
    return total / static_cast<double>(m);
}

} // namespace dmine::kmeans
