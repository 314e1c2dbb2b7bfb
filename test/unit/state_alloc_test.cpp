// State memory: every container of an aggregate state allocates through the hooks.
#include "sketch/comoments.hpp"
#include "sketch/histogram.hpp"
#include "iforest/iforest_sample.hpp"
#include "kmeans/kmeans_refine.hpp"
#include "kmeans/kmeans_sample.hpp"
#include "core/state_alloc.hpp"
#include "core/state_matrix.hpp"
#include "sketch/value_summary.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <vector>

namespace dmine {
namespace {

// Test hooks: count live bytes, optionally fail, optionally return 8-but-not-16-aligned memory
// (as palloc may). A block starts with its size; its last header byte is the data's offset.
struct Counter {
    static inline std::int64_t live = 0, total = 0;
    static inline bool fail = false, misalign = false;

    static void *allocate(std::size_t bytes) noexcept {
        if (fail) return nullptr;
        auto *base = static_cast<unsigned char *>(std::malloc(bytes + 32));
        if (!base) return nullptr;
        const std::size_t shift = misalign ? 24 : 16; // malloc gives 16-byte alignment
        std::memcpy(base, &bytes, sizeof bytes);
        base[shift - 1] = static_cast<unsigned char>(shift);
        live += static_cast<std::int64_t>(bytes);
        total += static_cast<std::int64_t>(bytes);
        return base + shift;
    }
    static void release(void *p) noexcept {
        auto *q = static_cast<unsigned char *>(p);
        const std::size_t shift = q[-1];
        std::size_t bytes;
        std::memcpy(&bytes, q - shift, sizeof bytes);
        live -= static_cast<std::int64_t>(bytes);
        std::free(q - shift);
    }
};

// Installs the counting hooks for one test and puts the defaults back.
class StateMemory : public ::testing::Test {
protected:
    void SetUp() override {
        saved_ = state_memory_hooks;
        Counter::live = Counter::total = 0;
        Counter::fail = Counter::misalign = false;
        set_state_memory_hooks({&Counter::allocate, &Counter::release});
    }
    void TearDown() override { set_state_memory_hooks(saved_); }

private:
    StateMemoryHooks saved_{};
};

std::vector<double> values(int n, double scale = 1.0) {
    std::vector<double> v;
    for (int i = 0; i < n; i++) v.push_back(scale * std::sin(0.37 * i) + 0.001 * i);
    return v;
}

TEST_F(StateMemory, OverAlignedElementsAreAlignedAndFreedFromTheirBlock) {
    Counter::misalign = true; // 8- but not 16-byte aligned blocks, as palloc gives
    {
        StateVector<long double> v(5, 1.5L);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data()) % alignof(long double), 0u);
        v.resize(1000, 2.5L);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data()) % alignof(long double), 0u);
        EXPECT_EQ(v[0], 1.5L);
        EXPECT_EQ(v[999], 2.5L);
        EXPECT_GT(Counter::live, 0);
    }
    EXPECT_EQ(Counter::live, 0);
}

TEST_F(StateMemory, SummaryAndSketchAllocateThroughTheHooks) {
    {
        ValueSummary s;
        for (double x : values(50000)) s.add(x);
        EXPECT_GT(Counter::live, 50000 / 10); // the sketch holds thousands of values
        ValueSummary copy = s;
        copy.merge(s);
        EXPECT_EQ(copy.moments().count(), 100000u);
    }
    EXPECT_GT(Counter::total, 0);
    EXPECT_EQ(Counter::live, 0); // everything went back through the hooks
}

TEST_F(StateMemory, EveryStateContainerAllocatesThroughTheHooks) {
    {
        FixedHistogram h(1000, 0, 1);
        EXPECT_GE(Counter::live, 8000);
    }
    EXPECT_EQ(Counter::live, 0);
    {
        CoMoments m(100);
        EXPECT_GE(Counter::live, 100 * 100 * 8);
        std::vector<double> x(100, 1.0);
        m.add(x.data());
    }
    EXPECT_EQ(Counter::live, 0);
    {
        kmeans::PointSample s(1000, 0);
        for (double x : values(500)) s.add(&x, 1);
        EXPECT_GE(Counter::live, 500 * 16);
    }
    EXPECT_EQ(Counter::live, 0);
    {
        iforest::Options options;
        iforest::SamplePool pool(options, 2);
        for (double x : values(500)) {
            double row[2] = {x, -x};
            pool.add(row, 2);
        }
        EXPECT_GE(Counter::live, 500 * 24);
    }
    EXPECT_EQ(Counter::live, 0);
}

