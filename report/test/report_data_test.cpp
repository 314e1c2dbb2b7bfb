// Data shaping: from rows as the result tables return them to the report's model.
#include <gtest/gtest.h>

#include <cmath>

#include "report_data.hpp"

using namespace dmine::report;
using nlohmann::json;

namespace {

Rows make_rows(std::vector<std::string> cols, std::vector<std::vector<Cell>> rows) {
    return Rows(std::move(cols), std::move(rows));
}

const SectionSpec &spec(const std::string &key) {
    for (const auto &s : section_specs())
        if (s.key == key) return s;
    throw std::runtime_error("no section " + key);
}

RunInfo full_run(const std::string &status, const std::string &mode = "full") {
    RunInfo r;
    r.id = 7;
    r.status = status;
    r.mode = mode;
    r.planned_steps = {"profile", "features", "clustering", "cluster_profiles", "anomalies", "rfm"};
    return r;
}

StepInfo step(const std::string &name, const std::string &status, const std::string &error = "") {
    StepInfo s;
    s.name = name;
    s.status = status;
    if (!error.empty()) s.error = error;
    return s;
}

} // namespace

TEST(ReportData, RowsReadTextNumbersAndNulls) {
    Rows r = make_rows({"a", "b", "c", "d"},
                       {{"12", "1.5e3", std::nullopt, "t"}, {"x", "NaN", "Infinity", "f"}});
    EXPECT_EQ(r.integer(0, "a"), 12);
    EXPECT_EQ(r.number(0, "b"), 1500.0);
    EXPECT_FALSE(r.number(0, "c").has_value());
    EXPECT_EQ(r.boolean(0, "d"), true);
    EXPECT_EQ(r.boolean(1, "d"), false);
    EXPECT_FALSE(r.integer(1, "a").has_value());
    EXPECT_FALSE(r.number(1, "b").has_value()) << "NaN reads as missing";
    EXPECT_TRUE(std::isinf(*r.number(1, "c")));
    EXPECT_FALSE(r.text(0, "no_such_column").has_value());
    EXPECT_EQ(r.integer(0, "b"), 1500) << "a numeric text where an integer is expected";
}

TEST(ReportData, TextArrays) {
    EXPECT_EQ(parse_text_array(std::string("{profile,features,rfm}")),
              (std::vector<std::string>{"profile", "features", "rfm"}));
    EXPECT_EQ(parse_text_array(std::string("{\"a b\",\"c,d\",e}")),
              (std::vector<std::string>{"a b", "c,d", "e"}));
    EXPECT_EQ(parse_text_array(std::string("{}")), std::vector<std::string>{});
    EXPECT_TRUE(parse_text_array(std::nullopt).empty());
}

TEST(ReportData, Histograms) {
    Histogram h = parse_histogram(json::parse(R"({"edges": [0, 1, 2], "counts": [5, 7]})"));
    EXPECT_TRUE(h.valid());
    EXPECT_EQ(h.counts, (std::vector<double>{5, 7}));
    Histogram bins = parse_histogram(json::parse(
        R"({"bins": [{"lower": 0, "upper": 1, "count": 3}, {"lower": 1, "upper": 2, "count": 4}]})"));
    EXPECT_TRUE(bins.valid());
    EXPECT_EQ(bins.edges, (std::vector<double>{0, 1, 2}));
    EXPECT_FALSE(parse_histogram(json::parse(R"({"edges": [0, 1], "counts": [1, 2]})")).valid());
    EXPECT_FALSE(parse_histogram(json()).valid());
}

TEST(ReportData, TopValuesAndExplanations) {
    auto top = parse_top_values(
        json::parse(R"([{"value": "grocery", "count": 30, "share": 0.5}, ["toys", 3]])"));
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].value, "grocery");
    EXPECT_EQ(top[0].share, 0.5);
    EXPECT_EQ(top[1].count, 3);
    auto obj = parse_top_values(json::parse(R"({"a": 1, "b": 9})"));
    ASSERT_EQ(obj.size(), 2u);
    EXPECT_EQ(obj[0].value, "b");

    auto ex = parse_explanation(json::parse(
        R"([{"feature": "hour", "contribution": 0.2}, {"feature": "amount", "contribution": 0.61}])"));
    ASSERT_EQ(ex.size(), 2u);
    EXPECT_EQ(ex[0].feature, "amount") << "sorted by contribution";
    EXPECT_EQ(parse_explanation(json::parse(R"({"quantity": 0.4})"))[0].feature, "quantity");
    EXPECT_TRUE(parse_explanation(json("nonsense")).empty());
    EXPECT_TRUE(parse_json(std::string("{not json")).is_null());
}

