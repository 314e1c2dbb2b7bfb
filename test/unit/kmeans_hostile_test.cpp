// Hostile kmeans_model values: mutated text and binary (checksums recomputed, so the payload
// validator itself is exercised) are either rejected with the type's error or fully usable.
#include "hostile_test_util.hpp"
#include "kmeans/kmeans_model.hpp"
#include "kmeans/kmeans_options.hpp"
#include "kmeans_test_data.hpp"
#include "kmeans/kmeans_train.hpp"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>

namespace dmine::kmeans {
namespace {

using hostile::clean_outcome;
using hostile::fails_with;
using Json = nlohmann::ordered_json;

Model small_model(bool scale = true) {
    Matrix x(8, 2);
    x << 0, 0, 0.1, 0, 0, 0.2, 0.3, 0.1, 5, 50, 5.1, 50, 5, 50.3, 5.2, 50.1;
    Options o;
    o.scale = scale;
    o.seed = 3;
    return train(testing::store_of(x), 2, o);
}

// An accepted model must be usable and readable back in both forms.
void use(const Model &m) {
    auto bytes = m.encode();
    Model back = Model::decode(bytes.data(), bytes.size());
    Model text = Model::from_json(m.to_json());
    EXPECT_EQ(text.encode(), bytes);
    std::vector<double> x(m.dim, 1.0);
    m.nearest(x.data(), m.dim);
    m.distance(x.data(), m.dim, m.k - 1);
    for (double s : m.sizes) EXPECT_GE(std::llround(s), 0);
}

// Every JSON pointer below the root of `j`.
void pointers(const Json &j, const std::string &at, std::vector<Json::json_pointer> &out) {
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

// The text of `model` with the value at `where` replaced by the raw JSON `raw`.
std::string with_value(const Json &model, const Json::json_pointer &where, const std::string &raw) {
    Json j = model;
    j[where] = "@@hostile@@";
    return hostile::replaced(j.dump(), "\"@@hostile@@\"", raw);
}

std::string without(const Json &model, const Json::json_pointer &where) {
    Json j = model;
    Json &parent = j[where.parent_pointer()];
    if (parent.is_object())
        parent.erase(where.back());
    else
        parent.erase(static_cast<std::size_t>(std::stoul(where.back())));
    return j.dump();
}

void expect_text_clean(const std::string &text) {
    EXPECT_TRUE(clean_outcome(ErrorKind::InvalidText, [&] { use(Model::from_json(text)); }))
        << text.substr(0, 300);
}

TEST(KmeansHostile, MutatedTextIsRejectedOrUsable) {
    for (bool scale : {true, false}) {
        Json model = Json::parse(small_model(scale).to_json());
        std::vector<Json::json_pointer> all;
        pointers(model, "", all);
        for (const auto &where : all) {
            for (const std::string &raw : hostile::hostile_values())
                expect_text_clean(with_value(model, where, raw));
            expect_text_clean(without(model, where));
        }
    }
}

TEST(KmeansHostile, TruncatedDuplicatedAndUnknownFieldsAreRejected) {
    std::string text = small_model().to_json();
    for (std::size_t n = 0; n < text.size(); n++)
        EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "not valid JSON",
                               [&] { Model::from_json(text.substr(0, n)); }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "duplicate key \"k\"",
                           [&] { Model::from_json(hostile::replaced(text, "{", "{\"k\":2,")); }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "duplicate key \"seed\"", [&] {
        Model::from_json(hostile::replaced(text, "\"seed\":", "\"seed\":1,\"seed\":"));
    }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "\"zz\" is not a known field",
                           [&] { Model::from_json(hostile::replaced(text, "{", "{\"zz\":1,")); }));
}

TEST(KmeansHostile, DeeplyNestedOptionsFailCleanly) {
    std::string text = small_model().to_json();
    auto at = text.find("\"options\":");
    std::string deep = text.substr(0, at) + "\"options\":" + std::string(200000, '[') +
                       std::string(200000, ']') + "}";
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText,
                           "invalid kmeans model text: JSON nested deeper than 64 levels",
                           [&] { Model::from_json(deep); }));
}

TEST(KmeansHostile, NumberOverflowInTextIsInvalidText) {
    std::string text = small_model().to_json();
    std::string huge = hostile::replaced(text, "\"tol\":0.0001", "\"tol\":1e400");
    ASSERT_NE(huge, text);
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText, "a number is out of range",
                           [&] { Model::from_json(huge); }));
}

