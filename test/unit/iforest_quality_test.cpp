// Isolation Forest quality: AUC on the ODDS benchmarks against Liu, Ting & Zhou (2008).
#include "iforest_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdio>

namespace dmine::iforest {
namespace {

using testing::auc;
using testing::read_anomaly_set;

struct PaperRow {
    const char *name;
    double paper_auc;
};

void PrintTo(const PaperRow &row, std::ostream *out) {
    *out << row.name;
}

class IforestQuality : public ::testing::TestWithParam<PaperRow> {};

// Mean AUC over seeds 0..4 at the paper's defaults (100 trees, ψ = 256) must be at most 0.02
// below the paper's figure.
TEST_P(IforestQuality, AucWithinPaperMargin) {
    const PaperRow &row = GetParam();
    if (!testing::exists(testing::anomaly_path(row.name)))
        GTEST_SKIP() << "reference data absent: " << testing::anomaly_path(row.name);
    auto table = read_anomaly_set(row.name);
    ASSERT_GT(table.rows(), 0u);
    double sum = 0.0;
    for (std::uint64_t seed = 0; seed < 5; seed++) {
        Options options;
        options.seed = seed;
        Forest forest = testing::fit_rows(table.x, table.dim, options);
        sum += auc(testing::scores_of(forest, table.x), table.y);
    }
    double mean = sum / 5.0;
    std::printf("[ iforest  ] %-12s AUC %.3f (paper %.2f)\n", row.name, mean, row.paper_auc);
    RecordProperty("auc", std::to_string(mean));
    EXPECT_GE(mean, row.paper_auc - 0.02);
}

INSTANTIATE_TEST_SUITE_P(Paper, IforestQuality,
                         ::testing::Values(PaperRow{"shuttle", 1.00}, PaperRow{"mammography", 0.86},
                                           PaperRow{"annthyroid", 0.82},
                                           PaperRow{"satellite", 0.71}, PaperRow{"pima", 0.67},
                                           PaperRow{"breastw", 0.99}, PaperRow{"arrhythmia", 0.80},
                                           PaperRow{"ionosphere", 0.85}, PaperRow{"smtp", 0.88}),
                         [](const auto &info) { return std::string(info.param.name); });

} // namespace
} // namespace dmine::iforest