TEST(ReportData, CorrelationPairsBecomeASymmetricMatrix) {
    Rows r =
        make_rows({"feature_x", "feature_y", "correlation"}, {{"amount", "quantity", "0.5"},
                                                              {"amount", "hour", "-0.25"},
                                                              {"hour", "quantity", std::nullopt}});
    CorrelationMatrix m = correlation_from_rows(r);
    ASSERT_EQ(m.features, (std::vector<std::string>{"amount", "quantity", "hour"}));
    EXPECT_EQ(m.r[0][0], 1.0);
    EXPECT_EQ(m.r[0][1], 0.5);
    EXPECT_EQ(m.r[1][0], 0.5);
    EXPECT_EQ(m.r[2][0], -0.25);
    EXPECT_FALSE(m.r[1][2].has_value());
}

TEST(ReportData, ChosenKIsTheFlaggedOneElseTheBestSilhouette) {
    Rows r =
        make_rows({"k", "inertia", "silhouette", "chosen"},
                  {{"3", "90", "0.5", "f"}, {"2", "100", "0.4", "f"}, {"4", "80", "0.45", "t"}});
    auto scores = kscores_from_rows(r);
    ASSERT_EQ(scores.size(), 3u);
    EXPECT_EQ(scores[0].k, 2) << "sorted by k";
    EXPECT_EQ(chosen_k(scores), 4);
    scores[2].chosen = false;
    EXPECT_EQ(chosen_k(scores), 3);
    EXPECT_FALSE(chosen_k({}).has_value());
}

TEST(ReportData, ClusterProfilesTakeColumnsThenCentroidAndDeriveShares) {
    Rows r = make_rows(
        {"cluster", "size", "label", "monetary", "centroid"},
        {{"1", "30", "Regulars", "100.5", R"({"recency_days": 4})"},
         {"0", "10", std::nullopt, std::nullopt, R"({"monetary": 900, "recency_days": 2})"}});
    auto p = cluster_profiles_from_rows(r, {"recency_days", "monetary"});
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0].cluster, 0);
    EXPECT_EQ(p[0].measures[1], 900.0) << "from the centroid";
    EXPECT_EQ(p[1].measures[0], 4.0);
    EXPECT_EQ(p[1].measures[1], 100.5);
    EXPECT_DOUBLE_EQ(*p[0].share, 0.25);
    EXPECT_FALSE(p[0].label.has_value());
}

TEST(ReportData, AnomalyTypeFallsBackToTheTopFeature) {
    Rows r = make_rows(
        {"line_key", "score", "is_anomaly", "explanation"},
        {{"L1", "0.8", "t",
          R"([{"feature": "hour", "contribution": 0.1}, {"feature": "quantity", "contribution": 0.7}])"}});
    auto a = anomalies_from_rows(r);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].anomaly_type, "quantity");
    EXPECT_EQ(a[0].is_anomaly, true);
    EXPECT_FALSE(a[0].amount.has_value()) << "a missing optional column";
}

TEST(ReportData, RfmSegmentsAndGrid) {
    Rows seg = make_rows({"segment", "customers", "monetary"},
                         {{"Hibernating", "60", "1000"}, {"Champions", "40", "9000"}});
    auto s = rfm_segments_from_rows(seg);
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].segment, "Champions") << "by value";
    EXPECT_DOUBLE_EQ(*s[0].share, 0.4);
    Rows grid = make_rows({"r_score", "f_score", "customers"},
                          {{"2", "1", "5"}, {"1", "2", "3"}, {std::nullopt, "1", "9"}});
    auto g = rfm_grid_from_rows(grid);
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].r, 1);
    EXPECT_EQ(g[1].customers, 5);
}

TEST(ReportData, SectionOkWhenTheResultsArePresent) {
    auto st = section_status(spec("profile"), full_run("succeeded"), {step("profile", "succeeded")},
                             true, false);
    EXPECT_EQ(st.state, SectionState::ok);
    EXPECT_TRUE(st.message.empty());
}

