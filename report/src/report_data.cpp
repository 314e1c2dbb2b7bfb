#include "report_data.hpp"
#include "findings.hpp"

#include <algorithm>
#include <cmath>

namespace dmine::report {

using nlohmann::json;

namespace {

opt_d json_number(const json &j) {
    if (j.is_number()) return j.get<double>();
    if (j.is_string()) return parse_number(j.get<std::string>());
    return std::nullopt;
}

const StepInfo *find_step(const std::vector<StepInfo> &steps, const std::string &name) {
    for (const auto &s : steps)
        if (s.name == name) return &s;
    return nullptr;
}

json opt_json(const opt_d &v) {
    return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}
json opt_json(const opt_i &v) {
    return v ? json(*v) : json(nullptr);
}
json opt_json(const opt_s &v) {
    return v ? json(*v) : json(nullptr);
}

// Counts are read as float8 (histograms, top values) but are whole numbers: JSON integers.
json count_json(double v) {
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
        return json(static_cast<int64_t>(v));
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json histogram_json(const std::optional<Histogram> &h) {
    if (!h) return nullptr;
    json counts = json::array();
    for (double c : h->counts) counts.push_back(count_json(c));
    return json{{"edges", h->edges}, {"counts", counts}};
}

} // namespace

const char *to_string(SectionState s) {
    switch (s) {
    case SectionState::ok:
        return "ok";
    case SectionState::failed:
        return "failed";
    case SectionState::running:
        return "running";
    case SectionState::skipped:
        return "skipped";
    case SectionState::empty:
        return "empty";
    case SectionState::unavailable:
        return "unavailable";
    }
    return "unknown";
}

const SectionStatus *ReportData::section(const std::string &key) const {
    for (const auto &s : sections)
        if (s.key == key) return &s;
    return nullptr;
}

const std::vector<SectionSpec> &section_specs() {
    static const std::vector<SectionSpec> specs = {
        {"trends",
         "Sales over time",
         {"trends"},
         {"result_trends", "result_seasonality", "result_heatmap"}},
        {"breakdowns", "Breakdowns", {"breakdowns"}, {"result_breakdowns", "result_concentration"}},
        {"forecast", "Forecast", {"forecast"}, {"result_forecasts"}},
        {"profile", "Data profile", {"profile"}, {"result_profile", "result_correlation"}},
        {"clustering",
         "Customer clusters",
         {"features", "clustering", "cluster_profiles"},
         {"result_kmeans_scores", "result_cluster_profiles", "result_clusters",
          "result_customer_features"}},
        {"anomalies", "Anomalies", {"anomalies"}, {"result_anomaly_summary", "result_anomalies"}},
        {"rfm", "RFM segments", {"rfm"}, {"result_rfm"}},
    };
    return specs;
}

const std::vector<std::string> &result_tables() {
    static const std::vector<std::string> tables = {
        "result_profile",       "result_correlation",     "result_customer_features",
        "result_kmeans_scores", "result_clusters",        "result_cluster_profiles",
        "result_anomalies",     "result_anomaly_summary", "result_rfm",
        "result_trends",        "result_seasonality",     "result_heatmap",
        "result_breakdowns",    "result_concentration",   "result_forecasts"};
    return tables;
}

// ---- shaping ----

json parse_json(const std::optional<std::string> &text) {
    if (!text) return nullptr;
    json j = json::parse(*text, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
}

std::vector<std::string> parse_text_array(const std::optional<std::string> &text) {
    std::vector<std::string> out;
    if (!text || text->size() < 2 || text->front() != '{' || text->back() != '}') return out;
    const std::string &s = *text;
    size_t i = 1, end = s.size() - 1;
    while (i < end) {
        std::string item;
        if (s[i] == '"') {
            ++i;
            while (i < end && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < end) ++i;
                item += s[i++];
            }
            ++i; // closing quote
        } else {
            while (i < end && s[i] != ',') item += s[i++];
            if (item == "NULL") item.clear();
        }
        out.push_back(item);
        if (i < end && s[i] == ',') ++i;
    }
    return out;
}

Histogram parse_histogram(const json &j) {
    Histogram h;
    if (!j.is_object()) return h;
    auto read = [](const json &a, std::vector<double> &out) {
        if (!a.is_array()) return;
        for (const auto &v : a) {
            auto d = json_number(v);
            out.push_back(d ? *d : 0.0);
        }
    };
    if (j.contains("edges")) read(j["edges"], h.edges);
    if (j.contains("counts")) read(j["counts"], h.counts);
    // Also accept {"bins": [{"lower": , "upper": , "count": }]}.
    if (h.counts.empty() && j.contains("bins") && j["bins"].is_array()) {
        for (const auto &b : j["bins"]) {
            if (!b.is_object()) continue;
            if (h.edges.empty())
                h.edges.push_back(json_number(b.value("lower", json())).value_or(0));
            h.edges.push_back(json_number(b.value("upper", json())).value_or(0));
            h.counts.push_back(json_number(b.value("count", json())).value_or(0));
        }
    }
    return h;
}

std::vector<TopValue> parse_top_values(const json &j) {
    std::vector<TopValue> out;
    if (j.is_array()) {
        for (const auto &v : j) {
            TopValue t;
            if (v.is_object()) {
                const json &value = v.contains("value") ? v["value"] : json();
                t.value = value.is_string() ? value.get<std::string>() : value.dump();
                t.count = json_number(v.value("count", json())).value_or(0);
                if (v.contains("share"))
                    t.share = json_number(v["share"]);
                else if (v.contains("fraction"))
                    t.share = json_number(v["fraction"]);
            } else if (v.is_array() && v.size() >= 2) {
                t.value = v[0].is_string() ? v[0].get<std::string>() : v[0].dump();
                t.count = json_number(v[1]).value_or(0);
            } else {
                continue;
            }
            out.push_back(std::move(t));
        }
    } else if (j.is_object()) { // {"value": count, ...}
        for (const auto &[k, v] : j.items())
            out.push_back({k, json_number(v).value_or(0), std::nullopt});
        std::stable_sort(out.begin(), out.end(),
                         [](const TopValue &a, const TopValue &b) { return a.count > b.count; });
    }
    return out;
}

std::vector<Contribution> parse_explanation(const json &j) {
    std::vector<Contribution> out;
    if (j.is_array()) {
        for (const auto &v : j) {
            if (!v.is_object() || !v.contains("feature")) continue;
            const json &f = v["feature"];
            out.push_back({f.is_string() ? f.get<std::string>() : f.dump(),
                           json_number(v.value("contribution", json())).value_or(0)});
        }
    } else if (j.is_object()) { // {"amount": 0.61, ...}
        for (const auto &[k, v] : j.items()) out.push_back({k, json_number(v).value_or(0)});
    }
    std::stable_sort(out.begin(), out.end(), [](const Contribution &a, const Contribution &b) {
        return a.contribution > b.contribution;
    });
    return out;
}

RunInfo run_from_rows(const Rows &rows, size_t r) {
    RunInfo run;
    run.id = rows.integer(r, "run_id").value_or(0);
    run.config_name = rows.text(r, "config_name");
    run.mode = rows.text(r, "mode");
    run.status = rows.text(r, "status");
    run.started_at = rows.text(r, "started_at");
    run.finished_at = rows.text(r, "finished_at");
    run.error = rows.text(r, "error");
    run.planned_steps = parse_text_array(rows.text(r, "steps"));
    run.warehouse = parse_json(rows.text(r, "warehouse"));
    run.parameters = parse_json(rows.text(r, "parameters"));
    run.duration_ms = rows.number(r, "duration_ms");
    return run;
}

std::vector<StepInfo> steps_from_rows(const Rows &rows) {
    std::vector<StepInfo> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        StepInfo s;
        s.name = rows.text(r, "step").value_or("?");
        s.position = rows.integer(r, "position");
        s.status = rows.text(r, "status");
        s.started_at = rows.text(r, "started_at");
        s.finished_at = rows.text(r, "finished_at");
        s.duration_ms = rows.number(r, "duration_ms");
        s.rows = rows.integer(r, "rows");
        s.error = rows.text(r, "error");
        s.details = parse_json(rows.text(r, "details"));
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<ProfileColumn> profile_from_rows(const Rows &rows) {
    std::vector<ProfileColumn> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        ProfileColumn c;
        c.name = rows.text(r, "column_name").value_or("?");
        c.ordinal = rows.integer(r, "ordinal");
        c.data_type = rows.text(r, "data_type");
        c.kind = rows.text(r, "kind");
        c.role = rows.text(r, "role");
        c.row_count = rows.integer(r, "row_count");
        c.null_count = rows.integer(r, "null_count");
        c.null_fraction = rows.number(r, "null_fraction");
        if (!c.null_fraction && c.null_count && c.row_count && *c.row_count > 0)
            c.null_fraction =
                static_cast<double>(*c.null_count) / static_cast<double>(*c.row_count);
        c.distinct_estimate = rows.integer(r, "distinct_estimate");
        c.mean = rows.number(r, "mean");
        c.stddev = rows.number(r, "stddev");
        c.p25 = rows.number(r, "p25");
        c.p50 = rows.number(r, "p50");
        c.p75 = rows.number(r, "p75");
        c.min_value = rows.text(r, "min_value");
        c.max_value = rows.text(r, "max_value");
        c.skewness = rows.number(r, "skewness");
        c.kurtosis = rows.number(r, "kurtosis");
        Histogram h = parse_histogram(parse_json(rows.text(r, "histogram")));
        if (h.valid()) c.histogram = std::move(h);
        c.top_values = parse_top_values(parse_json(rows.text(r, "top_values")));
        out.push_back(std::move(c));
    }
    std::stable_sort(out.begin(), out.end(), [](const ProfileColumn &a, const ProfileColumn &b) {
        return a.ordinal.value_or(INT64_MAX) < b.ordinal.value_or(INT64_MAX);
    });
    return out;
}

CorrelationMatrix correlation_from_rows(const Rows &rows) {
    CorrelationMatrix m;
    auto index_of = [&m](const std::string &f) {
        auto it = std::find(m.features.begin(), m.features.end(), f);
        if (it != m.features.end()) return static_cast<size_t>(it - m.features.begin());
        m.features.push_back(f);
        return m.features.size() - 1;
    };
    struct Pair {
        size_t x, y;
        opt_d r;
    };
    std::vector<Pair> pairs;
    for (size_t r = 0; r < rows.size(); ++r) {
        auto x = rows.text(r, "feature_x"), y = rows.text(r, "feature_y");
        if (!x || !y) continue;
        size_t ix = index_of(*x), iy = index_of(*y);
        pairs.push_back({ix, iy, rows.number(r, "correlation")});
    }
    size_t n = m.features.size();
    m.r.assign(n, std::vector<opt_d>(n));
    for (size_t i = 0; i < n; ++i) m.r[i][i] = 1.0;
    // Pairs may be stored once (x < y) or both ways; the matrix is symmetric either way.
    for (const auto &p : pairs) {
        m.r[p.x][p.y] = p.r;
        if (!m.r[p.y][p.x] || p.x == p.y) m.r[p.y][p.x] = p.r;
    }
    return m;
}

std::vector<KScore> kscores_from_rows(const Rows &rows) {
    std::vector<KScore> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        auto k = rows.integer(r, "k");
        if (!k) continue;
        out.push_back({*k, rows.number(r, "inertia"), rows.number(r, "silhouette"),
                       rows.boolean(r, "chosen").value_or(false)});
    }
    std::sort(out.begin(), out.end(), [](const KScore &a, const KScore &b) { return a.k < b.k; });
    return out;
}

std::optional<int64_t> chosen_k(const std::vector<KScore> &scores) {
    for (const auto &s : scores)
        if (s.chosen) return s.k;
    const KScore *best = nullptr;
    for (const auto &s : scores)
        if (s.silhouette && (!best || *s.silhouette > *best->silhouette)) best = &s;
    if (best) return best->k;
    return std::nullopt;
}

std::vector<ClusterProfile> cluster_profiles_from_rows(const Rows &rows,
                                                       const std::vector<std::string> &measures) {
    std::vector<ClusterProfile> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        ClusterProfile p;
        p.cluster = rows.integer(r, "cluster").value_or(static_cast<int64_t>(r));
        p.size = rows.integer(r, "size");
        p.share = rows.number(r, "share");
        p.label = rows.text(r, "label");
        json centroid = parse_json(rows.text(r, "centroid"));
        for (const auto &m : measures) {
            opt_d v = rows.number(r, m);
            if (!v && centroid.is_object() && centroid.contains(m)) v = json_number(centroid[m]);
            p.measures.push_back(v);
        }
        out.push_back(std::move(p));
    }
    int64_t total = 0;
    bool all_sizes = !out.empty();
    for (const auto &p : out) {
        if (p.size)
            total += *p.size;
        else
            all_sizes = false;
    }
    if (all_sizes && total > 0)
        for (auto &p : out)
            if (!p.share) p.share = static_cast<double>(*p.size) / static_cast<double>(total);
    std::sort(out.begin(), out.end(), [](const ClusterProfile &a, const ClusterProfile &b) {
        return a.cluster < b.cluster;
    });
    return out;
}

