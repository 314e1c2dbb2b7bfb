// Chart options, the view and the HTML of the built-in template.
#include <gtest/gtest.h>

#include "format.hpp"
#include "render.hpp"

using namespace dmine::report;
using nlohmann::json;

namespace {

ReportData sample_report() {
    ReportData d;
    d.meta = {"shop", "localhost", "15.4", "2025-01-02 04:00:00+00", "0.1.0"};
    d.run.id = 3;
    d.run.status = "failed";
    d.run.mode = "full";
    d.run.planned_steps = {"profile",          "features",  "clustering",
                           "cluster_profiles", "anomalies", "rfm"};
    d.run.started_at = "2025-01-02 03:00:00.5+00";
    d.run.duration_ms = 107500;
    d.run.error = "step anomalies failed: <b>boom</b>";
    d.run.warehouse = json{{"fact_table", "shop.sales"}, {"currency", "EUR"}};
    StepInfo p;
    p.name = "profile";
    p.status = "succeeded";
    p.duration_ms = 8420;
    p.rows = 1234567;
    StepInfo a;
    a.name = "anomalies";
    a.status = "failed";
    a.error = "<b>boom</b>";
    d.steps = {p, a};
    d.tables = {{"result_profile", 2}, {"result_rfm", std::nullopt}};
    ProfileColumn c;
    c.name = "amount";
    c.row_count = 60000;
    c.null_fraction = 0.001;
    c.mean = 20.7357;
    c.histogram = Histogram{{0, 10, 20}, {5, 7}};
    d.profile = {c};
    d.correlation.features = {"amount", "quantity"};
    d.correlation.r = {{1.0, 0.42}, {0.42, 1.0}};
    d.clustering.scores = {{2, 100.0, 0.4, false}, {3, 80.0, 0.5, true}};
    d.clustering.chosen_k = 3;
    d.clustering.measure_names = {"recency_days", "monetary", "night_share"};
    ClusterProfile cp;
    cp.cluster = 0;
    cp.size = 1200;
    cp.share = 0.6;
    cp.label = "Regulars";
    cp.measures = {4.5, 1858.01, 0.325};
    d.clustering.profiles = {cp};
    d.clustering.point_x = "recency_days";
    d.clustering.point_y = "monetary";
    d.clustering.points = {{0, 1, 10}, {0, 2, 20}};
    d.rfm.segments = {{"Champions", 40, 0.4, 9000, 3, 12, 225}};
    d.rfm.customers = 40;
    d.rfm.monetary = 9000;
    d.rfm.grid = {{5, 5, 40, 225.0}};
    for (const auto &spec : section_specs())
        d.sections.push_back(
            section_status(spec, d.run, d.steps, std::string(spec.key) != "anomalies", false));
    return d;
}

} // namespace

TEST(ReportRender, ScriptSafeJson) {
    std::string s = script_safe_json(json{{"x", "</script><!-- & \xE2\x80\xA8"}});
    EXPECT_EQ(s.find("</"), std::string::npos);
    EXPECT_EQ(s.find("<!--"), std::string::npos);
    EXPECT_NE(s.find("\\u003c/script\\u003e"), std::string::npos);
    EXPECT_NE(s.find("\\u2028"), std::string::npos);
    EXPECT_EQ(json::parse(s)["x"], "</script><!-- & \xE2\x80\xA8");
}

TEST(ReportRender, HistogramMarksTheThreshold) {
    Histogram h{{0.3, 0.4, 0.5, 0.6, 0.7}, {100, 50, 5, 1}};
    json o = chart_histogram("score", h, 0.55);
    const json &s = o["series"][0];
    EXPECT_EQ(s["markLine"]["data"][0]["xAxis"], 2) << "the bin that holds the threshold";
    EXPECT_EQ(s["data"][3]["itemStyle"]["color"], "#e15759") << "bins above the threshold are red";
    EXPECT_FALSE(s["data"][0].contains("itemStyle"));
    EXPECT_EQ(o["xAxis"]["data"].size(), 4u);
    EXPECT_TRUE(o.contains("dataZoom"));
    EXPECT_FALSE(chart_histogram("x", h)["series"][0].contains("markLine"));
}

TEST(ReportRender, KScoresMarkTheChosenK) {
    json o = chart_kscores(
        {{2, 100.0, 0.4, false}, {3, 80.0, 0.5, true}, {4, 70.0, std::nullopt, false}}, 3);
    EXPECT_EQ(o["series"][0]["markLine"]["data"][0]["xAxis"], 1);
    EXPECT_EQ(o["series"][0]["data"][2], nullptr) << "a missing silhouette is a gap";
    EXPECT_EQ(o["series"][0]["data"][1]["itemStyle"]["color"], "#e15759")
        << "the chosen point stands out";
    EXPECT_EQ(o["xAxis"]["data"][0], "2");
    EXPECT_NE(o["series"][0]["markLine"]["label"]["formatter"].get<std::string>().find("k = 3"),
              std::string::npos);
}

