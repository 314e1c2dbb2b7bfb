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

// The mean silhouette from the per-cluster distance sums of every sample point (row(i, c): the
// sum of the distances from point i to the points of cluster c).
template <typename Row>
double mean_silhouette(Eigen::Index m, int k, const std::vector<int> &label,
                       const std::vector<double> &members, Row row) {
    double total = 0;
    for (Eigen::Index i = 0; i < m; i++) {
        int own = label[i];
        if (members[own] <= 1) continue; // a singleton's silhouette is 0
        double a = row(i, own) / (members[own] - 1);
        double b = std::numeric_limits<double>::infinity();
        for (int c = 0; c < k; c++)
            if (c != own && members[c] > 0) b = std::min(b, row(i, c) / members[c]);
        double denom = std::max(a, b);
        if (denom > 0) total += (b - a) / denom;
    }
    return total / static_cast<double>(m);
}

// Members of each cluster among the sample; false when the silhouette is not defined.
bool sample_members(const std::vector<int> &labels, int k, const std::vector<Eigen::Index> &sample,
                    std::vector<double> &members) {
    members.assign(k, 0.0);
    for (auto i : sample) members[labels[i]] += 1;
    auto present = std::count_if(members.begin(), members.end(), [](double c) { return c > 0; });
    return present >= 2 && present < static_cast<Eigen::Index>(sample.size());
}

} // namespace

double silhouette(const Matrix &x, const std::vector<int> &labels, int k,
                  const std::vector<Eigen::Index> &sample) {
    const auto m = static_cast<Eigen::Index>(sample.size());
    std::vector<double> members;
    if (!sample_members(labels, k, sample, members))
        return std::numeric_limits<double>::quiet_NaN();
    Matrix s(m, x.cols()); // the sample, contiguous
    std::vector<int> label(m);
    for (Eigen::Index i = 0; i < m; i++) {
        s.row(i) = x.row(sample[i]);
        label[i] = labels[sample[i]];
    }
    const bool table = static_cast<double>(m) * k <= 2e7;
    if (table) {
        Matrix sums = pair_sums(s, label, k);
        return mean_silhouette(m, k, label, members,
                               [&](Eigen::Index i, int c) { return sums(i, c); });
    }
    Matrix sums = Matrix::Zero(1, k);
    Eigen::Index filled = -1;
    return mean_silhouette(m, k, label, members, [&](Eigen::Index i, int c) {
        if (filled != i) { // one point's sums at a time
            if ((i & 63) == 0) check_interrupts();
            sums.setZero();
            row_sums(s, label, i, sums.data());
            filled = i;
        }
        return sums(0, c);
    });
}

double silhouettes_table_size(std::size_t m, const std::vector<int> &ks) {
    double total = 0;
    for (int k : ks) total += static_cast<double>(k) * static_cast<double>(m);
    return total;
}

std::vector<double> silhouettes(const Matrix &x,
                                const std::vector<const std::vector<int> *> &labels,
                                const std::vector<int> &ks,
                                const std::vector<Eigen::Index> &sample) {
    const auto m = static_cast<Eigen::Index>(sample.size());
    const std::size_t n = labels.size();
    std::vector<double> out(n, std::numeric_limits<double>::quiet_NaN());
    std::vector<std::vector<double>> members(n);
    std::vector<std::vector<int>> label(n, std::vector<int>(m));
    std::vector<std::size_t> todo; // the clusterings whose silhouette is defined
    for (std::size_t c = 0; c < n; c++) {
        if (!sample_members(*labels[c], ks[c], sample, members[c])) continue;
        for (Eigen::Index i = 0; i < m; i++) label[c][i] = (*labels[c])[sample[i]];
        todo.push_back(c);
    }
    if (todo.empty()) return out;
    Matrix s(m, x.cols()); // the sample, contiguous
    for (Eigen::Index i = 0; i < m; i++) s.row(i) = x.row(sample[i]);
    // Per clustering, sums[c] is k x m: row `cluster`, column j = the distances from point j to
    // that cluster's points, added in increasing point order (as pair_sums and row_sums add them).
    std::vector<std::vector<double>> sums(n);
    for (std::size_t c : todo) sums[c].assign(std::size_t(ks[c]) * m, 0.0);
    std::vector<double> d(m);
    const int dim = static_cast<int>(s.cols());
    for (Eigen::Index i = 0; i < m; i++) {
        if ((i & 63) == 0) check_interrupts();
        const double *p = s.row(i).data();
        for (Eigen::Index j = 0; j < m; j++) d[j] = std::sqrt(sqdist(p, s.row(j).data(), dim));
        d[i] = 0; // adding +0 leaves every sum as it is
        for (std::size_t c : todo) {
            double *row = sums[c].data() + std::size_t(label[c][i]) * m;
            for (Eigen::Index j = 0; j < m; j++) row[j] += d[j];
        }
    }
    for (std::size_t c : todo) {
        const double *t = sums[c].data();
        out[c] = mean_silhouette(m, ks[c], label[c], members[c], [&](Eigen::Index i, int cl) {
            return t[std::size_t(cl) * m + i];
        });
    }
    return out;
}

} // namespace dmine::kmeans