std::vector<AnomalyRow> anomalies_from_rows(const Rows &rows) {
    std::vector<AnomalyRow> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        AnomalyRow a;
        a.line_key = rows.text(r, "line_key");
        a.customer_key = rows.text(r, "customer_key");
        a.occurred_at = rows.text(r, "occurred_at");
        a.amount = rows.number(r, "amount");
        a.quantity = rows.number(r, "quantity");
        a.score = rows.number(r, "score");
        a.is_anomaly = rows.boolean(r, "is_anomaly");
        a.explanation = parse_explanation(parse_json(rows.text(r, "explanation")));
        a.anomaly_type = rows.text(r, "anomaly_type");
        a.reason = rows.text(r, "reason");
        if (!a.anomaly_type && !a.explanation.empty())
            a.anomaly_type = a.explanation.front().feature;
        out.push_back(std::move(a));
    }
    return out;
}

std::vector<RfmSegment> rfm_segments_from_rows(const Rows &rows) {
    std::vector<RfmSegment> out;
    int64_t total = 0;
    for (size_t r = 0; r < rows.size(); ++r) {
        RfmSegment s;
        s.segment = rows.text(r, "segment").value_or("(none)");
        s.customers = rows.integer(r, "customers").value_or(0);
        s.share = rows.number(r, "share");
        s.monetary = rows.number(r, "monetary");
        s.avg_recency = rows.number(r, "avg_recency");
        s.avg_frequency = rows.number(r, "avg_frequency");
        s.avg_monetary = rows.number(r, "avg_monetary");
        total += s.customers;
        out.push_back(std::move(s));
    }
    for (auto &s : out)
        if (!s.share && total > 0)
            s.share = static_cast<double>(s.customers) / static_cast<double>(total);
    std::stable_sort(out.begin(), out.end(), [](const RfmSegment &a, const RfmSegment &b) {
        double ma = a.monetary.value_or(-INFINITY), mb = b.monetary.value_or(-INFINITY);
        if (ma != mb) return ma > mb;
        return a.customers > b.customers;
    });
    return out;
}