TEST(ReportRender, HeatmapsAndGrid) {
    CorrelationMatrix m{{"a", "b"}, {{1.0, -0.333}, {-0.333, 1.0}}};
    json c = chart_correlation(m);
    EXPECT_EQ(c["series"][0]["data"].size(), 4u);
    EXPECT_EQ(c["series"][0]["data"][1][2], -0.33);
    json g = chart_rfm_grid({{1, 1, 3, 10.0}, {5, 4, 9, std::nullopt}});
    EXPECT_EQ(g["yAxis"]["data"].size(), 5u);
    EXPECT_EQ(g["xAxis"]["data"].size(), 4u);
    EXPECT_EQ(g["series"][0]["data"][1]["value"], json::array({3, 4, 9}));
    EXPECT_EQ(g["visualMap"]["max"], 9);
}

TEST(ReportRender, FeaturesAndExplanationsForPeople) {
    EXPECT_EQ(feature_label("recency_days"), "Recency (days)");
    EXPECT_EQ(feature_label("basket_size"), "Basket size");
    EXPECT_EQ(format_feature("night_share", 0.325), "32.5 %");
    EXPECT_EQ(format_feature("monetary", 1858.014), "1,858.01");
    EXPECT_EQ(format_feature("recency_days", 45.2), "45 days");
    EXPECT_EQ(format_feature("frequency", std::nullopt), kMissing);
    EXPECT_EQ(explanation_text({{"amount", 0.6}, {"hour", 0.3}, {"quantity", 0.1}, {"store", 0.0}}),
              "amount 60 % · hour 30 % · quantity 10 %");
    EXPECT_EQ(explanation_text({}), kMissing);
}

TEST(ReportRender, ViewFormatsForPeople) {
    json v = build_view(sample_report());
    EXPECT_EQ(v["run"]["duration"], "1 min 48 s");
    EXPECT_EQ(v["steps"][0]["rows"], "1,234,567");
    EXPECT_EQ(v["profile"]["columns"][0]["nulls"], "0.1 %");
    EXPECT_EQ(v["clustering"]["profiles"][0]["cells"][1]["value"], "1,858.01 EUR");
    EXPECT_EQ(v["tables"][1]["rows"], "table missing");
    EXPECT_EQ(v["anomalies"]["state"], "failed");
    EXPECT_TRUE(v["anomalies"]["missing"].get<bool>());
    EXPECT_EQ(v["anomalies"]["error"], "<b>boom</b>");
    json charts = json::parse(v["charts_json"].get<std::string>());
    for (const char *id :
         {"chart-steps", "chart-dist-0", "chart-correlation", "chart-kscores",
          "chart-cluster-sizes", "chart-cluster-scatter", "chart-rfm-segments", "chart-rfm-grid"})
        EXPECT_TRUE(charts.contains(id)) << id;
    EXPECT_FALSE(charts.contains("chart-anomaly-scores"));
}