TEST_F(StateMemory, FailedAllocationIsBadAlloc) {
    ValueSummary s;
    Counter::fail = true;
    EXPECT_THROW(
        {
            for (double x : values(1000)) s.add(x);
        },
        std::bad_alloc);
    EXPECT_THROW(CoMoments(10), std::bad_alloc);
    Counter::fail = false;
}

TEST_F(StateMemory, HugeRequestIsBadAllocNotOverflow) {
    StateAllocator<double> a;
    EXPECT_THROW(a.allocate(std::numeric_limits<std::size_t>::max() / 4), std::bad_alloc);
}

// palloc gives 8-byte alignment, not malloc's 16: results must not depend on it.
TEST_F(StateMemory, SummaryDoesNotDependOnBufferAlignment) {
    auto describe_with = [](bool misalign, int seed) {
        Counter::misalign = misalign;
        ValueSummary s, small;
        for (int i = 0; i < 1000; i++) s.add(std::exp(10 * std::sin(0.37 * i + seed)));
        for (int i = 0; i < 7; i++) small.add(std::exp(10 * std::cos(0.37 * i + seed)));
        s.merge(small);
        return describe(s);
    };
    for (int seed = 0; seed < 20; seed++) {
        const Description a = describe_with(false, seed), b = describe_with(true, seed);
        EXPECT_EQ(a.mean, b.mean) << "seed " << seed;
        EXPECT_EQ(a.variance, b.variance) << "seed " << seed;
        EXPECT_EQ(a.skewness, b.skewness) << "seed " << seed;
        EXPECT_EQ(a.kurtosis, b.kurtosis) << "seed " << seed;
        EXPECT_EQ(a.quantiles, b.quantiles) << "seed " << seed;
    }
}

TEST_F(StateMemory, StateDenseBehavesAsAnEigenObject) {
    {
        StateMatrixXd m;
        EXPECT_EQ(m.size(), 0);
        m = Eigen::MatrixXd::Identity(3, 4);
        EXPECT_EQ(m.rows(), 3);
        EXPECT_EQ(m.cols(), 4);
        EXPECT_EQ(m(1, 1), 1.0);
        StateMatrixXd copy = m;
        copy(1, 1) = 5;
        EXPECT_EQ(m(1, 1), 1.0); // a deep copy
        m += copy;
        EXPECT_EQ(m(1, 1), 6.0);
        StateMatrixXd moved = std::move(copy);
        EXPECT_EQ(moved(1, 1), 5.0);
        EXPECT_EQ(copy.size(), 0);
        moved = moved.transpose().eval(); // resizes
        EXPECT_EQ(moved.rows(), 4);
        EXPECT_EQ(moved(1, 1), 5.0);

        StateVectorXd v;
        v.resize(3);
        v.setConstant(2);
        Eigen::VectorXd w = m.topLeftCorner(3, 3) * v;
        EXPECT_EQ(w(1), 12.0);
        EXPECT_GT(Counter::live, 0);
    }
    EXPECT_EQ(Counter::live, 0);
}

TEST_F(StateMemory, CoMomentsCopiesAndMergesAsBefore) {
    CoMoments a(3), b(3);
    for (int i = 0; i < 50; i++) {
        double x[3] = {double(i), std::sin(i), double(i % 7)};
        (i % 2 ? a : b).add(x);
    }
    CoMoments whole = a;
    whole.merge(b);
    CoMoments empty;
    empty.merge(whole); // takes a copy
    EXPECT_EQ(empty.count(), 50u);
    EXPECT_EQ(empty.covariance(), whole.covariance());
    EXPECT_NEAR(whole.correlation()(0, 0), 1.0, 0);
    ByteWriter out;
    whole.serialize(out);
    ByteReader in(out.bytes().data(), out.bytes().size());
    EXPECT_EQ(CoMoments::deserialize(in).covariance(), whole.covariance());
}

} // namespace
} // namespace dmine
