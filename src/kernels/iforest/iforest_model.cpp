// Isolation Forest model: validation of the trees, flat layout and scoring.
#include "iforest/iforest_model.hpp"

#include "core/interrupt.hpp"
#include "iforest/iforest_options.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace dmine::iforest {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

double average_path_length(double n) {
    constexpr double kEuler = 0.5772156649015329;
    if (n <= 1.0) return 0.0;
    if (n <= 2.0) return 1.0;
    return 2.0 * (std::log(n - 1.0) + kEuler) - 2.0 * (n - 1.0) / n;
}

namespace {

[[noreturn]] void invalid(ErrorKind kind, const std::string &what) {
    const char *prefix = kind == ErrorKind::Corrupted ? "corrupted Isolation Forest model: "
                                                      : "invalid Isolation Forest model: ";
    fail(kind, prefix + what);
}

} // namespace

// The invariants of a forest, checked on every decoded value (text and binary) and every
// fitted one. Header: 1 <= dim <= kMaxDim, 1 <= n_trees <= kMaxTrees, sample_size in
// [kMinSampleSize, kMaxSampleSize], 1 <= max_depth <= kMaxDepthLimit, sample_size <= rows_seen,
// rows_seen, nulls_skipped and seed representable as bigint, contamination 'auto' (-1) or in
// (0, 0.5], threshold in (0, 1]. Each tree (validate_tree): 1 to 2 * sample_size - 1 nodes,
// node arrays of one length; a split node has a feature < dim, a finite threshold and children
// left and left + 1 that come after it and within the tree; every node but the root is the
// child of exactly one node (so the tree is connected and, children following their parent,
// acyclic); depth <= max_depth; sizes >= 1, the root's equal to sample_size and each split's
// the sum of its children's; a leaf has feature -1 and left -1.
void validate_header(const ForestHeader &h, ErrorKind kind) {
    if (h.dim < 1 || h.dim > kMaxDim) invalid(kind, "number of features out of range");
    if (h.n_trees < 1 || h.n_trees > kMaxTrees) invalid(kind, "n_trees out of range");
    if (h.sample_size < kMinSampleSize || h.sample_size > kMaxSampleSize)
        invalid(kind, "sample_size out of range");
    if (h.max_depth < 1 || h.max_depth > kMaxDepthLimit) invalid(kind, "max_depth out of range");
    if (h.rows_seen < std::uint64_t(h.sample_size))
        invalid(kind, "rows_seen is smaller than sample_size");
    constexpr std::uint64_t kMaxCount = INT64_MAX; // reported as bigint
    if (h.rows_seen > kMaxCount || h.nulls_skipped > kMaxCount - h.rows_seen)
        invalid(kind, "rows_seen and nulls_skipped must be representable as bigint");
    if (h.seed > kMaxCount) invalid(kind, "seed out of range");
    // 'auto' is stored as -1 exactly: the text form has no other negative value.
    if (!(h.contamination == -1.0 || (h.contamination > 0.0 && h.contamination <= 0.5)))
        invalid(kind, "contamination out of range");
    if (!(h.threshold > 0.0 && h.threshold <= 1.0)) invalid(kind, "threshold out of (0, 1]");
}

namespace {

// Check one tree against the invariants above. Returns the node depths.
std::vector<std::uint8_t> validate_tree(const ForestHeader &h, const TreeNodes &tree, int t,
                                        ErrorKind kind) {
    std::size_t k = tree.feature.size();
    auto where = [t](std::size_t i) {
        return "tree " + std::to_string(t) + " node " + std::to_string(i) + ": ";
    };
    if (k == 0 || k > 2 * std::size_t(h.sample_size) - 1)
        invalid(kind, "tree " + std::to_string(t) + " has a node count out of range");
    if (tree.threshold.size() != k || tree.left.size() != k || tree.size.size() != k)
        invalid(kind, "tree " + std::to_string(t) + " has node arrays of different lengths");
    if (tree.size[0] != std::uint32_t(h.sample_size))
        invalid(kind, where(0) + "root size differs from sample_size");
    std::vector<std::uint8_t> depth(k, 0);
    std::vector<bool> has_parent(k, false);
    for (std::size_t i = 0; i < k; i++) {
        if (i > 0 && !has_parent[i]) invalid(kind, where(i) + "not reached from the root");
        if (tree.size[i] < 1) invalid(kind, where(i) + "empty node");
        std::int32_t f = tree.feature[i];
        if (f < 0) {
            if (f != -1 || tree.left[i] != -1) invalid(kind, where(i) + "malformed leaf");
            continue;
        }
        if (f >= h.dim) invalid(kind, where(i) + "feature out of range");
        if (!std::isfinite(tree.threshold[i])) invalid(kind, where(i) + "threshold not finite");
        std::int64_t l = tree.left[i];
        if (l <= std::int64_t(i) || l + 1 >= std::int64_t(k))
            invalid(kind, where(i) + "child index out of range");
        if (depth[i] >= h.max_depth) invalid(kind, where(i) + "deeper than max_depth");
        if (std::uint64_t(tree.size[l]) + tree.size[l + 1] != tree.size[i])
            invalid(kind, where(i) + "children sizes do not add up");
        for (std::int64_t c = l; c <= l + 1; c++) {
            // A second parent is refused at once: no counter to wrap.
            if (has_parent[c]) invalid(kind, where(c) + "child of more than one node");
            has_parent[c] = true;
            depth[c] = static_cast<std::uint8_t>(depth[i] + 1);
        }
    }
    return depth;
}

} // namespace

