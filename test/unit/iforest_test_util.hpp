// Helpers for the Isolation Forest tests: reference data, fitting a matrix, AUC.
#pragma once

#include "iforest/iforest_fit.hpp"
#include "iforest/iforest_sample.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace dmine::iforest::testing {

struct Table {
    int dim = 0;
    std::vector<double> x; // row-major
    std::vector<int> y;
    std::size_t rows() const { return y.size(); }
};

inline std::string anomaly_path(const std::string &name) {
    return std::string(DMINE_SHARED_DATA) + "/anomaly/" + name + ".csv.gz";
}

inline bool exists(const std::string &path) {
    return std::ifstream(path).good();
}

// Read `id, x0 ... x(d-1), y` from a gzip CSV with a header line.
inline Table read_anomaly_set(const std::string &name) {
    Table table;
    std::string command = "gzip -dc '" + anomaly_path(name) + "'";
    FILE *pipe = popen(command.c_str(), "r");
    if (!pipe) return table;
    std::string text;
    char buffer[1 << 16];
    for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
    pclose(pipe);
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line); // header
    table.dim = static_cast<int>(std::count(line.begin(), line.end(), ',')) - 1;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        std::istringstream cells(line);
        std::string cell;
        std::vector<double> values;
        while (std::getline(cells, cell, ',')) values.push_back(std::stod(cell));
        for (int j = 1; j <= table.dim; j++) table.x.push_back(values[j]);
        table.y.push_back(static_cast<int>(values.back()));
    }
    return table;
}

inline SamplePool pool_of(const std::vector<double> &x, int dim, const Options &options,
                          std::uint64_t stream = 0) {
    SamplePool pool(options, dim, stream);
    for (std::size_t r = 0; r * dim < x.size(); r++) pool.add(x.data() + r * dim, dim);
    return pool;
}

inline Forest fit_rows(const std::vector<double> &x, int dim, const Options &options = {}) {
    return fit(pool_of(x, dim, options));
}

inline std::vector<double> scores_of(const Forest &forest, const std::vector<double> &x) {
    std::vector<double> s(x.size() / forest.dim());
    forest.score_rows(x.data(), s.size(), s.data());
    return s;
}

// Area under the ROC curve of `scores` for labels `y` (1 = positive), ties counted half.
inline double auc(const std::vector<double> &scores, const std::vector<int> &y) {
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return scores[a] < scores[b]; });
    double rank_sum = 0.0, positives = 0.0;
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j < order.size() && scores[order[j]] == scores[order[i]]) j++;
        double mean_rank = (double(i) + double(j - 1)) / 2.0 + 1.0;
        for (std::size_t k = i; k < j; k++)
            if (y[order[k]] == 1) {
                rank_sum += mean_rank;
                positives++;
            }
        i = j;
    }
    double negatives = double(scores.size()) - positives;
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives);
}

} // namespace dmine::iforest::testing
