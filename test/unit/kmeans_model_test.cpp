// The model's binary and text forms: exact round trips, and clear errors for bad values.
#include "kmeans/kmeans_model.hpp"
#include "kmeans/kmeans_options.hpp"
#include "kmeans_test_data.hpp"
#include "kmeans/kmeans_train.hpp"
#include "core/model_format.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>

namespace dmine::kmeans {
namespace {

Model small_model(bool scale = true) {
    Matrix x(8, 2);
    x << 0, 0, 0.1, 0, 0, 0.2, 0.3, 0.1, 5, 50, 5.1, 50, 5, 50.3, 5.2, 50.1;
    Options o;
    o.scale = scale;
    o.seed = 3;
    return train(testing::store_of(x), 2, o);
}

template <typename F> ErrorKind kind_of(F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.kind();
    }
    return ErrorKind::Internal; // nothing thrown: no test expects Internal
}

template <typename F> std::string message_of(F &&f) {
    try {
        f();
    } catch (const Error &e) {
        return e.what();
    }
    return "";
}

TEST(KmeansModel, BinaryRoundTripIsExact) {
    Model m = small_model();
    auto bytes = m.encode();
    Model back = Model::decode(bytes.data(), bytes.size());
    EXPECT_EQ(back.encode(), bytes);
    EXPECT_EQ(back.k, 2);
    EXPECT_EQ(back.rows, 8u);
}

TEST(KmeansModel, TextRoundTripIsExact) {
    for (bool scale : {true, false}) {
        Model m = small_model(scale);
        std::string text = m.to_json();
        Model back = Model::from_json(text);
        EXPECT_EQ(back.encode(), m.encode());
        EXPECT_EQ(back.to_json(), text);
        // Any spacing and key order is accepted.
        auto pretty = nlohmann::json::parse(text).dump(2);
        EXPECT_EQ(Model::from_json(pretty).encode(), m.encode());
    }
}

TEST(KmeansModel, TextFormIsReadable) {
    auto j = nlohmann::json::parse(small_model().to_json());
    EXPECT_EQ(j["type"], "dmine.kmeans_model");
    EXPECT_EQ(j["version"], 1);
    EXPECT_EQ(j["k"], 2);
    EXPECT_EQ(j["centroids"].size(), 2u);
    EXPECT_EQ(j["sampled"], false);
    EXPECT_EQ(j["scaling"]["enabled"], true);
    EXPECT_EQ(j["scores"][0]["k"], 2);
    EXPECT_TRUE(j["options"].contains("n_init"));
}

TEST(KmeansModel, RejectsCorruptedBytes) {
    auto bytes = small_model().encode();
    for (std::size_t i = 0; i < bytes.size(); i += 7) {
        auto bad = bytes;
        bad[i] ^= 0x20;
        EXPECT_EQ(kind_of([&] { Model::decode(bad.data(), bad.size()); }), ErrorKind::Corrupted)
            << "byte " << i;
    }
    EXPECT_EQ(kind_of([&] { Model::decode(bytes.data(), bytes.size() - 1); }),
              ErrorKind::Corrupted);
    EXPECT_EQ(kind_of([&] { Model::decode(bytes.data(), 3); }), ErrorKind::Corrupted);
}

TEST(KmeansModel, RejectsWellSealedButInconsistentValues) {
    auto corrupt = [](auto &&edit) {
        Model m = small_model();
        edit(m);
        auto bytes = m.encode(); // a valid envelope around a bad payload
        return kind_of([&] { Model::decode(bytes.data(), bytes.size()); });
    };
    EXPECT_EQ(corrupt([](Model &m) { m.k = 0; }), ErrorKind::Corrupted);
    EXPECT_EQ(corrupt([](Model &m) { m.centroids.pop_back(); }), ErrorKind::Corrupted);
    EXPECT_EQ(corrupt([](Model &m) { m.centroids[1] = NAN; }), ErrorKind::Corrupted);
    EXPECT_EQ(corrupt([](Model &m) { m.sd[0] = -1; }), ErrorKind::Corrupted);
    EXPECT_EQ(corrupt([](Model &m) { m.sizes[0] += 3; }), ErrorKind::Corrupted);
    EXPECT_EQ(corrupt([](Model &m) { m.silhouette = 2; }), ErrorKind::Corrupted);
    EXPECT_EQ(corrupt([](Model &m) { m.scores.clear(); }), ErrorKind::Corrupted);
    EXPECT_EQ(corrupt([](Model &m) { m.options.n_init = 0; }), ErrorKind::Corrupted);
    EXPECT_EQ(corrupt([](Model &m) { m.points_used = m.rows + 1; }), ErrorKind::Corrupted);
}

TEST(KmeansModel, RejectsAFutureVersionClearly) {
    auto bytes = small_model().encode();
    bytes[4] = 2; // version field of the envelope
    EXPECT_NE(message_of([&] { Model::decode(bytes.data(), bytes.size()); }).find("version 2"),
              std::string::npos);
}

TEST(KmeansModel, RejectsBadTextWithTheFieldNamed) {
    std::string good = small_model().to_json();
    auto edited = [&](auto &&edit) {
        auto j = nlohmann::ordered_json::parse(good);
        edit(j);
        return j.dump();
    };
    struct Bad {
        std::string text;
        std::string mentions;
    };
    std::vector<Bad> cases = {
        {"", "not valid JSON"},
        {"{\"k\": 2", "not valid JSON"},
        {"[1, 2]", "must be a JSON object"},
        {edited([](auto &j) { j.erase("centroids"); }), "\"centroids\" is missing"},
        {edited([](auto &j) { j["colour"] = "red"; }), "\"colour\" is not a known field"},
        {edited([](auto &j) { j["type"] = "dmine.iforest_model"; }), "\"type\""},
        {edited([](auto &j) { j["version"] = 9; }), "version 9"},
        {edited([](auto &j) { j["k"] = 3; }), "\"centroids\""},
        {edited([](auto &j) { j["k"] = 2.5; }), "\"k\" must be an integer"},
        {edited([](auto &j) { j["centroids"][1][0] = "x"; }), "\"centroids\"[1]"},
        {edited([](auto &j) { j["centroids"][0].push_back(1); }), "\"centroids\"[0]"},
        {edited([](auto &j) { j["inertia"] = 1.5; }), "\"inertia\""},
        {edited([](auto &j) { j["sampled"] = true; }), "\"sampled\""},
        {edited([](auto &j) { j["cluster_sizes"][0] = -1; }), "cluster sizes"},
        {edited([](auto &j) { j["scaling"]["enabled"] = false; }), "\"scaling\".enabled"},
        {edited([](auto &j) { j["scaling"].erase("sd"); }), "\"scaling\".sd is missing"},
        {edited([](auto &j) { j["options"]["colour"] = 1; }), "unknown option \"colour\""},
        {edited([](auto &j) { j["scores"][0]["silhouette"] = 3; }), "silhouette"},
        {edited([](auto &j) { j["silhouette"] = "high"; }),
         "\"silhouette\" must be a number or null"},
    };
    for (const Bad &b : cases) {
        std::string message;
        ErrorKind kind = ErrorKind::Internal;
        try {
            Model::from_json(b.text);
        } catch (const Error &e) {
            message = e.what();
            kind = e.kind();
        }
        EXPECT_EQ(kind, ErrorKind::InvalidText) << b.text;
        EXPECT_NE(message.find(b.mentions), std::string::npos) << message << " / " << b.mentions;
    }
}

TEST(KmeansModel, AssignsAndMeasuresInTheScaledMetric) {
    Model m = small_model(true);
    double x[2] = {0.1, 0.1}, y[2] = {5.1, 50};
    int near_origin = m.nearest(x, 2).first;
    EXPECT_NE(near_origin, m.nearest(y, 2).first);
    const double *c = m.centroids.data() + near_origin * 2;
    double expected =
        std::sqrt(std::pow((x[0] - c[0]) / m.sd[0], 2) + std::pow((x[1] - c[1]) / m.sd[1], 2));
    EXPECT_NEAR(m.nearest(x, 2).second, expected, 1e-12);
    EXPECT_NEAR(m.distance(x, 2, near_origin), expected, 1e-12);
    EXPECT_EQ(kind_of([&] { m.nearest(x, 3); }), ErrorKind::DimensionMismatch);
    double nan[2] = {NAN, 0};
    EXPECT_EQ(kind_of([&] { m.nearest(nan, 2); }), ErrorKind::Data);
    EXPECT_EQ(kind_of([&] { m.distance(x, 2, 2); }), ErrorKind::InvalidParameter);
}

TEST(KmeansModel, SizesAndSseAddUp) {
    Model m = small_model();
    EXPECT_EQ(m.sizes[0] + m.sizes[1], 8);
    EXPECT_EQ(m.inertia(), m.sse[0] + m.sse[1]);
    EXPECT_EQ(m.scores.size(), 1u);
    EXPECT_FALSE(m.sampled());
}

TEST(KmeansOptions, ParsesAndValidates) {
    Options o = parse_options(R"({"n_init": 3, "scale": false, "seed": 18446744073709551615,
                                  "tol": 0, "max_iter": 50, "sample_size": 1000,
                                  "silhouette_sample": 500, "swap_trials": 0})");
    EXPECT_EQ(o.n_init, 3);
    EXPECT_FALSE(o.scale);
    EXPECT_EQ(o.seed, UINT64_MAX);
    EXPECT_EQ(parse_options("{}"), Options{});
    for (const char *bad : {"{\"n_init\": 0}", "{\"n_init\": 2.5}", "{\"n_init\": -1}",
                            "{\"scale\": 1}", "{\"tol\": -1}", "{\"nint\": 3}", "[]", "nope",
                            "{\"sample_size\": 0}", "{\"silhouette_sample\": 1}"}) {
        EXPECT_EQ(kind_of([&] { parse_options(bad); }), ErrorKind::InvalidParameter) << bad;
    }
    EXPECT_NE(message_of([] { parse_options("{\"nint\": 3}"); }).find("unknown option \"nint\""),
              std::string::npos);
}

} // namespace
} // namespace dmine::kmeans