TEST(ReportRender, DefaultTemplateMakesOneSelfContainedPage) {
    std::string html = render_html(std::string(default_template()), build_view(sample_report()));
    for (const char *id : {"summary", "profile", "clustering", "anomalies", "rfm", "appendix"})
        EXPECT_NE(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
    // Without exploration results, their sections are left out; the appendix comes last.
    EXPECT_EQ(html.find("<section id=\"trends\""), std::string::npos);
    EXPECT_EQ(html.find("<section id=\"breakdowns\""), std::string::npos);
    EXPECT_GT(html.find("<section id=\"appendix\""), html.find("<section id=\"rfm\""));
    EXPECT_NE(html.find("data-missing=\"anomalies\""), std::string::npos);
    EXPECT_NE(html.find("&lt;b&gt;boom&lt;/b&gt;"), std::string::npos) << "errors are escaped";
    EXPECT_EQ(html.find("<b>boom</b>"), std::string::npos);
    EXPECT_NE(html.find("Apache Software Foundation"), std::string::npos)
        << "the charting library is inlined";
    EXPECT_EQ(html.find("<script src"), std::string::npos) << "nothing loaded from elsewhere";
    EXPECT_EQ(html.find("<link"), std::string::npos);
    EXPECT_NE(html.find("1,234,567"), std::string::npos);
    EXPECT_FALSE(echarts_version().empty());
}

TEST(ReportRender, CustomTemplates) {
    json v = build_view(sample_report());
    std::string out = render_html("run {{run.id}}:{{#nav}} {{key}}{{/nav}}", v);
    EXPECT_EQ(out, "run 3: summary profile clustering anomalies rfm appendix");
    EXPECT_THROW(render_html("{{#open}} never closed", v), Error);
}

namespace {

ReportData explore_report() {
    ReportData d = sample_report();
    for (int m = 1; m <= 3; ++m) {
        TrendPoint p;
        p.grain = "month";
        p.period_start = "2024-0" + std::to_string(m) + "-01";
        p.revenue = 1000.0 * m;
        p.trend = 900.0 * m;
        d.trends.points.push_back(p);
        p.grain = "week";
        d.trends.points.push_back(p);
    }
    d.trends.seasonality = {{"weekday", 1, "Monday", 0.8, 0.5},
                            {"weekday", 6, "Saturday", 1.2, 0.5}};
    d.trends.heatmap = {{6, 11, 300.0, 12}, {1, 9, 100.0, 4}};
    for (int i = 0; i < 10; ++i) {
        BreakdownRow r;
        r.dimension = "product";
        r.attribute = "family";
        r.value = "F" + std::to_string(i);
        r.revenue = 1000.0 / (i + 1);
        r.abc_class = i < 3 ? "A" : i < 6 ? "B" : "C";
        r.rank = i + 1;
        d.breakdowns.rows.push_back(r);
    }
    d.breakdowns.concentration = {{"product", "family", 10, 3, 0.45, 0.5}};
    ProfileColumn id;
    id.name = "line_id";
    id.role = "identifier";
    id.mean = 5;
    id.histogram = Histogram{{0, 10, 20}, {5, 7}};
    d.profile.push_back(id);
    d.sections.clear();
    for (const auto &spec : section_specs())
        d.sections.push_back(
            section_status(spec, d.run, d.steps, std::string(spec.key) != "anomalies", false));
    return d;
}

} // namespace

TEST(ReportRender, ExploreSectionsAndFindings) {
    ReportData d = explore_report();
    json v = build_view(d);
    EXPECT_TRUE(v["trends"]["show"].get<bool>());
    EXPECT_TRUE(v["breakdowns"]["show"].get<bool>());
    EXPECT_TRUE(v["has_findings"].get<bool>());
    json charts = json::parse(v["charts_json"].get<std::string>());
    for (const char *id : {"chart-trend", "chart-season-weekday", "chart-heatmap",
                           "chart-breakdown-0", "chart-pareto"})
        EXPECT_TRUE(charts.contains(id)) << id;
    // The trend: revenue and a dashed trend; weeks ride along for the switch.
    const json &t = charts["chart-trend"];
    EXPECT_EQ(t["series"].size(), 2u);
    EXPECT_EQ(t["series"][1]["lineStyle"]["type"], "dashed");
    ASSERT_EQ(t["dmineVariants"].size(), 2u);
    EXPECT_EQ(t["dmineVariants"][0]["name"], "Month");
    EXPECT_EQ(t["dmineVariants"][1]["name"], "Week");
    // Pareto: the 80 % line, A/B/C areas, a curve from 0 to 100 %.
    const json &p = charts["chart-pareto"];
    EXPECT_EQ(p["series"][0]["markLine"]["data"][0]["yAxis"], 80);
    EXPECT_EQ(p["series"][0]["markArea"]["data"].size(), 3u);
    EXPECT_EQ(p["series"][0]["data"].back()[1], 100.0);
    // Class A bars in the class colour.
    EXPECT_EQ(charts["chart-breakdown-0"]["series"][0]["data"].back()["itemStyle"]["color"],
              "#4e79a7");
    // No distribution chart for the identifier; its moments are not shown.
    for (const auto &c : v["profile"]["distribution_charts"]) EXPECT_NE(c["column"], "line_id");
    EXPECT_EQ(v["profile"]["columns"].back()["role"], "identifier");
    EXPECT_EQ(v["profile"]["columns"].back()["mean"], kMissing);
    std::string html = render_html(std::string(default_template()), v);
    size_t findings = html.find("data-findings"), trends = html.find("<section id=\"trends\"");
    EXPECT_NE(findings, std::string::npos);
    EXPECT_LT(findings, trends);
    EXPECT_LT(trends, html.find("<section id=\"breakdowns\""));
    EXPECT_NE(html.find("id=\"breakdowns-concentration\""), std::string::npos);
    EXPECT_NE(html.find("id=\"trends-seasonality\""), std::string::npos);
    json j = to_json(d);
    EXPECT_EQ(j["trends"]["points"].size(), 6u);
    EXPECT_EQ(j["breakdowns"]["concentration"][0]["gini"], 0.45);
    EXPECT_FALSE(j["findings"].empty());
}
