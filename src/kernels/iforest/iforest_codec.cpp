// Isolation Forest model: binary envelope and JSON text.
#include "iforest/iforest_model.hpp"

#include "core/bytes.hpp"
#include "iforest/iforest_options.hpp"
#include "core/json_input.hpp"
#include "core/model_format.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <initializer_list>

namespace dmine::iforest {

namespace {

constexpr std::uint32_t kModelMagic = 0x46494d44; // "DMIF"
constexpr std::uint16_t kModelVersion = 1;
constexpr const char *kFormatName = "dmine.iforest";

using nlohmann::json;

[[noreturn]] void bad_text(const std::string &what) {
    fail(ErrorKind::InvalidText, "invalid Isolation Forest model: " + what);
}

const json &member(const json &object, const char *key) {
    auto it = object.find(key);
    if (it == object.end()) bad_text(std::string("missing key \"") + key + "\"");
    return *it;
}

std::int64_t integer_member(const json &object, const char *key, std::int64_t low,
                            std::int64_t high) {
    const json &value = member(object, key);
    if (!value.is_number_integer() ||
        (value.is_number_unsigned() && value.get<std::uint64_t>() > std::uint64_t(INT64_MAX)))
        bad_text(std::string("\"") + key + "\" must be an integer");
    std::int64_t v = value.get<std::int64_t>();
    if (v < low || v > high) bad_text(std::string("\"") + key + "\" out of range");
    return v;
}

double number_member(const json &object, const char *key) {
    const json &value = member(object, key);
    if (!value.is_number()) bad_text(std::string("\"") + key + "\" must be a number");
    return value.get<double>();
}

template <typename T>
std::vector<T> integer_array(const json &tree, const char *key, std::int64_t low,
                             std::int64_t high) {
    const json &array = member(tree, key);
    if (!array.is_array()) bad_text(std::string("\"") + key + "\" must be an array");
    std::vector<T> values;
    values.reserve(array.size());
    for (const json &v : array) {
        if (!v.is_number_integer()) bad_text(std::string("\"") + key + "\" holds a non-integer");
        std::int64_t x = v.is_number_unsigned() && v.get<std::uint64_t>() > INT64_MAX
                             ? high + 1
                             : v.get<std::int64_t>();
        if (x < low || x > high)
            bad_text(std::string("\"") + key + "\" holds a value out of range");
        values.push_back(static_cast<T>(x));
    }
    return values;
}

std::vector<double> threshold_array(const json &tree) {
    const json &array = member(tree, "threshold");
    if (!array.is_array()) bad_text("\"threshold\" must be an array");
    std::vector<double> values;
    values.reserve(array.size());
    for (const json &v : array) {
        if (v.is_null())
            values.push_back(std::nan("")); // a leaf; an internal node then fails validation
        else if (v.is_number())
            values.push_back(v.get<double>());
        else
            bad_text("\"threshold\" holds a value that is neither a number nor null");
    }
    return values;
}

// Fail on a key of `object` that is not in `known`.
void reject_unknown_keys(const json &object, std::initializer_list<const char *> known) {
    for (const auto &item : object.items()) {
        bool found = false;
        for (const char *key : known) found = found || item.key() == key;
        if (!found) bad_text("\"" + item.key() + "\" is not a known field");
    }
}

ForestHeader header_from_json(const json &j) {
    ForestHeader h;
    h.dim = static_cast<int>(integer_member(j, "features", 1, kMaxDim));
    h.n_trees = static_cast<int>(integer_member(j, "n_trees", 1, kMaxTrees));
    h.sample_size =
        static_cast<int>(integer_member(j, "sample_size", kMinSampleSize, kMaxSampleSize));
    h.max_depth = static_cast<int>(integer_member(j, "max_depth", 1, kMaxDepthLimit));
    h.rows_seen = static_cast<std::uint64_t>(integer_member(j, "rows_seen", 2, INT64_MAX));
    h.nulls_skipped = static_cast<std::uint64_t>(integer_member(j, "nulls_skipped", 0, INT64_MAX));
    h.seed = static_cast<std::uint64_t>(integer_member(j, "seed", 0, INT64_MAX));
    const json &c = member(j, "contamination");
    if (c.is_string() && c.get<std::string>() == "auto")
        h.contamination = -1.0;
    else if (c.is_number() && c.get<double>() > 0.0 && c.get<double>() <= 0.5)
        h.contamination = c.get<double>();
    else
        bad_text("\"contamination\" must be \"auto\" or a number in (0, 0.5]");
    h.threshold = number_member(j, "threshold");
    return h;
}

json header_to_json(const ForestHeader &h) {
    json j;
    j["format"] = kFormatName;
    j["version"] = kModelVersion;
    j["features"] = h.dim;
    j["n_trees"] = h.n_trees;
    j["sample_size"] = h.sample_size;
    j["max_depth"] = h.max_depth;
    j["rows_seen"] = h.rows_seen;
    j["nulls_skipped"] = h.nulls_skipped;
    j["seed"] = h.seed;
    j["contamination"] = h.contamination < 0.0 ? json("auto") : json(h.contamination);
    j["threshold"] = h.threshold;
    return j;
}

// The forest in a parsed text form, every field checked.
Forest forest_from_json(const json &j) {
    if (!j.is_object()) bad_text("not a JSON object");
    const json &format = member(j, "format");
    if (!format.is_string() || format.get<std::string>() != kFormatName)
        bad_text(std::string("\"format\" must be \"") + kFormatName + "\"");
    std::int64_t version = integer_member(j, "version", 0, INT32_MAX);
    if (version != kModelVersion)
        fail(ErrorKind::InvalidText,
             "unsupported Isolation Forest model version " + std::to_string(version),
             "This build reads version " + std::to_string(kModelVersion) + ".");
    reject_unknown_keys(j, {"format", "version", "features", "n_trees", "sample_size", "max_depth",
                            "rows_seen", "nulls_skipped", "seed", "contamination", "threshold",
                            "trees"});
    ForestHeader h = header_from_json(j);
    const json &array = member(j, "trees");
    if (!array.is_array()) bad_text("\"trees\" must be an array");
    if (array.size() != std::size_t(h.n_trees)) bad_text("tree count differs from n_trees");
    std::vector<TreeNodes> trees;
    trees.reserve(array.size());
    for (const json &tree : array) {
        if (!tree.is_object()) bad_text("a tree must be a JSON object");
        reject_unknown_keys(tree, {"feature", "threshold", "left", "size"});
        TreeNodes nodes;
        nodes.feature = integer_array<std::int32_t>(tree, "feature", -1, kMaxDim);
        nodes.threshold = threshold_array(tree);
        nodes.left = integer_array<std::int32_t>(tree, "left", -1, INT32_MAX);
        nodes.size = integer_array<std::uint32_t>(tree, "size", 1, kMaxSampleSize);
        trees.push_back(std::move(nodes));
    }
    return Forest::assemble(h, trees, ErrorKind::InvalidText);
}

} // namespace

std::vector<std::uint8_t> Forest::encode() const {
    ByteWriter out;
    out.put<std::int32_t>(header_.dim);
    out.put<std::int32_t>(header_.n_trees);
    out.put<std::int32_t>(header_.sample_size);
    out.put<std::int32_t>(header_.max_depth);
    out.put<std::uint64_t>(header_.rows_seen);
    out.put<std::uint64_t>(header_.nulls_skipped);
    out.put<std::uint64_t>(header_.seed);
    out.put<double>(header_.contamination);
    out.put<double>(header_.threshold);
    for (int t = 0; t < header_.n_trees; t++) {
        TreeNodes nodes = tree(t);
        out.put_vector(nodes.feature);
        out.put_vector(nodes.threshold);
        out.put_vector(nodes.left);
        out.put_vector(nodes.size);
    }
    return seal_model(kModelMagic, kModelVersion, out.bytes());
}

Forest Forest::decode(const void *data, std::size_t size) {
    auto opened = open_model(data, size, kModelMagic, kModelVersion, "Isolation Forest model");
    ByteReader &in = opened.payload;
    ForestHeader h;
    h.dim = in.get<std::int32_t>();
    h.n_trees = in.get<std::int32_t>();
    h.sample_size = in.get<std::int32_t>();
    h.max_depth = in.get<std::int32_t>();
    h.rows_seen = in.get<std::uint64_t>();
    h.nulls_skipped = in.get<std::uint64_t>();
    h.seed = in.get<std::uint64_t>();
    h.contamination = in.get<double>();
    h.threshold = in.get<double>();
    validate_header(h, ErrorKind::Corrupted);
    std::uint64_t max_nodes = 2 * std::uint64_t(h.sample_size) - 1;
    std::vector<TreeNodes> trees(h.n_trees);
    for (TreeNodes &nodes : trees) {
        nodes.feature = in.get_vector<std::int32_t>(max_nodes);
        nodes.threshold = in.get_vector<double>(max_nodes);
        nodes.left = in.get_vector<std::int32_t>(max_nodes);
        nodes.size = in.get_vector<std::uint32_t>(max_nodes);
    }
    in.expect_end();
    return assemble(h, trees, ErrorKind::Corrupted);
}

std::string Forest::to_json() const {
    json j = header_to_json(header_);
    json trees = json::array();
    for (int t = 0; t < header_.n_trees; t++) {
        TreeNodes nodes = tree(t);
        json thresholds = json::array();
        for (std::size_t i = 0; i < nodes.feature.size(); i++)
            thresholds.push_back(nodes.feature[i] < 0 ? json(nullptr) : json(nodes.threshold[i]));
        trees.push_back({{"feature", nodes.feature},
                         {"threshold", std::move(thresholds)},
                         {"left", nodes.left},
                         {"size", nodes.size}});
    }
    j["trees"] = std::move(trees);
    return j.dump();
}

Forest Forest::from_json(const std::string &text) {
    json j = json_input::parse(text, ErrorKind::InvalidText, "invalid Isolation Forest model: ");
    return json_input::guarded(ErrorKind::InvalidText, "invalid Isolation Forest model: ", [&j] {
        return forest_from_json(j);
    });
}

std::string Forest::info_json() const {
    json j = header_to_json(header_);
    std::size_t leaves = 0;
    double depth_sum = 0.0;
    for (std::uint32_t i = 0; i < links_.size(); i++)
        if (is_leaf(i)) {
            leaves++;
            depth_sum += depth_[i];
        }
    j["nodes"] = links_.size();
    j["leaves"] = leaves;
    j["mean_leaf_depth"] = leaves ? depth_sum / leaves : 0.0;
    j["average_path_length"] = c_psi_;
    return j.dump();
}

} // namespace dmine::iforest