TEST(ReportData, SectionOfAFailedStepShowsItsError) {
    std::vector<StepInfo> steps = {step("profile", "succeeded"),
                                   step("anomalies", "failed", "statement timeout")};
    auto st = section_status(spec("anomalies"), full_run("failed"), steps, false, false);
    EXPECT_EQ(st.state, SectionState::failed);
    EXPECT_EQ(st.error, "statement timeout");
    EXPECT_NE(st.message.find("anomalies failed"), std::string::npos);
    // Rows written before the failure are still shown, with the error.
    auto partial = section_status(spec("anomalies"), full_run("failed"), steps, true, false);
    EXPECT_EQ(partial.state, SectionState::failed);
    EXPECT_NE(partial.message.find("before it failed"), std::string::npos);
}

TEST(ReportData, SectionNotReachedByAFailedRun) {
    std::vector<StepInfo> steps = {step("profile", "succeeded"),
                                   step("anomalies", "failed", "out of memory")};
    auto st = section_status(spec("rfm"), full_run("failed"), steps, false, false);
    EXPECT_EQ(st.state, SectionState::failed);
    EXPECT_NE(st.message.find("not reached"), std::string::npos);
    EXPECT_EQ(st.error, "out of memory");
}

TEST(ReportData, SectionSkippedEmptyRunningUnavailable) {
    RunInfo quick = full_run("succeeded", "quick");
    quick.planned_steps = {"profile", "features", "clustering", "cluster_profiles"};
    auto skipped =
        section_status(spec("anomalies"), quick, {step("profile", "succeeded")}, false, false);
    EXPECT_EQ(skipped.state, SectionState::skipped);
    EXPECT_NE(skipped.message.find("quick"), std::string::npos);
    EXPECT_EQ(
        section_status(spec("rfm"), full_run("succeeded"), {step("rfm", "skipped")}, false, false)
            .state,
        SectionState::skipped);
    EXPECT_EQ(
        section_status(spec("rfm"), full_run("succeeded"), {step("rfm", "succeeded")}, false, false)
            .state,
        SectionState::empty);
    EXPECT_EQ(
        section_status(spec("rfm"), full_run("running"), {step("rfm", "running")}, false, false)
            .state,
        SectionState::running);
    EXPECT_EQ(section_status(spec("rfm"), full_run("running"), {}, false, false).state,
              SectionState::running);
    EXPECT_EQ(section_status(spec("rfm"), full_run("succeeded"), {}, false, true).state,
              SectionState::unavailable);
}

TEST(ReportData, JsonOfTheReportData) {
    ReportData d;
    d.run = full_run("succeeded");
    d.run.duration_ms = std::nan("");
    d.steps = {step("profile", "succeeded")};
    d.tables = {{"result_rfm", std::nullopt}, {"result_profile", 8}};
    d.clustering.scores = {{4, 10.0, 0.5, true}};
    d.clustering.chosen_k = 4;
    d.sections = {section_status(spec("profile"), d.run, d.steps, true, false)};
    json j = to_json(d);
    EXPECT_EQ(j["run"]["run_id"], 7);
    EXPECT_TRUE(j["run"]["duration_ms"].is_null()) << "NaN is null in JSON";
    EXPECT_EQ(j["steps"][0]["step"], "profile");
    EXPECT_TRUE(j["tables"][0]["rows"].is_null());
    EXPECT_EQ(j["tables"][1]["table"], "dmine.result_profile");
    EXPECT_EQ(j["clustering"]["chosen_k"], 4);
    EXPECT_EQ(j["sections"][0]["state"], "ok");
    EXPECT_NO_THROW(json::parse(j.dump()));
}

TEST(ReportData, JsonWritesCountsAsIntegers) {
    ReportData d;
    d.run = full_run("succeeded");
    ProfileColumn c;
    c.name = "amount";
    c.top_values = {{"grocery", 694.0, 0.5}, {"toys", 2.5, 0.1}};
    c.histogram = Histogram{{0, 1, 2}, {12.0, 3.0}};
    d.profile.push_back(c);
    d.anomalies.score_histogram = Histogram{{0, 0.5, 1}, {40.0, 2.0}};
    json j = to_json(d);
    const json &col = j["profile"]["columns"][0];
    EXPECT_TRUE(col["top_values"][0]["count"].is_number_integer());
    EXPECT_EQ(col["top_values"][0]["count"].dump(), "694");
    EXPECT_TRUE(col["top_values"][1]["count"].is_number_float()); // a fractional count stays one
    EXPECT_EQ(col["histogram"]["counts"].dump(), "[12,3]");
    EXPECT_EQ(j["anomalies"]["score_histogram"]["counts"].dump(), "[40,2]");
}
