// Reading a run's results from the database into ReportData (by run_id, tolerating missing
// optional columns and tables).
#include <algorithm>
#include <cmath>

#include "report_data.hpp"

namespace dmine::report {

using nlohmann::json;

namespace {

using Columns = std::map<std::string, std::set<std::string>>;

class Loader {
public:
    Loader(Connection &conn, int64_t run_id, const Progress &progress)
        : conn_(conn), run_id_(run_id), progress_(progress), columns_(dmine_columns(conn)) {}

    bool has_table(const std::string &t) const { return columns_.count(t) > 0; }
    bool has_column(const std::string &t, const std::string &c) const {
        auto it = columns_.find(t);
        return it != columns_.end() && it->second.count(c) > 0;
    }

    // "a, b, NULL AS c" for the wanted columns of a table; missing ones are noted.
    std::string select_list(const std::string &table, const std::vector<std::string> &wanted,
                            std::vector<std::string> *notes) {
        std::string out;
        for (const auto &c : wanted) {
            if (!out.empty()) out += ", ";
            if (has_column(table, c)) {
                out += quote_ident(c);
            } else {
                out += "NULL AS " + quote_ident(c);
                if (notes) notes->push_back("dmine." + table + " has no column " + c);
            }
        }
        return out;
    }

    // Rows of a result table for the run; an empty result when the table lacks run_id.
    Rows read(const std::string &table, const std::vector<std::string> &wanted,
              const std::string &order_by, std::vector<std::string> *notes,
              const std::string &extra_where = "", const std::string &limit = "") {
        if (!has_table(table) || !has_column(table, "run_id")) return Rows();
        std::string sql = "SELECT " + select_list(table, wanted, notes) + " FROM dmine." +
                          quote_ident(table) + " WHERE run_id = $1" +
                          (extra_where.empty() ? "" : " AND (" + extra_where + ")") +
                          (order_by.empty() ? "" : " ORDER BY " + order_by) +
                          (limit.empty() ? "" : " LIMIT " + limit);
        return query(sql);
    }

    Rows query(const std::string &sql) { return conn_.query(sql, {std::to_string(run_id_)}); }

    void say(const std::string &what) {
        if (progress_) progress_(what);
    }

