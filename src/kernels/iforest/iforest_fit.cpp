// Growing isolation trees.
#include "iforest/iforest_fit.hpp"

#include "core/errors.hpp"
#include "core/interrupt.hpp"
#include "core/model_check.hpp"
#include "core/rng.hpp"
#include "core/wide_range.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace dmine::iforest {

namespace {

// Grows one tree on `rows` (column-major, psi rows of dim values).
class TreeGrower {
public:
    TreeGrower(const std::vector<double> &columns, int psi, int dim, int max_depth,
               std::uint64_t seed)
        : columns_(columns), psi_(psi), dim_(dim), max_depth_(max_depth), rng_(seed), order_(psi),
          candidates_(dim) {}

    TreeNodes grow() {
        std::iota(order_.begin(), order_.end(), 0);
        add_node(psi_);
        stack_.push_back({0, 0, psi_, 0});
        while (!stack_.empty()) {
            Pending p = stack_.back();
            stack_.pop_back();
            split(p);
        }
        return std::move(nodes_);
    }

private:
    struct Pending {
        std::int32_t node;
        int begin, end, depth;
    };

    void add_node(int size) {
        nodes_.feature.push_back(-1);
        nodes_.threshold.push_back(0.0);
        nodes_.left.push_back(-1);
        nodes_.size.push_back(static_cast<std::uint32_t>(size));
    }

    // Split node p on a random non-constant feature, or leave it a leaf.
    void split(const Pending &p) {
        if (p.end - p.begin < 2 || p.depth >= max_depth_) return;
        std::iota(candidates_.begin(), candidates_.end(), 0);
        for (int remaining = dim_; remaining > 0;) {
            auto pick = static_cast<int>(rng_.below(static_cast<std::uint64_t>(remaining)));
            int f = candidates_[pick];
            std::swap(candidates_[pick], candidates_[--remaining]);
            const double *column = columns_.data() + std::size_t(f) * psi_;
            double lo = column[order_[p.begin]], hi = lo;
            for (int k = p.begin + 1; k < p.end; k++) {
                double v = column[order_[k]];
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            if (!(hi > lo)) continue; // constant here: draw another feature
            // lo + u (hi - lo), finite even where hi - lo overflows (±1e308)
            double threshold = wide::lerp(lo, hi, rng_.uniform());
            if (threshold >= hi) threshold = lo; // keep both sides non-empty
            int middle = partition(column, p.begin, p.end, threshold);
            auto left = static_cast<std::int32_t>(nodes_.feature.size());
            nodes_.feature[p.node] = f;
            nodes_.threshold[p.node] = threshold;
            nodes_.left[p.node] = left;
            add_node(middle - p.begin);
            add_node(p.end - middle);
            stack_.push_back({left + 1, middle, p.end, p.depth + 1});
            stack_.push_back({left, p.begin, middle, p.depth + 1});
            return;
        }
    }

    // Reorder order_[begin, end) so rows with value <= threshold come first; return the split.
    int partition(const double *column, int begin, int end, double threshold) {
        auto first = order_.begin() + begin, last = order_.begin() + end;
        auto mid = std::partition(first, last, [&](int r) { return column[r] <= threshold; });
        return static_cast<int>(mid - order_.begin());
    }

    const std::vector<double> &columns_;
    int psi_, dim_, max_depth_;
    Rng rng_;
    std::vector<int> order_;
    std::vector<int> candidates_;
    std::vector<Pending> stack_;
    TreeNodes nodes_;
};

// Copy the pool rows listed in `pick` into column-major order.
void gather_columns(const std::vector<double> &rows, int dim, const std::uint32_t *pick, int psi,
                    std::vector<double> &columns) {
    columns.resize(std::size_t(psi) * dim);
    for (int r = 0; r < psi; r++) {
        const double *row = rows.data() + std::size_t(pick[r]) * dim;
        for (int f = 0; f < dim; f++) columns[std::size_t(f) * psi + r] = row[f];
    }
}

double fitted_threshold(const Forest &forest, const std::vector<double> &rows, double share) {
    if (share < 0.0) return 0.5;
    std::size_t n = rows.size() / forest.dim();
    std::vector<double> scores(n);
    forest.score_rows(rows.data(), n, scores.data());
    return quantile(std::move(scores), 1.0 - share);
}

} // namespace

int default_max_depth(int sample_size) {
    int depth = 0;
    while ((std::uint64_t(1) << depth) < std::uint64_t(sample_size)) depth++;
    return std::max(depth, 1);
}

double quantile(std::vector<double> values, double q) {
    if (values.empty()) fail(ErrorKind::Internal, "quantile of no values");
    double position = q * double(values.size() - 1);
    auto low = static_cast<std::size_t>(std::floor(position));
    if (low >= values.size() - 1) return *std::max_element(values.begin(), values.end());
    std::nth_element(values.begin(), values.begin() + low, values.end());
    double a = values[low];
    double b = *std::min_element(values.begin() + low + 1, values.end());
    return a + (position - double(low)) * (b - a);
}

Forest fit(const SamplePool &pool) {
    const Options &options = pool.options();
    if (pool.rows_seen() < 2)
        fail(ErrorKind::Data,
             "Isolation Forest needs at least 2 rows, got " + std::to_string(pool.rows_seen()));
    int dim = pool.dim();
    std::vector<double> rows = pool.rows_by_key();
    auto m = static_cast<std::uint32_t>(pool.size());
    int psi = static_cast<int>(std::min<std::uint64_t>(options.sample_size, m));

    ForestHeader header;
    header.dim = dim;
    header.n_trees = options.n_trees;
    header.sample_size = psi;
    header.max_depth = options.max_depth > 0 ? options.max_depth : default_max_depth(psi);
    header.rows_seen = pool.rows_seen();
    header.nulls_skipped = pool.nulls_skipped();
    header.seed = options.seed;
    header.contamination = contamination_is_auto(options) ? -1.0 : options.contamination;

    std::vector<std::uint32_t> perm(m);
    std::iota(perm.begin(), perm.end(), 0u);
    Rng draw(mix64(options.seed ^ 0x5eed5eed5eed5eedULL));
    std::vector<double> columns;
    std::vector<TreeNodes> trees;
    trees.reserve(options.n_trees);
    for (int t = 0; t < options.n_trees; t++) {
        for (int r = 0; r < psi; r++) // partial Fisher-Yates: perm[0, psi) is the tree's sample
            std::swap(perm[r], perm[r + draw.below(m - r)]);
        gather_columns(rows, dim, perm.data(), psi, columns);
        TreeGrower grower(columns, psi, dim, header.max_depth, mix64(draw.next()));
        trees.push_back(grower.grow());
        check_interrupts();
    }
    Forest forest = Forest::assemble(header, trees, ErrorKind::Internal);
    forest.set_threshold(fitted_threshold(forest, rows, options.contamination));
    ensure_readable(forest);
    return forest;
}

} // namespace dmine::iforest
