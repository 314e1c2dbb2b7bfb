// A fitted Isolation Forest: flat trees, anomaly scores, the anomaly threshold, and its
// binary (sealed) and JSON forms.
//
// Nodes of all trees live in one struct-of-arrays: links (left child and split feature, packed
// as they are read together), values, sizes. Node i sends x to link[i].left when
// x[link[i].feature] <= value[i] and to link[i].left + 1 otherwise. A leaf links to itself on
// feature `dim`, a slot the walk sets to -infinity, so it never moves on and every walk takes
// the same number of steps (the forest's depth) without a branch on leaves, many trees at once;
// a leaf's value is its path length depth + c(size), read where the walk ends. Children always
// follow their parent, so a walk only moves forward and stays in its tree; decode() checks this
// for every value.
#pragma once

#include "core/errors.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmine::iforest {

// Average path length of an unsuccessful search in a binary search tree of n points
// (scikit-learn's _average_path_length): 0 for n <= 1, 1 for n = 2,
// 2 (ln(n - 1) + Euler's constant) - 2 (n - 1) / n beyond.
double average_path_length(double n);

// One tree as stored: indices are local to the tree, node 0 is the root.
struct TreeNodes {
    std::vector<std::int32_t> feature; // split feature, -1 at a leaf
    std::vector<double> threshold;     // split value, 0 at a leaf
    std::vector<std::int32_t> left;    // left child (right is left + 1), -1 at a leaf
    std::vector<std::uint32_t> size;   // training rows of the tree that reach the node
};

struct ForestHeader {
    int dim = 0;
    int n_trees = 0;
    int sample_size = 0; // ψ, rows per tree
    int max_depth = 0;
    std::uint64_t rows_seen = 0;
    std::uint64_t nulls_skipped = 0; // NULL feature arrays left out of the fit
    std::uint64_t seed = 0;
    double contamination = -1.0; // < 0: 'auto'
    double threshold = 0.5;      // a row is an anomaly when its score exceeds it
};

// Fail with `kind` unless every header field is in its range.
void validate_header(const ForestHeader &header, ErrorKind kind);

// Where a node leads: children left and left + 1, split on `feature` (a leaf: itself, dim).
struct Link {
    std::uint32_t left;
    std::uint32_t feature;
};

class Forest {
public:
    // Validate `trees` against `header` and build the flat form; failures raise `kind`
    // (ErrorKind::Corrupted for binary values, ErrorKind::InvalidText for text).
    static Forest assemble(const ForestHeader &header, const std::vector<TreeNodes> &trees,
                           ErrorKind kind);

    // Binary form inside the model envelope, and back (ErrorKind::Corrupted on any defect).
    std::vector<std::uint8_t> encode() const;
    static Forest decode(const void *data, std::size_t size);

    // Readable JSON with every tree, and back (ErrorKind::InvalidText on any defect).
    std::string to_json() const;
    static Forest from_json(const std::string &text);
    // A summary without the trees.
    std::string info_json() const;

    // Mean path length E[h(x)] over the trees; x has dim() values.
    double mean_path_length(const double *x) const;
    // s(x, ψ) = 2^(-E[h(x)] / c(ψ)), in (0, 1]; higher is more anomalous.
    double score(const double *x) const;
    // Scores of `rows` row-major rows.
    void score_rows(const double *x, std::size_t rows, double *out) const;
    bool is_anomaly(const double *x) const { return score(x) > header_.threshold; }

    // Fail with ErrorKind::DimensionMismatch unless `dim` matches the model.
    void check_dim(int dim) const;

    const ForestHeader &header() const noexcept { return header_; }
    int dim() const noexcept { return header_.dim; }
    int n_trees() const noexcept { return header_.n_trees; }
    double threshold() const noexcept { return header_.threshold; }
    void set_threshold(double threshold) { header_.threshold = threshold; }
    std::size_t node_count() const noexcept { return links_.size(); }

    // Flat nodes, for explanations: global indices; the root of tree t is root(t).
    std::uint32_t root(int t) const noexcept { return roots_[t]; }
    const Link &link(std::uint32_t node) const noexcept { return links_[node]; }
    double value(std::uint32_t node) const noexcept { return value_[node]; }
    std::uint32_t size(std::uint32_t node) const noexcept { return size_[node]; }
    bool is_leaf(std::uint32_t node) const noexcept { return links_[node].left == node; }
    // At a leaf: its path length depth + c(size).
    double path_length(std::uint32_t node) const noexcept { return value_[node]; }

private:
    TreeNodes tree(int t) const;
    // x is the row followed by -infinity (the leaves' feature).
    template <int Lanes> double walk_group(const double *x, int first, int count) const;

    ForestHeader header_;
    double c_psi_ = 1.0;
    int walk_depth_ = 0;               // the deepest leaf of any tree
    std::vector<std::uint32_t> roots_; // n_trees + 1 entries: the last is the node count
    std::vector<Link> links_;
    std::vector<double> value_; // split value, or a leaf's path length
    std::vector<std::uint32_t> size_;
    std::vector<std::uint8_t> depth_;
};

} // namespace dmine::iforest
