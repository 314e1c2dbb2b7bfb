// Hostile iforest_model values and options: mutated text and binary (checksums recomputed) are
// either rejected with the type's error or fully usable; trees must really be trees.
#include "core/bytes.hpp"
#include "hostile_test_util.hpp"
#include "iforest/iforest_explain.hpp"
#include "iforest/iforest_options.hpp"
#include "iforest_test_util.hpp"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

namespace dmine::iforest {
namespace {

using hostile::clean_outcome;
using hostile::fails_with;
using nlohmann::json;

Forest small_forest() {
    std::vector<double> x;
    for (int i = 0; i < 64; i++) {
        x.push_back(i % 9);
        x.push_back((i * 7) % 13 + 0.5 * (i == 5 ? 40 : 0));
    }
    Options o;
    o.n_trees = 2;
    o.sample_size = 8;
    o.seed = 11;
    return testing::fit_rows(x, 2, o);
}

// An accepted forest must score, explain and read back in both forms.
void use(const Forest &f) {
    auto bytes = f.encode();
    Forest back = Forest::decode(bytes.data(), bytes.size());
    auto text = Forest::from_json(f.to_json()).encode();
    EXPECT_EQ(text, bytes);
    for (std::size_t i = 0; i < std::min(text.size(), bytes.size()); i++)
        if (text[i] != bytes[i] && i >= kModelHeaderSize) {
            ADD_FAILURE() << "first difference at payload byte " << i - kModelHeaderSize;
            break;
        }
    std::vector<double> x(f.dim(), 3.0);
    double s = f.score(x.data());
    EXPECT_TRUE(s > 0 && s <= 1);
    explain(f, x.data());
    f.info_json();
}

void pointers(const json &j, const std::string &at, std::vector<json::json_pointer> &out) {
    if (j.is_object())
        for (const auto &item : j.items()) {
            std::string p = at + "/" + item.key();
            out.emplace_back(p);
            pointers(item.value(), p, out);
        }
    else if (j.is_array())
        for (std::size_t i = 0; i < j.size(); i++) {
            std::string p = at + "/" + std::to_string(i);
            out.emplace_back(p);
            pointers(j[i], p, out);
        }
}

void expect_text_clean(const std::string &text) {
    EXPECT_TRUE(clean_outcome(ErrorKind::InvalidText, [&] { use(Forest::from_json(text)); }))
        << text.substr(0, 300);
}

TEST(IforestHostile, MutatedTextIsRejectedOrUsable) {
    json model = json::parse(small_forest().to_json());
    std::vector<json::json_pointer> all;
    pointers(model, "", all);
    for (const auto &where : all) {
        for (const std::string &raw : hostile::hostile_values()) {
            json j = model;
            j[where] = "@@hostile@@";
            expect_text_clean(hostile::replaced(j.dump(), "\"@@hostile@@\"", raw));
        }
        json j = model;
        json &parent = j[where.parent_pointer()];
        if (parent.is_object())
            parent.erase(where.back());
        else
            parent.erase(static_cast<std::size_t>(std::stoul(where.back())));
        expect_text_clean(j.dump());
    }
}

TEST(IforestHostile, TruncatedDeepAndDuplicatedTextIsRejected) {
    std::string text = small_forest().to_json();
    for (std::size_t n = 0; n < text.size(); n += 7)
        EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "not valid JSON",
                               [&] { Forest::from_json(text.substr(0, n)); }));
    std::string deep = hostile::replaced(
        text, "\"seed\":11", "\"seed\":" + std::string(200000, '[') + std::string(200000, ']'));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "nested deeper than 64 levels",
                           [&] { Forest::from_json(deep); }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "duplicate key \"seed\"", [&] {
        Forest::from_json(hostile::replaced(text, "\"seed\":", "\"seed\":1,\"seed\":"));
    }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "a number is out of range", [&] {
        Forest::from_json(hostile::replaced(text, "\"threshold\":0.5", "\"threshold\":1e400"));
    }));
}

// A tree whose 257 nodes of the last level share the same two children: once accepted, as a
// per-node parent counter of 8 bits wrapped back to 1.
TreeNodes shared_children_tree() {
    constexpr int kHeap = 513, kInner = 256; // a complete binary tree: nodes 256..512 are leaves
    TreeNodes t;
    t.size.assign(kHeap + 2, 1);
    for (int i = kHeap - 1; i >= 0; i--)
        t.size[i] = i >= kInner ? 2 : t.size[2 * i + 1] + t.size[2 * i + 2];
    for (int i = 0; i < kHeap; i++) {
        t.feature.push_back(0);
        t.threshold.push_back(0.5);
        t.left.push_back(i >= kInner ? kHeap : 2 * i + 1); // every last-level node: kHeap, +1
    }
    for (int i = 0; i < 2; i++) {
        t.feature.push_back(-1);
        t.threshold.push_back(0.0);
        t.left.push_back(-1);
    }
    return t;
}

ForestHeader shared_children_header() {
    ForestHeader h;
    h.dim = 1;
    h.n_trees = 1;
    h.sample_size = 514;
    h.max_depth = 64;
    h.rows_seen = 514;
    return h;
}

