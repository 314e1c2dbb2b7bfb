// From ReportData to HTML: the view (formatted values for the template), the chart options
// (Apache ECharts option objects, JSON) and the Mustache template that puts them together.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "report_data.hpp"

namespace dmine::report {

// The built-in template and the charting library compiled into the tool.
std::string_view default_template();
std::string_view echarts_js();
std::string echarts_version(); // read from the bundle's header ("6.1.0"), "" if not found

// Chart options, one function per chart kind (pure; unit-tested).
nlohmann::json chart_step_durations(const std::vector<StepInfo> &steps);
nlohmann::json chart_histogram(const std::string &name, const Histogram &h,
                               std::optional<double> threshold = {});
nlohmann::json chart_top_values(const std::string &name, const std::vector<TopValue> &values,
                                size_t limit = 10);
nlohmann::json chart_correlation(const CorrelationMatrix &m);
nlohmann::json chart_kscores(const std::vector<KScore> &scores, std::optional<int64_t> chosen);
nlohmann::json chart_cluster_sizes(const std::vector<ClusterProfile> &profiles);
nlohmann::json chart_cluster_scatter(const Clustering &c);
nlohmann::json chart_anomaly_types(const std::vector<std::pair<std::string, int64_t>> &counts);
nlohmann::json chart_rfm_segments(const std::vector<RfmSegment> &segments);
nlohmann::json chart_rfm_grid(const std::vector<RfmCell> &grid);

// People's names and formats for the customer features of the contract.
std::string feature_label(const std::string &feature);
std::string format_feature(const std::string &feature, std::optional<double> v);

// "amount 61 % · hour 22 %" (contributions as shares of the total).
std::string explanation_text(const std::vector<Contribution> &explanation, size_t limit = 3);

// Everything the template sees: formatted tables, section states, the chart list and, as
// script-safe JSON text, the chart options (charts_json) and the report data (report_json).
nlohmann::json build_view(const ReportData &data);

// JSON text that is safe inside an HTML <script> element.
std::string script_safe_json(const nlohmann::json &j);

// Renders a Mustache template with the view (plus the inlined charting library as echarts_js).
// Throws Error with the template's parse error.
std::string render_html(const std::string &template_text, const nlohmann::json &view);

} // namespace dmine::report
