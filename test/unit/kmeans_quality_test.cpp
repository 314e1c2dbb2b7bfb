// K-Means quality against the clustering benchmark: scikit-learn's best SSE and centroid index.
#include "kmeans/kmeans_model.hpp"
#include "kmeans_test_data.hpp"
#include "kmeans/kmeans_train.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace dmine::kmeans {
namespace {

using namespace testing;

struct Case {
    const char *name;
    bool ci_zero; // the centroid index must be 0
};

class KmeansQuality : public ::testing::TestWithParam<Case> {};

TEST_P(KmeansQuality, MatchesScikitLearnBestSseAtTrueK) {
    if (!have_clustering_data()) {
        GTEST_SKIP() << "reference data not found";
    }
    const Case &c = GetParam();
    Dataset d = load(c.name);
    ASSERT_GT(d.x.rows(), 0);
    Options o;
    o.scale = false;
    auto t0 = std::chrono::steady_clock::now();
    Model m = train(store_of(d.x), d.true_k, o);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double bar = sklearn_best_sse().at(c.name);
    int ci = d.x.cols() == 2 ? centroid_index(centroid_matrix(m), truth_centroids(d)) : -1;
    std::printf("%-10s k=%2d SSE %.6e  ratio to scikit-learn best %.6f  CI %d  %.2fs\n", c.name,
                d.true_k, m.inertia(), m.inertia() / bar, ci, secs);
    EXPECT_LE(m.inertia(), 1.001 * bar);
    if (c.ci_zero) {
        EXPECT_EQ(ci, 0);
    }
}

INSTANTIATE_TEST_SUITE_P(Kmeans, KmeansQuality,
                         ::testing::Values(Case{"s1", true}, Case{"s2", true}, Case{"s3", true},
                                           Case{"s4", true}, Case{"a1", true}, Case{"a2", true},
                                           Case{"a3", true}, Case{"unbalance", true},
                                           Case{"iris", false}, Case{"wine", false}),
                         [](const auto &info) { return std::string(info.param.name); });

} // namespace
} // namespace dmine::kmeans