std::vector<RfmCell> rfm_grid_from_rows(const Rows &rows) {
    std::vector<RfmCell> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        auto rs = rows.integer(r, "r_score"), fs = rows.integer(r, "f_score");
        if (!rs || !fs) continue;
        out.push_back(
            {*rs, *fs, rows.integer(r, "customers").value_or(0), rows.number(r, "avg_monetary")});
    }
    std::sort(out.begin(), out.end(), [](const RfmCell &a, const RfmCell &b) {
        return a.r != b.r ? a.r < b.r : a.f < b.f;
    });
    return out;
}

SectionStatus section_status(const SectionSpec &spec, const RunInfo &run,
                             const std::vector<StepInfo> &steps, bool has_rows,
                             bool table_missing) {
    SectionStatus st;
    st.key = spec.key;
    st.title = spec.title;

    const StepInfo *failed = nullptr;
    const StepInfo *running = nullptr;
    bool any_step = false, all_skipped = true, planned = false;
    for (const auto &name : spec.steps) {
        if (std::find(run.planned_steps.begin(), run.planned_steps.end(), name) !=
            run.planned_steps.end())
            planned = true;
        const StepInfo *s = find_step(steps, name);
        if (!s) continue;
        any_step = true;
        std::string status = s->status.value_or("");
        if (status == "failed" && !failed) failed = s;
        if (status == "running" && !running) running = s;
        if (status != "skipped") all_skipped = false;
    }

    if (failed) {
        st.state = SectionState::failed;
        st.message = "step " + failed->name + " failed" +
                     (has_rows ? "; the results below are those written before it failed" : "");
        st.error = failed->error.value_or(run.error.value_or("(no error message recorded)"));
        return st;
    }
    if (has_rows) {
        st.state = SectionState::ok;
        return st;
    }
    if (table_missing) {
        st.state = SectionState::unavailable;
        st.message = "the result tables of this section do not exist in this database";
        return st;
    }
    if (running) {
        st.state = SectionState::running;
        st.message = "step " + running->name + " is still running";
        return st;
    }
    std::string run_status = run.status.value_or("");
    if (!any_step && run_status == "failed" && (planned || run.planned_steps.empty())) {
        // The run stopped before it reached the step.
        st.state = SectionState::failed;
        const StepInfo *culprit = nullptr;
        for (const auto &s : steps)
            if (s.status.value_or("") == "failed") culprit = &s;
        st.message = culprit ? "not reached: the run stopped when step " + culprit->name + " failed"
                             : "not reached: the run failed";
        st.error = culprit && culprit->error ? *culprit->error
                                             : run.error.value_or("(no error message recorded)");
        return st;
    }
    if (!any_step && run_status == "running" && planned) {
        st.state = SectionState::running;
        st.message = "the run has not reached this section yet";
        return st;
    }
    if ((any_step && all_skipped) || (!any_step && !planned && !run.planned_steps.empty())) {
        st.state = SectionState::skipped;
        st.message =
            "not part of this run" + (run.mode ? " (mode " + *run.mode + ")" : std::string());
        return st;
    }
    st.state = SectionState::empty;
    st.message = "the run wrote no results for this section";
    return st;
}