Forest Forest::assemble(const ForestHeader &header, const std::vector<TreeNodes> &trees,
                        ErrorKind kind) {
    validate_header(header, kind);
    if (trees.size() != std::size_t(header.n_trees))
        invalid(kind, "tree count differs from n_trees");
    Forest forest;
    forest.header_ = header;
    forest.c_psi_ = average_path_length(header.sample_size);
    forest.roots_.reserve(trees.size() + 1);
    for (std::size_t t = 0; t < trees.size(); t++) {
        const TreeNodes &tree = trees[t];
        auto depth = validate_tree(header, tree, static_cast<int>(t), kind);
        std::size_t base = forest.links_.size();
        if (base + tree.feature.size() > std::size_t(INT32_MAX)) invalid(kind, "too many nodes");
        forest.roots_.push_back(static_cast<std::uint32_t>(base));
        for (std::size_t i = 0; i < tree.feature.size(); i++) {
            bool leaf = tree.feature[i] < 0;
            auto left = static_cast<std::uint32_t>(base + (leaf ? i : std::size_t(tree.left[i])));
            auto feature = static_cast<std::uint32_t>(leaf ? header.dim : tree.feature[i]);
            forest.links_.push_back({left, feature});
            forest.value_.push_back(leaf ? depth[i] + average_path_length(tree.size[i])
                                         : tree.threshold[i]);
            forest.size_.push_back(tree.size[i]);
            forest.depth_.push_back(depth[i]);
            forest.walk_depth_ = std::max<int>(forest.walk_depth_, depth[i]);
        }
        if (t % 64 == 63) check_interrupts();
    }
    forest.roots_.push_back(static_cast<std::uint32_t>(forest.links_.size()));
    return forest;
}

TreeNodes Forest::tree(int t) const {
    TreeNodes nodes;
    std::uint32_t begin = roots_[t], end = roots_[t + 1];
    for (std::uint32_t i = begin; i < end; i++) {
        bool leaf = is_leaf(i);
        nodes.feature.push_back(leaf ? -1 : static_cast<std::int32_t>(links_[i].feature));
        nodes.threshold.push_back(leaf ? 0.0 : value_[i]);
        nodes.left.push_back(leaf ? -1 : static_cast<std::int32_t>(links_[i].left - begin));
        nodes.size.push_back(size_[i]);
    }
    return nodes;
}

void Forest::check_dim(int dim) const {
    if (dim != header_.dim)
        fail(ErrorKind::DimensionMismatch,
             "the model expects " + std::to_string(header_.dim) + " features, got " +
                 std::to_string(dim),
             {}, "Pass the same features, in the same order, as when the model was fitted.");
}

// Sum of the path lengths of x in trees [first, first + count), count <= Lanes, walking Lanes
// trees together so that their independent loads overlap (a short group repeats its last tree).
template <int Lanes> double Forest::walk_group(const double *x, int first, int count) const {
    const Link *links = links_.data();
    const double *value = value_.data();
    std::uint32_t node[Lanes]; // unsigned: no sign extension when indexing
    for (int k = 0; k < Lanes; k++) node[k] = roots_[first + std::min(k, count - 1)];
    for (int step = 0; step < walk_depth_; step++)
#pragma GCC unroll 32
        for (int k = 0; k < Lanes; k++) {
            Link link = links[node[k]];
            node[k] = link.left + (value[node[k]] < x[link.feature]);
        }
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0; // independent additions
    int k = 0;
    for (; k + 4 <= count; k += 4) {
        s0 += value[node[k]];
        s1 += value[node[k + 1]];
        s2 += value[node[k + 2]];
        s3 += value[node[k + 3]];
    }
    for (; k < count; k++) s0 += value[node[k]];
    return (s0 + s1) + (s2 + s3);
}

double Forest::mean_path_length(const double *row) const {
    constexpr int kWide = 20, kNarrow = 4, kSmall = 64;
    const int dim = header_.dim, n_trees = header_.n_trees;
    double small[kSmall + 1];
    std::vector<double> large(dim < kSmall ? 0 : dim + 1);
    double *x = dim < kSmall ? small : large.data();
    std::copy(row, row + dim, x);
    x[dim] = -kInfinity;
    double sum = 0.0;
    int t = 0;
    for (; t + kWide <= n_trees; t += kWide) sum += walk_group<kWide>(x, t, kWide);
    for (; t < n_trees; t += kNarrow)
        sum += walk_group<kNarrow>(x, t, std::min(kNarrow, n_trees - t));
    return sum / n_trees;
}

double Forest::score(const double *x) const {
    return std::exp2(-mean_path_length(x) / c_psi_);
}

void Forest::score_rows(const double *x, std::size_t rows, double *out) const {
    for (std::size_t r = 0; r < rows; r++) {
        out[r] = score(x + r * header_.dim);
        if (r % 1024 == 1023) check_interrupts();
    }
}

} // namespace dmine::iforest
