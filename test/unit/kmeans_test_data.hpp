// Reference data for the K-Means tests: the clustering benchmark sets beside the checkout.
#pragma once

#include "kmeans/kmeans_sample.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace dmine::kmeans::testing {

struct Dataset {
    Matrix x;
    std::vector<int> labels; // ground truth, 0-based dense
    int true_k = 0;
};

inline std::string clustering_dir() {
    return std::string(DMINE_SHARED_DATA) + "/clustering";
}

inline bool have_clustering_data() {
    return std::ifstream(clustering_dir() + "/sklearn_kmeanspp_sse.csv").good();
}

// Read `name`.csv.gz: id, x0..x(d-1), label.
inline Dataset load(const std::string &name) {
    Dataset out;
    std::string cmd = "gzip -dc '" + clustering_dir() + "/" + name + ".csv.gz'";
    FILE *pipe = popen(cmd.c_str(), "r");
    if (!pipe) return out;
    std::string text;
    char buf[65536];
    std::size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, got);
    pclose(pipe);
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line); // header
    std::vector<std::vector<double>> rows;
    std::map<long, int> label_ids;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        std::vector<double> cells;
        std::istringstream cs(line);
        std::string cell;
        while (std::getline(cs, cell, ',')) cells.push_back(std::stod(cell));
        long label = std::lround(cells.back());
        auto it = label_ids.emplace(label, static_cast<int>(label_ids.size())).first;
        out.labels.push_back(it->second);
        rows.emplace_back(cells.begin() + 1, cells.end() - 1);
    }
    out.true_k = static_cast<int>(label_ids.size());
    out.x.resize(rows.size(), rows.empty() ? 0 : rows[0].size());
    for (std::size_t i = 0; i < rows.size(); i++)
        for (std::size_t j = 0; j < rows[i].size(); j++) out.x(i, j) = rows[i][j];
    return out;
}

// scikit-learn's best k-means++ SSE per data set.
inline std::map<std::string, double> sklearn_best_sse() {
    std::map<std::string, double> out;
    std::ifstream in(clustering_dir() + "/sklearn_kmeanspp_sse.csv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        auto a = line.find(','), b = line.rfind(',');
        out[line.substr(0, a)] = std::stod(line.substr(b + 1));
    }
    return out;
}

// Means of the ground-truth partitions.
inline Matrix truth_centroids(const Dataset &d) {
    Matrix c = Matrix::Zero(d.true_k, d.x.cols());
    std::vector<double> n(d.true_k, 0);
    for (Eigen::Index i = 0; i < d.x.rows(); i++) {
        c.row(d.labels[i]) += d.x.row(i);
        n[d.labels[i]] += 1;
    }
    for (int j = 0; j < d.true_k; j++) c.row(j) /= n[j];
    return c;
}

// Centroids of `b` that no centroid of `a` has as its nearest.
inline int orphans(const Matrix &a, const Matrix &b) {
    std::vector<int> hit(b.rows(), 0);
    for (Eigen::Index i = 0; i < a.rows(); i++) {
        Eigen::Index best = 0;
        (b.rowwise() - a.row(i)).rowwise().squaredNorm().minCoeff(&best);
        hit[best] = 1;
    }
    int count = 0;
    for (int h : hit) count += h == 0;
    return count;
}

// Centroid index (Franti et al. 2014): 0 when every true cluster has its own centroid.
inline int centroid_index(const Matrix &found, const Matrix &truth) {
    return std::max(orphans(found, truth), orphans(truth, found));
}

// A store holding every row of x.
inline PointSample store_of(const Matrix &x, std::uint64_t sample_size = 100000) {
    PointSample s(sample_size, 0);
    for (Eigen::Index i = 0; i < x.rows(); i++) s.add(x.row(i).data(), static_cast<int>(x.cols()));
    return s;
}

// The model's centroids as a matrix.
template <typename M> Matrix centroid_matrix(const M &m) {
    Matrix c(m.k, m.dim);
    for (int i = 0; i < m.k; i++)
        for (int j = 0; j < m.dim; j++) c(i, j) = m.centroids[std::size_t(i) * m.dim + j];
    return c;
}

} // namespace dmine::kmeans::testing