json to_json(const ReportData &d) {
    json j;
    j["meta"] = {{"database", d.meta.database},
                 {"host", d.meta.host},
                 {"server_version", d.meta.server_version},
                 {"generated_at", d.meta.generated_at},
                 {"tool_version", d.meta.tool_version}};
    j["run"] = {{"run_id", d.run.id},
                {"config_name", opt_json(d.run.config_name)},
                {"mode", opt_json(d.run.mode)},
                {"status", opt_json(d.run.status)},
                {"steps", d.run.planned_steps},
                {"started_at", opt_json(d.run.started_at)},
                {"finished_at", opt_json(d.run.finished_at)},
                {"duration_ms", opt_json(d.run.duration_ms)},
                {"error", opt_json(d.run.error)},
                {"warehouse", d.run.warehouse},
                {"parameters", d.run.parameters}};
    json steps = json::array();
    for (const auto &s : d.steps)
        steps.push_back({{"step", s.name},
                         {"position", opt_json(s.position)},
                         {"status", opt_json(s.status)},
                         {"started_at", opt_json(s.started_at)},
                         {"finished_at", opt_json(s.finished_at)},
                         {"duration_ms", opt_json(s.duration_ms)},
                         {"rows", opt_json(s.rows)},
                         {"error", opt_json(s.error)},
                         {"details", s.details}});
    j["steps"] = steps;
    json tables = json::array();
    for (const auto &t : d.tables)
        tables.push_back({{"table", "dmine." + t.table}, {"rows", opt_json(t.rows)}});
    j["tables"] = tables;
    json sections = json::array();
    for (const auto &s : d.sections)
        sections.push_back({{"section", s.key},
                            {"title", s.title},
                            {"state", to_string(s.state)},
                            {"message", s.message},
                            {"error", s.error}});
    j["sections"] = sections;

    json profile = json::array();
    for (const auto &c : d.profile) {
        json top = json::array();
        for (const auto &t : c.top_values)
            top.push_back(
                {{"value", t.value}, {"count", count_json(t.count)}, {"share", opt_json(t.share)}});
        profile.push_back({{"column_name", c.name},
                           {"ordinal", opt_json(c.ordinal)},
                           {"data_type", opt_json(c.data_type)},
                           {"kind", opt_json(c.kind)},
                           {"role", opt_json(c.role)},
                           {"row_count", opt_json(c.row_count)},
                           {"null_count", opt_json(c.null_count)},
                           {"null_fraction", opt_json(c.null_fraction)},
                           {"distinct_estimate", opt_json(c.distinct_estimate)},
                           {"mean", opt_json(c.mean)},
                           {"stddev", opt_json(c.stddev)},
                           {"p25", opt_json(c.p25)},
                           {"p50", opt_json(c.p50)},
                           {"p75", opt_json(c.p75)},
                           {"min_value", opt_json(c.min_value)},
                           {"max_value", opt_json(c.max_value)},
                           {"skewness", opt_json(c.skewness)},
                           {"kurtosis", opt_json(c.kurtosis)},
                           {"histogram", histogram_json(c.histogram)},
                           {"top_values", top}});
    }
    json corr = json::array();
    for (const auto &row : d.correlation.r) {
        json jr = json::array();
        for (const auto &v : row) jr.push_back(opt_json(v));
        corr.push_back(jr);
    }
    j["profile"] = {{"columns", profile},
                    {"correlation", {{"features", d.correlation.features}, {"matrix", corr}}}};

    json scores = json::array();
    for (const auto &s : d.clustering.scores)
        scores.push_back({{"k", s.k},
                          {"inertia", opt_json(s.inertia)},
                          {"silhouette", opt_json(s.silhouette)},
                          {"chosen", s.chosen}});
    json profiles = json::array();
    for (const auto &p : d.clustering.profiles) {
        json measures = json::object();
        for (size_t i = 0; i < d.clustering.measure_names.size() && i < p.measures.size(); ++i)
            measures[d.clustering.measure_names[i]] = opt_json(p.measures[i]);
        profiles.push_back({{"cluster", p.cluster},
                            {"size", opt_json(p.size)},
                            {"share", opt_json(p.share)},
                            {"label", opt_json(p.label)},
                            {"measures", measures}});
    }
    j["clustering"] = {
        {"chosen_k", d.clustering.chosen_k ? json(*d.clustering.chosen_k) : json(nullptr)},
        {"customers", opt_json(d.clustering.customers)},
        {"scores", scores},
        {"profiles", profiles},
        {"sample",
         {{"x", d.clustering.point_x},
          {"y", d.clustering.point_y},
          {"points", d.clustering.points.size()}}}};

    json top = json::array();
    for (const auto &a : d.anomalies.top) {
        json expl = json::array();
        for (const auto &c : a.explanation)
            expl.push_back({{"feature", c.feature}, {"contribution", c.contribution}});
        top.push_back({{"line_key", opt_json(a.line_key)},
                       {"customer_key", opt_json(a.customer_key)},
                       {"occurred_at", opt_json(a.occurred_at)},
                       {"amount", opt_json(a.amount)},
                       {"quantity", opt_json(a.quantity)},
                       {"score", opt_json(a.score)},
                       {"is_anomaly", a.is_anomaly ? json(*a.is_anomaly) : json(nullptr)},
                       {"anomaly_type", opt_json(a.anomaly_type)},
                       {"explanation", expl}});
    }
    json types = json::array();
    for (const auto &[t, n] : d.anomalies.type_counts)
        types.push_back({{"anomaly_type", t}, {"count", n}});
    j["anomalies"] = {{"lines_scored", opt_json(d.anomalies.lines_scored)},
                      {"anomalies", opt_json(d.anomalies.anomalies)},
                      {"threshold", opt_json(d.anomalies.threshold)},
                      {"score_histogram", histogram_json(d.anomalies.score_histogram)},
                      {"top", top},
                      {"type_counts", types}};

    json segments = json::array();
    for (const auto &s : d.rfm.segments)
        segments.push_back({{"segment", s.segment},
                            {"customers", s.customers},
                            {"share", opt_json(s.share)},
                            {"monetary", opt_json(s.monetary)},
                            {"avg_recency", opt_json(s.avg_recency)},
                            {"avg_frequency", opt_json(s.avg_frequency)},
                            {"avg_monetary", opt_json(s.avg_monetary)}});
    json grid = json::array();
    for (const auto &c : d.rfm.grid)
        grid.push_back({{"r_score", c.r},
                        {"f_score", c.f},
                        {"customers", c.customers},
                        {"avg_monetary", opt_json(c.avg_monetary)}});
    j["rfm"] = {{"customers", d.rfm.customers},
                {"monetary", opt_json(d.rfm.monetary)},
                {"segments", segments},
                {"grid", grid}};
    j["trends"] = trends_json(d.trends);
    j["breakdowns"] = breakdowns_json(d.breakdowns);
    j["forecasts"] = forecasts_json(d.forecasts);
    json findings = json::array();
    std::string unit = d.run.warehouse.is_object() && d.run.warehouse.contains("currency") &&
                               d.run.warehouse["currency"].is_string()
                           ? d.run.warehouse["currency"].get<std::string>()
                           : "";
    for (const auto &f : key_findings(d, unit))
        findings.push_back({{"topic", f.topic}, {"text", f.text}, {"anchor", f.anchor}});
    j["findings"] = findings;
    j["notes"] = d.notes;
    return j;
}

} // namespace dmine::report