TEST(IforestHostile, NodesWithSeveralParentsAreRejected) {
    TreeNodes tree = shared_children_tree();
    ForestHeader h = shared_children_header();
    EXPECT_EQ(tree.size[0], 514u);
    EXPECT_TRUE(fails_with(ErrorKind::Corrupted, "child of more than one node",
                           [&] { Forest::assemble(h, {tree}, ErrorKind::Corrupted); }));
    // The same tree as a sealed binary value with a valid checksum.
    ByteWriter out;
    out.put<std::int32_t>(h.dim);
    out.put<std::int32_t>(h.n_trees);
    out.put<std::int32_t>(h.sample_size);
    out.put<std::int32_t>(h.max_depth);
    out.put<std::uint64_t>(h.rows_seen);
    out.put<std::uint64_t>(h.nulls_skipped);
    out.put<std::uint64_t>(h.seed);
    out.put<double>(h.contamination);
    out.put<double>(h.threshold);
    out.put_vector(tree.feature);
    out.put_vector(tree.threshold);
    out.put_vector(tree.left);
    out.put_vector(tree.size);
    auto sealed = hostile::resealed(small_forest().encode(), out.bytes());
    EXPECT_TRUE(fails_with(ErrorKind::Corrupted, "child of more than one node",
                           [&] { Forest::decode(sealed.data(), sealed.size()); }));
    // Two parents only, and a node never reached.
    TreeNodes two;
    two.feature = {0, 0, 0, -1, -1};
    two.threshold = {1, 2, 3, 0, 0};
    two.left = {1, 3, 3, -1, -1};
    two.size = {2, 1, 1, 1, 1};
    h.sample_size = 2;
    h.rows_seen = 2;
    EXPECT_FALSE(clean_outcome(ErrorKind::Internal,
                               [&] { Forest::assemble(h, {two}, ErrorKind::InvalidText); }));
}

TEST(IforestHostile, CountsMustBeBigints) {
    Forest f = small_forest();
    ForestHeader h = f.header();
    for (auto edit : {+[](ForestHeader &x) { x.rows_seen = UINT64_MAX; },
                      +[](ForestHeader &x) { x.nulls_skipped = UINT64_MAX - 100; },
                      +[](ForestHeader &x) { x.seed = std::uint64_t(1) << 63; }}) {
        ForestHeader bad = h;
        edit(bad);
        EXPECT_TRUE(clean_outcome(ErrorKind::Corrupted, [&] {
            validate_header(bad, ErrorKind::Corrupted);
            ADD_FAILURE() << "accepted";
        }));
    }
}

TEST(IforestHostile, MutatedBinaryIsRejectedOrUsable) {
    auto sealed = small_forest().encode();
    auto payload = hostile::payload_of(sealed);
    auto try_payload = [&](const std::vector<std::uint8_t> &p) {
        auto bytes = hostile::resealed(sealed, p);
        return clean_outcome(ErrorKind::Corrupted,
                             [&] { use(Forest::decode(bytes.data(), bytes.size())); });
    };
    for (std::size_t i = 0; i < payload.size(); i++) {
        for (int bit = 0; bit < 8; bit++) {
            auto p = payload;
            p[i] ^= static_cast<std::uint8_t>(1u << bit);
            EXPECT_TRUE(try_payload(p)) << "byte " << i << " bit " << bit;
        }
        for (std::uint8_t v : {0x00, 0x7f, 0x80, 0xff}) {
            auto p = payload;
            p[i] = v;
            EXPECT_TRUE(try_payload(p)) << "byte " << i << " = " << int(v);
        }
    }
    for (std::size_t n = 0; n < payload.size(); n++) {
        auto p = std::vector<std::uint8_t>(payload.begin(), payload.begin() + n);
        auto bytes = hostile::resealed(sealed, p);
        EXPECT_TRUE(fails_with(ErrorKind::Corrupted, "",
                               [&] { Forest::decode(bytes.data(), bytes.size()); }));
    }
}

TEST(IforestHostile, OptionsOfEveryTypeAreInvalidParameter) {
    for (const char *key : {"n_trees", "sample_size", "max_depth", "contamination", "seed", "zz"})
        for (const std::string &raw : hostile::hostile_values()) {
            std::string text = std::string("{\"") + key + "\": " + raw + "}";
            EXPECT_TRUE(clean_outcome(ErrorKind::InvalidParameter, [&] { parse_options(text); }))
                << text.substr(0, 200);
        }
    for (const char *text :
         {"{\"n_trees\": 1e400}", "{\"seed\": 9223372036854775808}", "{\"n_trees\": \"100\"}",
          "{\"contamination\": \"NaN\"}", "{\"seed\": -1}", "{\"n_trees\": 1e30}", "[1]",
          "{\"n_trees\": 1, \"n_trees\": 2}"})
        EXPECT_TRUE(fails_with(ErrorKind::InvalidParameter, "invalid Isolation Forest option", [&] {
            parse_options(text);
        })) << text;
}

TEST(IforestHostile, RandomMutationsOfSeveralBytesAreRejectedOrUsable) {
    auto sealed = small_forest().encode();
    auto payload = hostile::payload_of(sealed);
    std::mt19937_64 rng(20261201); // fixed: a failure replays
    for (int round = 0; round < 20000; round++) {
        auto p = payload;
        for (int n = 1 + int(rng() % 4); n > 0; n--) {
            std::size_t at = rng() % p.size();
            p[at] = rng() % 2 ? std::uint8_t(p[at] ^ (1u << (rng() % 8))) : std::uint8_t(rng());
        }
        auto bytes = hostile::resealed(sealed, p);
        ASSERT_TRUE(clean_outcome(ErrorKind::Corrupted,
                                  [&] { use(Forest::decode(bytes.data(), bytes.size())); }))
            << "round " << round;
    }
}

} // namespace
} // namespace dmine::iforest
