// The data of one report: what the result tables of a run say, shaped for the sections.
// load_report() reads it from the database (by run_id); the shaping functions below are pure
// and unit-tested on hand-made rows.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "db.hpp"
#include "explore_data.hpp"
#include "forecast_data.hpp"

namespace dmine::report {

using opt_d = std::optional<double>;
using opt_i = std::optional<int64_t>;
using opt_s = std::optional<std::string>;

struct RunInfo {
    int64_t id = 0;
    opt_s config_name, mode, status, started_at, finished_at, error;
    std::vector<std::string> planned_steps;
    nlohmann::json warehouse;  // null when absent
    nlohmann::json parameters; // null when absent
    opt_d duration_ms;
};

struct StepInfo {
    std::string name;
    opt_i position;
    opt_s status, started_at, finished_at, error;
    opt_d duration_ms;
    opt_i rows;
    nlohmann::json details;
};

struct TableCount {
    std::string table; // without schema
    opt_i rows;        // nullopt: the table does not exist
};

struct Histogram {
    std::vector<double> edges; // counts.size() + 1 edges
    std::vector<double> counts;
    bool valid() const { return !counts.empty() && edges.size() == counts.size() + 1; }
};

struct TopValue {
    std::string value;
    double count = 0;
    opt_d share;
};

struct ProfileColumn {
    std::string name;
    opt_i ordinal;
    opt_s data_type, kind, role, min_value, max_value;
    opt_i row_count, null_count, distinct_estimate;
    opt_d null_fraction, mean, stddev, p25, p50, p75, skewness, kurtosis;
    std::optional<Histogram> histogram;
    std::vector<TopValue> top_values;
};

struct CorrelationMatrix {
    std::vector<std::string> features;
    std::vector<std::vector<opt_d>> r; // features × features; the diagonal is 1
};

struct KScore {
    int64_t k = 0;
    opt_d inertia, silhouette;
    bool chosen = false;
};

struct ClusterProfile {
    int64_t cluster = 0;
    opt_i size;
    opt_d share;
    opt_s label;
    std::vector<opt_d> measures; // in Clustering::measure_names order
};

struct ClusterPoint {
    int64_t cluster = 0;
    double x = 0, y = 0;
};

struct Clustering {
    std::vector<KScore> scores;
    std::optional<int64_t> chosen_k;
    std::vector<std::string> measure_names; // the feature columns present, in contract order
    std::vector<ClusterProfile> profiles;
    std::string point_x, point_y; // the features of the customer scatter
    std::vector<ClusterPoint> points;
    opt_i customers;
};

struct Contribution {
    std::string feature;
    double contribution = 0;
};

struct AnomalyRow {
    opt_s line_key, customer_key, occurred_at, anomaly_type;
    opt_s reason; // the sentence with the numbers (result_anomalies.reason, when the column exists)
    opt_d amount, quantity, score;
    std::optional<bool> is_anomaly;
    std::vector<Contribution> explanation;
};

struct Anomalies {
    opt_i lines_scored, anomalies;
    opt_d threshold;
    std::optional<Histogram> score_histogram;
    std::vector<AnomalyRow> top;
    std::vector<std::pair<std::string, int64_t>> type_counts;
};

struct RfmSegment {
    std::string segment;
    int64_t customers = 0;
    opt_d share, monetary, avg_recency, avg_frequency, avg_monetary;
};

struct RfmCell {
    int64_t r = 0, f = 0;
    int64_t customers = 0;
    opt_d avg_monetary;
};

struct Rfm {
    std::vector<RfmSegment> segments;
    std::vector<RfmCell> grid;
    int64_t customers = 0;
    opt_d monetary;
};

enum class SectionState {
    ok,          // results present
    failed,      // a step of the section failed: the error is shown
    running,     // the run has not finished the step yet
    skipped,     // the step was skipped or is not part of the run
    empty,       // the step succeeded but wrote no rows
    unavailable, // the result tables are missing (or lack required columns)
};

const char *to_string(SectionState s);

struct SectionStatus {
    std::string key, title;
    SectionState state = SectionState::ok;
    std::string message; // why the section is missing (empty when ok)
    std::string error;   // the step's error, when it failed
};

struct ReportMeta {
    std::string database, host, server_version, generated_at, tool_version;
};

struct ReportData {
    ReportMeta meta;
    RunInfo run;
    std::vector<StepInfo> steps;
    std::vector<TableCount> tables;
    std::vector<ProfileColumn> profile;
    CorrelationMatrix correlation;
    Clustering clustering;
    Anomalies anomalies;
    Rfm rfm;
    Trends trends;
    Breakdowns breakdowns;
    Forecasts forecasts;
    std::vector<SectionStatus> sections; // in section_specs() order
    std::vector<std::string> notes;      // tolerated gaps (missing optional columns, …)

    const SectionStatus *section(const std::string &key) const;
};

// Which steps feed each section (contract of docs/results.md).
struct SectionSpec {
    const char *key;
    const char *title;
    std::vector<std::string> steps;
    std::vector<std::string> tables;
};
const std::vector<SectionSpec> &section_specs();

// The result tables of a run, in the order they are listed and exported.
const std::vector<std::string> &result_tables();

// ---- shaping (pure) ----

Histogram parse_histogram(const nlohmann::json &j); // {"edges": [...], "counts": [...]}
std::vector<TopValue> parse_top_values(const nlohmann::json &j);
std::vector<Contribution> parse_explanation(const nlohmann::json &j);
nlohmann::json parse_json(const std::optional<std::string> &text); // null on absent/invalid
std::vector<std::string> parse_text_array(const std::optional<std::string> &text); // {a,"b c"}

RunInfo run_from_rows(const Rows &rows, size_t r = 0);
std::vector<StepInfo> steps_from_rows(const Rows &rows);
std::vector<ProfileColumn> profile_from_rows(const Rows &rows);
CorrelationMatrix correlation_from_rows(const Rows &rows); // feature_x, feature_y, correlation
std::vector<KScore> kscores_from_rows(const Rows &rows);
std::optional<int64_t> chosen_k(const std::vector<KScore> &scores); // flagged, else best silhouette
std::vector<ClusterProfile> cluster_profiles_from_rows(const Rows &rows,
                                                       const std::vector<std::string> &measures);
std::vector<AnomalyRow> anomalies_from_rows(const Rows &rows);
std::vector<RfmSegment> rfm_segments_from_rows(const Rows &rows); // segment, customers, monetary, …
std::vector<RfmCell> rfm_grid_from_rows(const Rows &rows); // r_score, f_score, customers, …

// The state of a section from the run and its steps. has_rows tells whether its main result
// table holds rows for the run; table_missing that the table does not exist.
SectionStatus section_status(const SectionSpec &spec, const RunInfo &run,
                             const std::vector<StepInfo> &steps, bool has_rows, bool table_missing);

// The report data as JSON (what --json writes and what a custom template can read).
nlohmann::json to_json(const ReportData &data);

// ---- reading ----

using Progress = std::function<void(const std::string &)>;

// The run to report: the requested one, or the latest successful run. Throws Error with one
// line for a missing dmine schema or run table, or no such run.
int64_t pick_run(Connection &conn, std::optional<int64_t> requested);

ReportData load_report(Connection &conn, int64_t run_id, const Progress &progress,
                       size_t top_anomalies = 25, size_t max_points = 2000);

// Columns of the tables and views in schema dmine: table → column names.
std::map<std::string, std::set<std::string>> dmine_columns(Connection &conn);

} // namespace dmine::report