    int64_t run_id() const { return run_id_; }
    const Columns &columns() const { return columns_; }

private:
    Connection &conn_;
    int64_t run_id_;
    const Progress &progress_;
    Columns columns_;
};

std::string num_col(Loader &L, const std::string &table, const std::string &c) {
    return L.has_column(table, c) ? quote_ident(c) : "NULL::float8";
}

} // namespace

std::map<std::string, std::set<std::string>> dmine_columns(Connection &conn) {
    Rows rows = conn.query("SELECT c.relname, a.attname FROM pg_catalog.pg_class c "
                           "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                           "JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
                           "AND NOT a.attisdropped "
                           "WHERE n.nspname = 'dmine' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
                           "AND has_table_privilege(c.oid, 'SELECT')");
    std::map<std::string, std::set<std::string>> out;
    for (size_t r = 0; r < rows.size(); ++r)
        out[*rows.text(r, "relname")].insert(*rows.text(r, "attname"));
    return out;
}

int64_t pick_run(Connection &conn, std::optional<int64_t> requested) {
    Rows probe = conn.query("SELECT to_regnamespace('dmine') IS NOT NULL AS has_schema, "
                            "to_regclass('dmine.runs') IS NOT NULL AS has_runs");
    std::string where = conn.database();
    if (!probe.boolean(0, "has_schema").value_or(false))
        throw Error("database \"" + where +
                    "\" has no schema dmine (is the extension installed? CREATE EXTENSION dmine)");
    if (!probe.boolean(0, "has_runs").value_or(false))
        throw Error("database \"" + where +
                    "\" has no table dmine.runs: this dmine has no result tables yet");
    if (requested) {
        Rows r = conn.query("SELECT run_id FROM dmine.runs WHERE run_id = $1",
                            {std::to_string(*requested)});
        if (r.empty())
            throw Error("run " + std::to_string(*requested) + " does not exist in dmine.runs");
        return *requested;
    }
    auto cols = dmine_columns(conn);
    bool has_finished = cols["runs"].count("finished_at") > 0;
    Rows ok = conn.query(
        std::string("SELECT run_id FROM dmine.runs WHERE status = 'succeeded' ORDER BY ") +
        (has_finished ? "finished_at DESC NULLS LAST, " : "") + "run_id DESC LIMIT 1");
    if (!ok.empty()) return *ok.integer(0, "run_id");
    Rows any = conn.query("SELECT run_id, status FROM dmine.runs ORDER BY run_id DESC LIMIT 1");
    if (any.empty())
        throw Error(
            "no run in dmine.runs: run the mining pipeline first (CALL dmine.run_mining(...))");
    std::string id = std::to_string(*any.integer(0, "run_id"));
    throw Error("no successful run in dmine.runs (the latest, run " + id + ", is " +
                any.text(0, "status").value_or("of unknown status") + "; give --run " + id +
                " to report it)");
}

ReportData load_report(Connection &conn, int64_t run_id, const Progress &progress,
                       size_t top_anomalies, size_t max_points) {
    Loader L(conn, run_id, progress);
    ReportData d;
    auto *notes = &d.notes;

    Rows meta = conn.query("SELECT now()::text AS now, current_database() AS db");
    d.meta.database = meta.text(0, "db").value_or("");
    d.meta.generated_at = meta.text(0, "now").value_or("");
    d.meta.host = conn.host();
    d.meta.server_version = conn.parameter("server_version");

    // Run and steps.
    L.say("run " + std::to_string(run_id));
    {
        std::string dur = L.has_column("runs", "started_at") && L.has_column("runs", "finished_at")
                              ? "extract(epoch FROM finished_at - started_at) * 1000"
                              : "NULL::float8";
        Rows r =
            L.query("SELECT " +
                    L.select_list("runs",
                                  {"run_id", "config_name", "mode", "steps", "status", "started_at",
                                   "finished_at", "error", "warehouse", "parameters"},
                                  notes) +
                    ", " + dur + " AS duration_ms FROM dmine.runs WHERE run_id = $1");
        if (r.empty())
            throw Error("run " + std::to_string(run_id) + " does not exist in dmine.runs");
        d.run = run_from_rows(r);
    }
    if (L.has_table("run_steps")) {
        std::string dur = L.has_column("run_steps", "duration_ms") ? "duration_ms" : "NULL::float8";
        if (L.has_column("run_steps", "started_at") && L.has_column("run_steps", "finished_at"))
            dur = "coalesce(" + dur + ", extract(epoch FROM finished_at - started_at) * 1000)";
        std::string order = L.has_column("run_steps", "position") ? "position, " : "";
        if (L.has_column("run_steps", "started_at")) order += "started_at, ";
        Rows r = L.query("SELECT " +
                         L.select_list("run_steps",
                                       {"step", "position", "status", "started_at", "finished_at",
                                        "rows", "error", "details"},
                                       notes) +
                         ", " + dur +
                         " AS duration_ms FROM dmine.run_steps WHERE run_id = $1 ORDER BY " +
                         order + "step");
        d.steps = steps_from_rows(r);
    } else {
        notes->push_back("table dmine.run_steps does not exist: the run log shows the run only");
    }

    // Row counts of the result tables.
    {
        std::string sql;
        for (const auto &t : result_tables()) {
            if (!L.has_table(t) || !L.has_column(t, "run_id")) continue;
            if (!sql.empty()) sql += " UNION ALL ";
            sql += "SELECT '" + t + "' AS t, count(*) AS n FROM dmine." + quote_ident(t) +
                   " WHERE run_id = $1";
        }
        std::map<std::string, int64_t> counts;
        if (!sql.empty()) {
            Rows r = L.query(sql);
            for (size_t i = 0; i < r.size(); ++i)
                counts[*r.text(i, "t")] = r.integer(i, "n").value_or(0);
        }
        for (const auto &t : result_tables()) {
            auto it = counts.find(t);
            d.tables.push_back({t, it == counts.end() ? opt_i() : opt_i(it->second)});
        }
    }
    auto rows_of = [&d](const std::string &t) -> opt_i {
        for (const auto &c : d.tables)
            if (c.table == t) return c.rows;
        return std::nullopt;
    };

    // Data profile.
    L.say("data profile");
    d.profile = profile_from_rows(L.read(
        "result_profile",
        {"column_name", "ordinal",       "data_type",         "kind",      "role",     "row_count",
         "null_count",  "null_fraction", "distinct_estimate", "mean",      "stddev",   "p25",
         "p50",         "p75",           "min_value",         "max_value", "skewness", "kurtosis",
         "top_values",  "histogram"},
        L.has_column("result_profile", "ordinal") ? "ordinal, column_name" : "column_name", notes));
    d.correlation = correlation_from_rows(L.read("result_correlation",
                                                 {"feature_x", "feature_y", "correlation"},
                                                 "feature_x, feature_y", notes));

    // Clustering.
    L.say("clustering");
    d.clustering.scores = kscores_from_rows(
        L.read("result_kmeans_scores", {"k", "inertia", "silhouette", "chosen"}, "k", notes));
    d.clustering.chosen_k = chosen_k(d.clustering.scores);
    {
        // The contract's features that are columns or keys of a centroid, in contract order;
        // without any of them, whatever the centroids hold.
        const std::string P = "result_cluster_profiles";
        const std::vector<std::string> contract = {"recency_days", "frequency",    "monetary",
                                                   "avg_basket",   "avg_quantity", "night_share"};
        std::vector<std::string> wanted = {"cluster", "size", "share", "label", "centroid"};
        for (const auto &m : contract)
            if (L.has_column(P, m)) wanted.push_back(m);
        Rows r = L.read(P, wanted, "cluster", notes);
        std::vector<json> centroids;
        for (size_t i = 0; i < r.size(); ++i)
            centroids.push_back(parse_json(r.text(i, "centroid")));
        auto in_centroid = [&centroids](const std::string &k) {
            return std::any_of(centroids.begin(), centroids.end(),
                               [&k](const json &c) { return c.is_object() && c.contains(k); });
        };
        for (const auto &m : contract)
            if (L.has_column(P, m) || in_centroid(m)) d.clustering.measure_names.push_back(m);
        if (d.clustering.measure_names.empty())
            for (const auto &c : centroids)
                if (c.is_object())
                    for (const auto &[k, v] : c.items())
                        if (std::find(d.clustering.measure_names.begin(),
                                      d.clustering.measure_names.end(),
                                      k) == d.clustering.measure_names.end())
                            d.clustering.measure_names.push_back(k);
        d.clustering.profiles = cluster_profiles_from_rows(r, d.clustering.measure_names);
        bool sizes_missing = std::any_of(d.clustering.profiles.begin(), d.clustering.profiles.end(),
                                         [](const ClusterProfile &p) { return !p.size; });
        if (L.has_column("result_clusters", "cluster") &&
            (d.clustering.profiles.empty() || sizes_missing)) {
            // Sizes from the assignments.
            Rows s = L.query(
                "SELECT cluster, count(*) AS size FROM dmine.result_clusters WHERE run_id = $1 "
                "GROUP BY cluster ORDER BY cluster");
            std::map<int64_t, int64_t> sizes;
            for (size_t i = 0; i < s.size(); ++i)
                sizes[s.integer(i, "cluster").value_or(-1)] = s.integer(i, "size").value_or(0);
            if (d.clustering.profiles.empty()) {
                for (const auto &[c, n] : sizes) {
                    ClusterProfile p;
                    p.cluster = c;
                    p.size = n;
                    p.measures.assign(d.clustering.measure_names.size(), std::nullopt);
                    d.clustering.profiles.push_back(p);
                }
            } else {
                for (auto &p : d.clustering.profiles)
                    if (!p.size && sizes.count(p.cluster)) p.size = sizes[p.cluster];
            }
            int64_t total = 0;
            for (const auto &[c, n] : sizes) total += n;
            for (auto &p : d.clustering.profiles)
                if (!p.share && p.size && total > 0)
                    p.share = static_cast<double>(*p.size) / static_cast<double>(total);
        }
        if (auto n = rows_of("result_clusters"); n && *n > 0) {
            d.clustering.customers = n;
        } else {
            int64_t total = 0;
            bool any = false;
            for (const auto &p : d.clustering.profiles)
                if (p.size) {
                    total += *p.size;
                    any = true;
                }
            if (any) d.clustering.customers = total;
        }
        // A sample of customers in two features, coloured by cluster.
        const std::string F = "result_customer_features";
        std::vector<std::pair<std::string, std::string>> axes = {
            {"recency_days", "monetary"}, {"frequency", "monetary"}, {"recency_days", "frequency"}};
        if (L.has_column(F, "customer_key") && L.has_column("result_clusters", "customer_key") &&
            L.has_column("result_clusters", "cluster")) {
            for (const auto &[x, y] : axes) {
                if (!L.has_column(F, x) || !L.has_column(F, y)) continue;
                d.clustering.point_x = x;
                d.clustering.point_y = y;
                Rows p = L.query(
                    "SELECT c.cluster, f." + quote_ident(x) + " AS x, f." + quote_ident(y) +
                    " AS y FROM dmine.result_customer_features f JOIN dmine.result_clusters c "
                    "ON c.run_id = f.run_id AND c.customer_key = f.customer_key "
                    "WHERE f.run_id = $1 AND f." +
                    quote_ident(x) + " IS NOT NULL AND f." + quote_ident(y) +
                    " IS NOT NULL ORDER BY md5(f.customer_key) LIMIT " +
                    std::to_string(max_points));
                for (size_t i = 0; i < p.size(); ++i) {
                    auto px = p.number(i, "x"), py = p.number(i, "y");
                    if (!px || !py || !std::isfinite(*px) || !std::isfinite(*py)) continue;
                    d.clustering.points.push_back({p.integer(i, "cluster").value_or(-1), *px, *py});
                }
                break;
            }
        }
    }

    // Anomalies.
    L.say("anomalies");
    {
        const std::string A = "result_anomalies";
        std::vector<std::string> wanted = {"line_key",   "customer_key", "occurred_at",
                                           "amount",     "quantity",     "score",
                                           "is_anomaly", "anomaly_type", "explanation"};
        if (L.has_column(A, "reason")) wanted.push_back("reason");
        std::string order = L.has_column(A, "score") ? "score DESC NULLS LAST" : "";
        bool flag = L.has_column(A, "is_anomaly");
        Rows top = L.read(A, wanted, order, notes, flag ? "is_anomaly" : "",
                          std::to_string(top_anomalies));
        if (top.empty() && flag)
            top = L.read(A, wanted, order, nullptr, "", std::to_string(top_anomalies));
        d.anomalies.top = anomalies_from_rows(top);
        if (L.has_column(A, "run_id") &&
            (L.has_column(A, "anomaly_type") || L.has_column(A, "explanation"))) {
            std::string type = L.has_column(A, "anomaly_type") ? "anomaly_type" : "NULL::text";
            if (L.has_column(A, "explanation"))
                type = "coalesce(" + type +
                       ", CASE WHEN jsonb_typeof(explanation::jsonb) = 'array' THEN "
                       "explanation::jsonb -> 0 ->> 'feature' END)";
            Rows t =
                L.query("SELECT coalesce(" + type + ", 'unknown') AS t, count(*) AS n FROM dmine." +
                        A + " WHERE run_id = $1" + (flag ? " AND is_anomaly" : "") +
                        " GROUP BY 1 ORDER BY 2 DESC, 1");
            for (size_t i = 0; i < t.size(); ++i)
                d.anomalies.type_counts.emplace_back(*t.text(i, "t"),
                                                     t.integer(i, "n").value_or(0));
        }
        Rows s = L.read("result_anomaly_summary",
                        {"lines_scored", "threshold", "anomalies", "score_histogram"}, "", notes,
                        "", "1");
        if (!s.empty()) {
            d.anomalies.lines_scored = s.integer(0, "lines_scored");
            d.anomalies.threshold = s.number(0, "threshold");
            d.anomalies.anomalies = s.integer(0, "anomalies");
            Histogram h = parse_histogram(parse_json(s.text(0, "score_histogram")));
            if (h.valid()) d.anomalies.score_histogram = std::move(h);
        }
        if (!d.anomalies.anomalies && flag) {
            Rows c = L.query("SELECT count(*) AS n FROM dmine." + A +
                             " WHERE run_id = $1 AND is_anomaly");
            d.anomalies.anomalies = c.integer(0, "n");
        }
    }

    // RFM.
    L.say("RFM segments");
    {
        const std::string R = "result_rfm";
        if (L.has_column(R, "run_id") && L.has_column(R, "segment")) {
            std::string m = num_col(L, R, "monetary"), rec = num_col(L, R, "recency_days"),
                        fr = num_col(L, R, "frequency");
            Rows seg = L.query(
                "SELECT segment, count(*) AS customers, sum(" + m + ") AS monetary, avg(" + rec +
                ") AS avg_recency, avg(" + fr + ") AS avg_frequency, avg(" + m +
                ") AS avg_monetary FROM dmine.result_rfm WHERE run_id = $1 GROUP BY segment");
            d.rfm.segments = rfm_segments_from_rows(seg);
            double total_m = 0;
            bool any_m = false;
            for (const auto &s : d.rfm.segments) {
                d.rfm.customers += s.customers;
                if (s.monetary) {
                    total_m += *s.monetary;
                    any_m = true;
                }
            }
            if (any_m) d.rfm.monetary = total_m;
        } else if (L.has_table(R)) {
            notes->push_back("dmine.result_rfm has no column segment");
        }
        if (L.has_column(R, "r_score") && L.has_column(R, "f_score")) {
            Rows g = L.query(
                "SELECT r_score, f_score, count(*) AS customers, avg(" + num_col(L, R, "monetary") +
                ") AS avg_monetary FROM dmine.result_rfm WHERE run_id = $1 AND r_score IS NOT NULL "
                "AND f_score IS NOT NULL GROUP BY 1, 2");
            d.rfm.grid = rfm_grid_from_rows(g);
        }
    }

    // Sales over time and breakdowns (tables that older databases lack).
    L.say("trends and breakdowns");
    d.trends = load_trends(conn, run_id, L.columns(), notes);
    d.breakdowns = load_breakdowns(conn, run_id, L.columns(), notes);
    d.forecasts = load_forecasts(conn, run_id, L.columns(), notes);

    // Section states.
    auto table_missing = [&L](const std::string &t) { return !L.has_table(t); };
    for (const auto &spec : section_specs()) {
        bool has_rows = false;
        if (std::string(spec.key) == "trends")
            has_rows = !d.trends.empty();
        else if (std::string(spec.key) == "breakdowns")
            has_rows = !d.breakdowns.empty();
        else if (std::string(spec.key) == "forecast")
            has_rows = !d.forecasts.empty();
        else if (std::string(spec.key) == "profile")
            has_rows = !d.profile.empty();
        else if (std::string(spec.key) == "clustering")
            has_rows = !d.clustering.scores.empty() || !d.clustering.profiles.empty();
        else if (std::string(spec.key) == "anomalies")
            has_rows = !d.anomalies.top.empty() || d.anomalies.lines_scored.has_value();
        else if (std::string(spec.key) == "rfm")
            has_rows = !d.rfm.segments.empty();
        bool missing = std::all_of(spec.tables.begin(), spec.tables.end(), table_missing);
        d.sections.push_back(section_status(spec, d.run, d.steps, has_rows, missing));
    }
    return d;
}

} // namespace dmine::report