TEST(KmeansHostile, RowCountsMustBeBigints) {
    Model m = small_model();
    // 2^64 - 1 rows, cluster sizes adding up to it: once accepted, reported as a negative size.
    m.rows = UINT64_MAX;
    m.points_used = 8;
    m.sizes = {0x1p63, 0x1p63};
    auto bytes = m.encode();
    EXPECT_TRUE(fails_with(ErrorKind::Corrupted, "representable as bigint",
                           [&] { Model::decode(bytes.data(), bytes.size()); }));
    EXPECT_TRUE(fails_with(ErrorKind::InvalidText,
                           "\"rows\" must be an integer between 0 and "
                           "9223372036854775807",
                           [&] { Model::from_json(m.to_json()); }));
    // The largest bigint is fine, and every size converts to a bigint.
    m.rows = INT64_MAX;
    m.sizes = {0x1p62, 0x1p62};
    bytes = m.encode();
    Model back = Model::decode(bytes.data(), bytes.size());
    for (double s : back.sizes) EXPECT_EQ(std::llround(s), std::int64_t(1) << 62);
    use(back);
    m.nulls = 1;
    bytes = m.encode();
    EXPECT_TRUE(fails_with(ErrorKind::Corrupted, "representable as bigint",
                           [&] { Model::decode(bytes.data(), bytes.size()); }));
}

TEST(KmeansHostile, FiguresThatBreakDistancesAreRejected) {
    auto rejected = [](const std::function<void(Model &)> &edit, const char *part,
                       const char *text_part = nullptr) {
        Model m = small_model();
        edit(m);
        auto bytes = m.encode();
        return fails_with(ErrorKind::Corrupted, part,
                          [&] { Model::decode(bytes.data(), bytes.size()); }) &&
               fails_with(ErrorKind::InvalidText, text_part ? text_part : part,
                          [&] { Model::from_json(m.to_json()); });
    };
    // Tiny standard deviations are valid: their distances are computed in a wider range.
    for (auto edit : std::vector<std::function<void(Model &)>>{
             [](Model &m) { m.sd[0] = 5e-324; },
             [](Model &m) { m.sd[0] = 1e-300, m.centroids[0] = 1e300; }}) {
        Model m = small_model();
        edit(m);
        auto bytes = m.encode();
        Model back = Model::decode(bytes.data(), bytes.size());
        back.prepare();
        std::vector<double> x(static_cast<std::size_t>(back.dim), 1.0);
        EXPECT_NO_THROW(back.nearest(x.data(), back.dim));
        EXPECT_NO_THROW(Model::from_json(m.to_json()));
    }
    EXPECT_TRUE(rejected(
        [](Model &m) {
            m.sse = {1e308, 1e308};
        },
        "with a finite sum", "\"inertia\" must be a number"));
    EXPECT_TRUE(rejected([](Model &m) { m.sizes = {9.0, -1.0}; }, "non-negative"));
    EXPECT_TRUE(rejected([](Model &m) { m.sizes = {16.0, -8.0}; }, "non-negative"));
}

TEST(KmeansHostile, MutatedBinaryIsRejectedOrUsable) {
    auto sealed = small_model().encode();
    auto payload = hostile::payload_of(sealed);
    auto try_payload = [&](const std::vector<std::uint8_t> &p) {
        auto bytes = hostile::resealed(sealed, p);
        return clean_outcome(ErrorKind::Corrupted,
                             [&] { use(Model::decode(bytes.data(), bytes.size())); });
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
                               [&] { Model::decode(bytes.data(), bytes.size()); }));
    }
    auto longer = payload;
    longer.push_back(0);
    auto bytes = hostile::resealed(sealed, longer);
    EXPECT_TRUE(fails_with(ErrorKind::Corrupted, "trailing bytes",
                           [&] { Model::decode(bytes.data(), bytes.size()); }));
}

TEST(KmeansHostile, OptionsOfEveryTypeAreInvalidParameter) {
    for (const char *key : {"max_iter", "tol", "n_init", "seed", "scale", "sample_size",
                            "silhouette_sample", "swap_trials", "unknown"})
        for (const std::string &raw : hostile::hostile_values()) {
            std::string text = std::string("{\"") + key + "\": " + raw + "}";
            EXPECT_TRUE(clean_outcome(ErrorKind::InvalidParameter, [&] { parse_options(text); }))
                << text.substr(0, 200);
        }
    for (const char *text : {"{\"n_init\": \"10\"}", "{\"max_iter\": 1e30}", "{\"tol\": \"NaN\"}",
                             "{\"tol\": -1}", "{\"n_init\": 2147483648}", "{\"sample_size\": -1}",
                             "{\"seed\": -1}", "{\"seed\": 18446744073709551616}"}) {
        EXPECT_TRUE(fails_with(ErrorKind::InvalidParameter, "option", [&] { parse_options(text); }))
            << text;
    }
    // K-Means seeds are unsigned 64-bit integers.
    EXPECT_EQ(parse_options("{\"seed\": 18446744073709551615}").seed, UINT64_MAX);
}

TEST(KmeansHostile, RandomMutationsOfSeveralBytesAreRejectedOrUsable) {
    auto sealed = small_model().encode();
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
                                  [&] { use(Model::decode(bytes.data(), bytes.size())); }))
            << "round " << round;
    }
}

} // namespace
} // namespace dmine::kmeans
