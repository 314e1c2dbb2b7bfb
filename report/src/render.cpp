#include "render.hpp"

#include <kainjow/mustache.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

#include "chart_common.hpp"
#include "explore_render.hpp"
#include "forecast_render.hpp"
#include "format.hpp"

namespace dmine::report {

namespace embedded {
extern const std::string_view echarts_js;
extern const std::string_view default_template;
} // namespace embedded

using nlohmann::json;

namespace {

// The profile's role of a column; without a role column, from the older kind.
std::string profile_role(const ProfileColumn &c) {
    if (c.role && !c.role->empty()) return *c.role;
    std::string k = c.kind.value_or("");
    if (k == "key" || k == "identifier") return "identifier";
    if (k == "categorical" || k == "category") return "category";
    if (k == "timestamp" || k == "date" || k == "boolean" || k == "text") return k;
    return c.mean || c.histogram ? "measure" : k;
}

// The correlation matrix without the profile's identifier columns (keys correlate by accident).
CorrelationMatrix without_identifiers(const CorrelationMatrix &m,
                                      const std::vector<ProfileColumn> &profile) {
    std::vector<size_t> keep;
    for (size_t i = 0; i < m.features.size(); ++i) {
        bool key = std::any_of(profile.begin(), profile.end(), [&](const ProfileColumn &c) {
            return c.name == m.features[i] && profile_role(c) == "identifier";
        });
        if (!key) keep.push_back(i);
    }
    CorrelationMatrix out;
    for (size_t i : keep) {
        out.features.push_back(m.features[i]);
        std::vector<opt_d> row;
        for (size_t j : keep)
            row.push_back(i < m.r.size() && j < m.r[i].size() ? m.r[i][j] : opt_d());
        out.r.push_back(row);
    }
    return out;
}

// A histogram edge of a date column as a date: epoch seconds or a yyyymmdd integer.
std::string date_edge(double v) {
    if (v >= 19000101 && v <= 21001231) {
        auto n = static_cast<int64_t>(v);
        char b[16];
        std::snprintf(b, sizeof b, "%04d-%02d-%02d", static_cast<int>(n / 10000),
                      static_cast<int>(n / 100 % 100), static_cast<int>(n % 100));
        return b;
    }
    if (v > 1e8 && v < 1e10) {
        std::time_t t = static_cast<std::time_t>(v);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char b[16];
        std::strftime(b, sizeof b, "%Y-%m-%d", &tm);
        return b;
    }
    return format_number(v, 4);
}

std::string status_class(const std::string &status) {
    if (status == "succeeded" || status == "ok") return "ok";
    if (status == "failed") return "bad";
    if (status == "running") return "warn";
    return "muted";
}

std::string scalar_text(const json &v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return kMissing;
    if (v.is_number_integer()) return format_int(v.get<int64_t>());
    if (v.is_number()) return format_number(v.get<double>(), 4);
    return v.dump();
}

std::string monetary_unit(const json &warehouse) {
    if (warehouse.is_object())
        for (const char *k : {"currency", "currency_symbol", "amount_unit"})
            if (warehouse.contains(k) && warehouse[k].is_string())
                return warehouse[k].get<std::string>();
    return "";
}

std::string with_unit(const std::string &value, const std::string &unit) {
    if (unit.empty() || value == kMissing) return value;
    return value + " " + unit;
}

std::string warehouse_name(const json &w) {
    if (!w.is_object()) return "";
    for (const char *k : {"name", "warehouse", "fact_table", "table", "source"})
        if (w.contains(k) && w[k].is_string()) return w[k].get<std::string>();
    return "";
}

} // namespace

std::string_view default_template() {
    return embedded::default_template;
}
std::string_view echarts_js() {
    return embedded::echarts_js;
}

#ifndef DMINE_ECHARTS_VERSION
#define DMINE_ECHARTS_VERSION ""
#endif
std::string echarts_version() {
    return DMINE_ECHARTS_VERSION;
}

std::string feature_label(const std::string &f) {
    static const std::map<std::string, std::string> names = {{"recency_days", "Recency (days)"},
                                                             {"frequency", "Frequency (orders)"},
                                                             {"monetary", "Monetary value"},
                                                             {"avg_basket", "Average basket"},
                                                             {"avg_quantity", "Average quantity"},
                                                             {"night_share", "Night share"},
                                                             {"amount", "Amount"},
                                                             {"quantity", "Quantity"},
                                                             {"hour", "Hour of day"}};
    auto it = names.find(f);
    if (it != names.end()) return it->second;
    std::string s = f;
    std::replace(s.begin(), s.end(), '_', ' ');
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

std::string format_feature(const std::string &f, std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return kMissing;
    if (f == "recency_days") return format_days(*v);
    if (f == "night_share" || f.find("share") != std::string::npos ||
        f.find("fraction") != std::string::npos)
        return format_percent(*v);
    if (f == "monetary" || f == "avg_basket" || f == "amount") return format_fixed(*v, 2);
    return format_number(*v, 3);
}

std::string explanation_text(const std::vector<Contribution> &ex, size_t limit) {
    double total = 0;
    for (const auto &c : ex) total += std::fabs(c.contribution);
    std::string out;
    for (size_t i = 0; i < ex.size() && i < limit; ++i) {
        if (!out.empty()) out += " · ";
        out += ex[i].feature;
        if (total > 0) out += " " + format_percent(std::fabs(ex[i].contribution) / total, 0);
    }
    return out.empty() ? std::string(kMissing) : out;
}

// ---- charts ----

json chart_step_durations(const std::vector<StepInfo> &steps) {
    json opt = base_option();
    json names = json::array(), data = json::array();
    double longest = 0;
    for (const auto &st : steps) longest = std::max(longest, st.duration_ms.value_or(0));
    // Milliseconds for quick runs, seconds or minutes for longer ones.
    double scale = longest < 1000 ? 1 : longest < 120000 ? 1000 : 60000;
    std::string unit = scale == 1 ? "ms" : scale == 1000 ? "s" : "min";
    // Listed top-down in run order: the category axis runs bottom-up, so reverse.
    for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
        names.push_back(it->name);
        std::string st = it->status.value_or("");
        double v = it->duration_ms ? *it->duration_ms / scale : 0.0;
        data.push_back({{"value", significant(v, 3)},
                        {"itemStyle",
                         {{"color", st == "failed"    ? kAlert
                                    : st == "skipped" ? "#bab0ac"
                                                      : kAccent}}}});
    }
    opt["tooltip"]["axisPointer"] = {{"type", "shadow"}};
    opt["grid"]["top"] = 24;
    opt["grid"]["right"] = 64;
    opt["xAxis"] = {{"type", "value"},
                    {"name", unit == "ms"  ? "milliseconds"
                             : unit == "s" ? "seconds"
                                           : "minutes"},
                    {"nameLocation", "middle"},
                    {"nameGap", 28}};
    opt["yAxis"] = {{"type", "category"}, {"data", names}};
    opt["series"] = json::array(
        {{{"type", "bar"},
          {"name", "duration (" + unit + ")"},
          {"data", data},
          {"label", {{"show", true}, {"position", "right"}, {"formatter", "{c} " + unit}}}}});
    return opt;
}

json chart_histogram(const std::string &name, const Histogram &h, std::optional<double> threshold) {
    json opt = base_option();
    json labels = json::array(), data = json::array();
    std::optional<size_t> threshold_bin;
    for (size_t i = 0; i < h.counts.size(); ++i) {
        double lo = h.edges[i], hi = h.edges[i + 1];
        labels.push_back(format_number(lo, 3) + " – " + format_number(hi, 3));
        bool above = threshold && lo >= *threshold - 1e-12;
        if (threshold && !threshold_bin && *threshold >= lo &&
            (*threshold < hi || i + 1 == h.counts.size()))
            threshold_bin = i;
        json item = {{"value", h.counts[i]}};
        if (threshold &&
            (above || (threshold_bin && *threshold_bin == i && *threshold <= lo + 1e-12)))
            item["itemStyle"] = {{"color", kAlert}};
        data.push_back(item);
    }
    opt["tooltip"]["axisPointer"] = {{"type", "shadow"}};
    opt["xAxis"] = {{"type", "category"}, {"data", labels},
                    {"name", name},       {"nameLocation", "middle"},
                    {"nameGap", 30},      {"axisLabel", {{"hideOverlap", true}}}};
    opt["yAxis"] = {{"type", "value"}, {"name", "count"}};
    json series = {{"type", "bar"}, {"name", "count"}, {"data", data}, {"barCategoryGap", "8%"}};
    if (threshold) {
        if (!threshold_bin) threshold_bin = *threshold < h.edges.front() ? 0 : h.counts.size() - 1;
        series["markLine"] = {
            {"symbol", "none"},
            {"lineStyle", {{"color", kAlert}, {"type", "dashed"}, {"width", 2}}},
            {"label",
             {{"formatter", "threshold " + format_number(*threshold, 3)}, {"color", kAlert}}},
            {"data", json::array({{{"xAxis", *threshold_bin}}})}};
    }
    opt["series"] = json::array({series});
    add_zoom(opt, false);
    return opt;
}

json chart_top_values(const std::string &name, const std::vector<TopValue> &values, size_t limit) {
    json opt = base_option();
    json labels = json::array(), data = json::array();
    size_t n = std::min(limit, values.size());
    for (size_t i = n; i-- > 0;) {
        labels.push_back(truncate(values[i].value, 24));
        data.push_back(values[i].count);
    }
    opt["tooltip"]["axisPointer"] = {{"type", "shadow"}};
    opt["xAxis"] = {{"type", "value"},
                    {"name", "count"},
                    {"nameLocation", "middle"},
                    {"nameGap", 26},
                    {"axisLabel", {{"hideOverlap", true}}}};
    opt["yAxis"] = {{"type", "category"}, {"data", labels}, {"name", name}};
    opt["series"] = json::array({{{"type", "bar"}, {"name", "count"}, {"data", data}}});
    return opt;
}

json chart_correlation(const CorrelationMatrix &m) {
    json opt = base_option();
    json data = json::array();
    size_t n = m.features.size();
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j)
            data.push_back(
                json::array({j, i, m.r[i][j] ? json(round_to(*m.r[i][j], 2)) : json("-")}));
    json labels = json::array();
    for (const auto &f : m.features) labels.push_back(f);
    opt["tooltip"] = {{"trigger", "item"}, {"confine", true}};
    opt["grid"] = {{"left", 8}, {"right", 90}, {"top", 16}, {"bottom", 8}, {"containLabel", true}};
    opt["xAxis"] = {{"type", "category"},
                    {"data", labels},
                    {"splitArea", {{"show", true}}},
                    {"axisLabel", {{"rotate", n > 4 ? 35 : 0}, {"interval", 0}}}};
    opt["yAxis"] = {{"type", "category"},
                    {"data", labels},
                    {"splitArea", {{"show", true}}},
                    {"inverse", true},
                    {"axisLabel", {{"interval", 0}}}};
    opt["visualMap"] = {{"min", -1},
                        {"max", 1},
                        {"calculable", true},
                        {"orient", "vertical"},
                        {"right", 0},
                        {"top", "middle"},
                        {"precision", 2},
                        {"inRange", {{"color", json::array({"#2166ac", "#f7f7f7", "#b2182b"})}}}};
    opt["series"] = json::array(
        {{{"type", "heatmap"},
          {"name", "correlation"},
          {"data", data},
          {"label", {{"show", n <= 12}}},
          {"emphasis", {{"itemStyle", {{"borderColor", "#333"}, {"borderWidth", 1}}}}}}});
    return opt;
}

json chart_kscores(const std::vector<KScore> &scores, std::optional<int64_t> chosen) {
    json opt = base_option();
    json ks = json::array(), sil = json::array(), inertia = json::array();
    std::optional<size_t> chosen_index;
    for (size_t i = 0; i < scores.size(); ++i) {
        ks.push_back(std::to_string(scores[i].k));
        sil.push_back(opt_num(scores[i].silhouette));
        inertia.push_back(opt_num(scores[i].inertia));
        if (chosen && scores[i].k == *chosen) chosen_index = i;
    }
    opt["legend"] = {{"top", 4}, {"left", "center"}};
    opt["grid"]["top"] = 48;
    opt["xAxis"] = {{"type", "category"},
                    {"data", ks},
                    {"name", "k (clusters)"},
                    {"nameLocation", "middle"},
                    {"nameGap", 28}};
    opt["yAxis"] = json::array({{{"type", "value"}, {"name", "silhouette"}, {"scale", true}},
                                {{"type", "value"},
                                 {"name", "inertia"},
                                 {"scale", true},
                                 {"splitLine", {{"show", false}}}}});
    json s1 = {{"type", "line"},  {"name", "silhouette"}, {"data", sil},
               {"yAxisIndex", 0}, {"symbolSize", 8},      {"lineStyle", {{"width", 3}}}};
    json s2 = {{"type", "line"},  {"name", "inertia"}, {"data", inertia},
               {"yAxisIndex", 1}, {"symbolSize", 6},   {"lineStyle", {{"type", "dashed"}}}};
    if (chosen_index) {
        s1["markLine"] = {
            {"symbol", "none"},
            {"lineStyle", {{"color", kAlert}, {"width", 2}, {"type", "dashed"}}},
            {"label", {{"formatter", "chosen k = " + std::to_string(*chosen)}, {"color", kAlert}}},
            {"data", json::array({{{"xAxis", *chosen_index}}})}};
        if (scores[*chosen_index].silhouette)
            s1["data"][*chosen_index] = {
                {"value", tidy(*scores[*chosen_index].silhouette)},
                {"symbolSize", 16},
                {"itemStyle", {{"color", kAlert}, {"borderColor", kAlert}}}};
    }
    opt["series"] = json::array({s1, s2});
    add_zoom(opt, false);
    return opt;
}

json chart_cluster_sizes(const std::vector<ClusterProfile> &profiles) {
    json opt = base_option();
    json labels = json::array(), data = json::array();
    // Horizontal bars: the labels can be long. The category axis runs bottom-up, so reverse.
    for (auto it = profiles.rbegin(); it != profiles.rend(); ++it) {
        const auto &p = *it;
        std::string label = std::to_string(p.cluster);
        if (p.label && !p.label->empty()) label += " · " + truncate(*p.label, 28);
        labels.push_back(label);
        data.push_back({{"value", p.size ? json(*p.size) : json(0)},
                        {"itemStyle",
                         {{"color", kPalette[static_cast<size_t>(std::max<int64_t>(p.cluster, 0)) %
                                             kPalette.size()]}}}});
    }
    opt["tooltip"]["axisPointer"] = {{"type", "shadow"}};
    opt["grid"]["right"] = 48;
    opt["xAxis"] = {
        {"type", "value"}, {"name", "customers"}, {"nameLocation", "middle"}, {"nameGap", 28}};
    opt["yAxis"] = {{"type", "category"}, {"data", labels}, {"axisLabel", {{"interval", 0}}}};
    opt["series"] = json::array({{{"type", "bar"},
                                  {"name", "customers"},
                                  {"data", data},
                                  {"label", {{"show", true}, {"position", "right"}}}}});
    return opt;
}

json chart_cluster_scatter(const Clustering &c) {
    json opt = base_option();
    std::map<int64_t, json> by_cluster;
    for (const auto &p : c.points)
        by_cluster[p.cluster].push_back(json::array({tidy(p.x), tidy(p.y)}));
    std::map<int64_t, std::string> labels;
    for (const auto &p : c.profiles)
        labels[p.cluster] =
            "Cluster " + std::to_string(p.cluster) + (p.label ? " · " + *p.label : "");
    json series = json::array();
    for (auto &[cluster, points] : by_cluster) {
        std::string name =
            labels.count(cluster) ? labels[cluster] : "Cluster " + std::to_string(cluster);
        series.push_back(
            {{"type", "scatter"},
             {"name", name},
             {"data", points},
             {"symbolSize", 5},
             {"large", points.size() > 2000},
             {"itemStyle",
              {{"opacity", 0.7},
               {"color",
                kPalette[static_cast<size_t>(std::max<int64_t>(cluster, 0)) % kPalette.size()]}}}});
    }
    opt["legend"] = {{"top", 4}, {"left", 8}, {"right", 150}, {"type", "scroll"}};
    opt["grid"]["top"] = 48;
    opt["tooltip"] = {{"trigger", "item"}, {"confine", true}};
    bool log_y = false;
    if (c.point_y == "monetary") {
        log_y = std::all_of(c.points.begin(), c.points.end(),
                            [](const ClusterPoint &p) { return p.y > 0; });
    }
    opt["xAxis"] = {{"type", "value"},
                    {"name", feature_label(c.point_x)},
                    {"nameLocation", "middle"},
                    {"nameGap", 28},
                    {"scale", true}};
    opt["yAxis"] = {{"type", log_y ? "log" : "value"},
                    {"name", feature_label(c.point_y) + (log_y ? " (log)" : "")},
                    {"scale", true}};
    opt["series"] = series;
    add_zoom(opt, true);
    opt["dataZoom"].push_back({{"type", "inside"}, {"yAxisIndex", 0}});
    return opt;
}

json chart_anomaly_types(const std::vector<std::pair<std::string, int64_t>> &counts) {
    json opt = base_option();
    json data = json::array();
    for (const auto &[t, n] : counts) data.push_back({{"name", t}, {"value", n}});
    opt.erase("grid");
    opt["tooltip"] = {{"trigger", "item"}, {"formatter", "{b}: {c} ({d}%)"}, {"confine", true}};
    opt["legend"] = {{"orient", "vertical"}, {"left", 4}, {"top", "middle"}, {"type", "scroll"}};
    opt["series"] = json::array({{{"type", "pie"},
                                  {"name", "anomalies"},
                                  {"radius", json::array({"40%", "70%"})},
                                  {"center", json::array({"62%", "52%"})},
                                  {"data", data},
                                  {"label", {{"formatter", "{b}\n{d}%"}}}}});
    return opt;
}

json chart_rfm_segments(const std::vector<RfmSegment> &segments) {
    json opt = base_option();
    json names = json::array(), customers = json::array(), value = json::array();
    for (const auto &s : segments) {
        names.push_back(s.segment);
        customers.push_back(s.customers);
        value.push_back(opt_num(s.monetary));
    }
    opt["legend"] = {{"top", 4}};
    opt["grid"]["top"] = 48;
    opt["tooltip"]["axisPointer"] = {{"type", "shadow"}};
    opt["xAxis"] = {{"type", "category"},
                    {"data", names},
                    {"axisLabel", {{"interval", 0}, {"rotate", segments.size() > 5 ? 30 : 0}}}};
    opt["yAxis"] = json::array(
        {{{"type", "value"}, {"name", "customers"}},
         {{"type", "value"}, {"name", "total value"}, {"splitLine", {{"show", false}}}}});
    opt["series"] = json::array(
        {{{"type", "bar"}, {"name", "customers"}, {"data", customers}, {"yAxisIndex", 0}},
         {{"type", "bar"}, {"name", "total value"}, {"data", value}, {"yAxisIndex", 1}}});
    return opt;
}

json chart_rfm_grid(const std::vector<RfmCell> &grid) {
    json opt = base_option();
    int64_t max_r = 0, max_f = 0, max_n = 0;
    for (const auto &c : grid) {
        max_r = std::max(max_r, c.r);
        max_f = std::max(max_f, c.f);
        max_n = std::max(max_n, c.customers);
    }
    json rs = json::array(), fs = json::array(), data = json::array();
    for (int64_t r = 1; r <= max_r; ++r) rs.push_back("R" + std::to_string(r));
    for (int64_t f = 1; f <= max_f; ++f) fs.push_back("F" + std::to_string(f));
    for (const auto &c : grid) {
        if (c.r < 1 || c.f < 1) continue;
        json item = {{"value", json::array({c.f - 1, c.r - 1, c.customers})}};
        if (c.avg_monetary) item["avg_monetary"] = tidy(*c.avg_monetary);
        data.push_back(item);
    }
    opt["tooltip"] = {{"trigger", "item"}, {"confine", true}};
    opt["grid"] = {
        {"left", 24}, {"right", 90}, {"top", 16}, {"bottom", 30}, {"containLabel", true}};
    opt["xAxis"] = {{"type", "category"},       {"data", fs},    {"name", "frequency score"},
                    {"nameLocation", "middle"}, {"nameGap", 26}, {"splitArea", {{"show", true}}}};
    opt["yAxis"] = {{"type", "category"},       {"data", rs},    {"name", "recency score"},
                    {"nameLocation", "middle"}, {"nameGap", 34}, {"splitArea", {{"show", true}}}};
    opt["visualMap"] = {{"min", 0},
                        {"max", std::max<int64_t>(max_n, 1)},
                        {"calculable", true},
                        {"orient", "vertical"},
                        {"right", 0},
                        {"top", "middle"},
                        {"inRange", {{"color", json::array({"#f7fbff", "#6baed6", "#08306b"})}}}};
    opt["series"] = json::array(
        {{{"type", "heatmap"},
          {"name", "customers"},
          {"data", data},
          {"label", {{"show", true}}},
          {"emphasis", {{"itemStyle", {{"borderColor", "#333"}, {"borderWidth", 1}}}}}}});
    return opt;
}

// ---- view ----

std::string script_safe_json(const json &j) {
    std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string out;
    out.reserve(s.size() + s.size() / 50);
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '<')
            out += "\\u003c";
        else if (c == '>')
            out += "\\u003e";
        else if (c == '&')
            out += "\\u0026";
        else if (c == '\xE2' && i + 2 < s.size() && s[i + 1] == '\x80' &&
                 (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
            out += s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else
            out += c;
    }
    return out;
}

json build_view(const ReportData &d) {
    ChartSet charts;
    json v;
    const std::string unit = monetary_unit(d.run.warehouse);
    std::string wname = warehouse_name(d.run.warehouse);

    v["title"] = "dmine mining report · run " + std::to_string(d.run.id) +
                 (wname.empty() ? "" : " · " + wname);
    v["generated_at"] = format_timestamp(d.meta.generated_at);
    v["tool_version"] = d.meta.tool_version;
    v["database"] = d.meta.database;
    v["host"] = d.meta.host;
    v["server_version"] = d.meta.server_version;
    v["echarts_version"] = echarts_version();

    // Run.
    std::string status = d.run.status.value_or("unknown");
    v["run"] = {{"id", d.run.id},
                {"status", status},
                {"status_class", status_class(status)},
                {"mode", d.run.mode.value_or(kMissing)},
                {"config_name", d.run.config_name.value_or(kMissing)},
                {"warehouse_name", wname.empty() ? std::string(kMissing) : wname},
                {"started_at", format_timestamp(d.run.started_at)},
                {"finished_at", format_timestamp(d.run.finished_at)},
                {"duration", format_duration_ms(d.run.duration_ms)},
                {"error", d.run.error.value_or("")},
                {"has_error", d.run.error && !d.run.error->empty()},
                {"parameters", d.run.parameters.is_null() ? "" : d.run.parameters.dump(2)},
                {"has_parameters", !d.run.parameters.is_null() && !d.run.parameters.empty()}};
    json warehouse = json::array();
    if (d.run.warehouse.is_object())
        for (const auto &[k, val] : d.run.warehouse.items())
            warehouse.push_back({{"key", k}, {"value", truncate(scalar_text(val), 200)}});
    else if (!d.run.warehouse.is_null())
        warehouse.push_back({{"key", "warehouse"}, {"value", scalar_text(d.run.warehouse)}});
    v["warehouse"] = warehouse;
    v["has_warehouse"] = !warehouse.empty();

    // Summary facts.
    json facts = json::array();
    {
        // "schema.table": the table as the value, the schema and configuration below it.
        std::string table = wname, detail;
        size_t dot = wname.rfind('.');
        if (dot != std::string::npos && dot + 1 < wname.size()) {
            table = wname.substr(dot + 1);
            detail = "schema " + wname.substr(0, dot);
        }
        if (d.run.config_name)
            detail +=
                (detail.empty() ? "" : " · ") + std::string("configuration ") + *d.run.config_name;
        facts.push_back(fact("Fact table", table.empty() ? std::string(kMissing) : table, detail));
    }
    facts.push_back(
        fact("Mode", d.run.mode.value_or(kMissing), std::to_string(d.steps.size()) + " steps"));
    {
        std::string started = format_timestamp(d.run.started_at);
        std::string day =
            started.size() > 10 && started[10] == ' ' ? started.substr(0, 10) : started;
        std::string time = started.size() > 11 && started[10] == ' ' ? started.substr(11) : "";
        std::string finished = format_timestamp(d.run.finished_at);
        if (finished.rfind(day + " ", 0) == 0) finished = finished.substr(day.size() + 1);
        facts.push_back(fact("Started", day,
                             time + (d.run.finished_at ? " → " + finished : " (not finished)")));
    }
    facts.push_back(fact("Duration", format_duration_ms(d.run.duration_ms), "status " + status));
    opt_i fact_rows;
    for (const auto &c : d.profile)
        if (c.row_count) {
            fact_rows = c.row_count;
            break;
        }
    if (!fact_rows) fact_rows = d.anomalies.lines_scored;
    facts.push_back(
        fact("Sales lines", format_int(fact_rows),
             d.anomalies.lines_scored ? format_int(d.anomalies.lines_scored) + " scored" : ""));
    opt_i customers = d.clustering.customers;
    if (!customers && d.rfm.customers > 0) customers = d.rfm.customers;
    facts.push_back(
        fact("Customers", format_int(customers),
             d.clustering.chosen_k ? std::to_string(*d.clustering.chosen_k) + " clusters" : ""));
    v["facts"] = facts;

    // Steps (summary and log).
    json steps = json::array();
    double total_ms = 0;
    for (const auto &s : d.steps)
        if (s.duration_ms) total_ms += *s.duration_ms;
    for (const auto &s : d.steps) {
        std::string st = s.status.value_or("unknown");
        steps.push_back(
            {{"name", s.name},
             {"position", s.position ? std::to_string(*s.position) : ""},
             {"status", st},
             {"status_class", status_class(st)},
             {"started_at", format_timestamp(s.started_at)},
             {"finished_at", format_timestamp(s.finished_at)},
             {"duration", format_duration_ms(s.duration_ms)},
             {"share",
              s.duration_ms && total_ms > 0 ? format_percent(*s.duration_ms / total_ms, 0) : ""},
             {"rows", format_int(s.rows)},
             {"error", s.error.value_or("")},
             {"has_error", s.error && !s.error->empty()},
             {"details", s.details.is_null() ? "" : s.details.dump(2)},
             {"has_details", !s.details.is_null() && !s.details.empty()}});
    }
    v["steps"] = steps;
    v["has_steps"] = !steps.empty();
    json summary_charts = json::array();
    if (!d.steps.empty())
        summary_charts.push_back(
            charts.add("chart-steps", "Duration per step", chart_step_durations(d.steps),
                       std::max(160, 60 + 34 * static_cast<int>(d.steps.size()))));
    v["summary_charts"] = summary_charts;
    json tables = json::array();
    for (const auto &t : d.tables)
        tables.push_back({{"name", "dmine." + t.table},
                          {"rows", t.rows ? format_int(*t.rows) : "table missing"}});
    v["tables"] = tables;

    // Data profile.
    {
        json s = section_view(d.section("profile"));
        json cols = json::array();
        json dist = json::array();
        for (const auto &c : d.profile) {
            std::string role = profile_role(c);
            bool numeric = c.mean.has_value() || c.histogram.has_value();
            bool key = role == "identifier";
            auto num = [&](const opt_d &x) {
                return key ? std::string(kMissing) : format_number(x, 4);
            };
            auto minmax = [&](const opt_s &x) {
                if (!x) return std::string(kMissing);
                auto n = parse_number(*x);
                if (numeric && n && role != "date") return format_number(*n, 4);
                return truncate(format_timestamp(*x), 32);
            };
            std::string distinct = kMissing;
            if (c.distinct_estimate) {
                distinct = "≈ " + format_int(*c.distinct_estimate);
                if (key && c.row_count && c.null_count &&
                    *c.distinct_estimate >= *c.row_count - *c.null_count)
                    distinct = format_int(*c.distinct_estimate) + " (unique)";
            }
            cols.push_back(
                {{"name", c.name},
                 {"short_name", truncate(c.name, 32)},
                 {"type", c.data_type.value_or("")},
                 {"role", role},
                 {"nulls", format_percent(c.null_fraction)},
                 {"distinct", distinct},
                 {"mean", num(c.mean)},
                 {"stddev", num(c.stddev)},
                 {"min", minmax(c.min_value)},
                 {"p25", num(c.p25)},
                 {"p50", num(c.p50)},
                 {"p75", num(c.p75)},
                 {"max", minmax(c.max_value)},
                 {"skewness", key ? std::string(kMissing) : format_fixed(c.skewness, 2)}});
            // Identifiers get no chart: their histogram says nothing about the data.
            if (dist.size() >= 16 || key) continue;
            std::string id = "chart-dist-" + std::to_string(dist.size());
            json entry;
            if (c.histogram && (role == "date" || role == "timestamp")) {
                json opt = chart_histogram(c.name, *c.histogram);
                json labels = json::array();
                for (size_t i = 0; i + 1 < c.histogram->edges.size(); ++i)
                    labels.push_back(date_edge(c.histogram->edges[i]));
                opt["xAxis"]["data"] = labels;
                entry = charts.add(id, c.name, opt, 240, "rows over time");
            } else if (c.histogram) {
                std::string note = "mean " + num(c.mean) + " · median " + num(c.p50);
                entry = charts.add(id, c.name, chart_histogram(c.name, *c.histogram), 240, note);
            } else if (!c.top_values.empty()) {
                entry = charts.add(id, c.name, chart_top_values(c.name, c.top_values), 240,
                                   "most frequent values");
            } else {
                continue;
            }
            entry["role"] = role;
            entry["column"] = c.name;
            dist.push_back(entry);
        }
        s["columns"] = cols;
        s["distribution_charts"] = dist;
        s["has_distributions"] = !dist.empty();
        json corr = json::array();
        CorrelationMatrix m = without_identifiers(d.correlation, d.profile);
        if (m.features.size() >= 2) {
            int h = std::max(300, 120 + 34 * static_cast<int>(m.features.size()));
            corr.push_back(charts.add("chart-correlation",
                                      "Correlation of the numeric features (Pearson)",
                                      chart_correlation(m), h, "", true));
        }
        s["correlation_charts"] = corr;
        s["has_data"] = !d.profile.empty();
        v["profile"] = s;
    }

    // Clustering.
    {
        json s = section_view(d.section("clustering"));
        const auto &c = d.clustering;
        json f = json::array();
        std::optional<double> chosen_sil;
        for (const auto &k : c.scores)
            if (c.chosen_k && k.k == *c.chosen_k) chosen_sil = k.silhouette;
        f.push_back(
            fact("Chosen k", c.chosen_k ? std::to_string(*c.chosen_k) : kMissing,
                 c.scores.empty() ? "" : "of " + std::to_string(c.scores.size()) + " tried"));
        f.push_back(fact("Silhouette", format_fixed(chosen_sil, 3),
                         "at the chosen k (−1 … 1, higher is better)"));
        f.push_back(fact("Customers", format_int(c.customers), ""));
        s["facts"] = f;
        json ch = json::array();
        if (!c.scores.empty())
            ch.push_back(charts.add("chart-kscores", "Silhouette and inertia per k",
                                    chart_kscores(c.scores, c.chosen_k), 300,
                                    "the chosen k is marked"));
        if (!c.profiles.empty())
            ch.push_back(charts.add("chart-cluster-sizes", "Cluster sizes",
                                    chart_cluster_sizes(c.profiles), 300));
        if (!c.points.empty())
            ch.push_back(charts.add(
                "chart-cluster-scatter",
                "Customers by " + feature_label(c.point_x) + " and " + feature_label(c.point_y),
                chart_cluster_scatter(c), 380,
                "a sample of " + format_int(static_cast<int64_t>(c.points.size())) +
                    " customers; drag or scroll to zoom",
                true));
        s["charts"] = ch;
        json headers = json::array();
        for (const auto &m : c.measure_names) headers.push_back({{"name", feature_label(m)}});
        s["measure_headers"] = headers;
        json rows = json::array();
        for (const auto &p : c.profiles) {
            json cells = json::array();
            for (size_t i = 0; i < c.measure_names.size(); ++i) {
                std::string val = format_feature(
                    c.measure_names[i], i < p.measures.size() ? p.measures[i] : std::nullopt);
                if (c.measure_names[i] == "monetary" || c.measure_names[i] == "avg_basket")
                    val = with_unit(val, unit);
                cells.push_back({{"value", val}});
            }
            rows.push_back(
                {{"cluster", p.cluster},
                 {"color",
                  kPalette[static_cast<size_t>(std::max<int64_t>(p.cluster, 0)) % kPalette.size()]},
                 {"label", p.label.value_or("")},
                 {"size", format_int(p.size)},
                 {"share", format_percent(p.share)},
                 {"cells", cells}});
        }
        s["profiles"] = rows;
        s["has_profiles"] = !rows.empty();
        json scores = json::array();
        for (const auto &k : c.scores)
            scores.push_back({{"k", k.k},
                              {"inertia", format_number(k.inertia, 4)},
                              {"silhouette", format_fixed(k.silhouette, 3)},
                              {"chosen", c.chosen_k && *c.chosen_k == k.k}});
        s["scores"] = scores;
        s["has_data"] = !c.scores.empty() || !c.profiles.empty();
        v["clustering"] = s;
    }

    // Anomalies.
    {
        json s = section_view(d.section("anomalies"));
        const auto &a = d.anomalies;
        json f = json::array();
        f.push_back(fact("Lines scored", format_int(a.lines_scored), ""));
        std::string share;
        if (a.anomalies && a.lines_scored && *a.lines_scored > 0)
            share =
                format_percent(
                    static_cast<double>(*a.anomalies) / static_cast<double>(*a.lines_scored), 2) +
                " of the lines";
        f.push_back(fact("Anomalies", format_int(a.anomalies), share));
        f.push_back(
            fact("Threshold", format_number(a.threshold, 3), "score at or above is an anomaly"));
        s["facts"] = f;
        json ch = json::array();
        if (a.score_histogram)
            ch.push_back(charts.add("chart-anomaly-scores", "Distribution of anomaly scores",
                                    chart_histogram("score", *a.score_histogram, a.threshold), 300,
                                    "bars at or above the threshold in red"));
        if (!a.type_counts.empty())
            ch.push_back(charts.add("chart-anomaly-types", "Anomalies per type",
                                    chart_anomaly_types(a.type_counts), 300));
        s["charts"] = ch;
        json top = json::array();
        for (const auto &r : a.top)
            top.push_back(
                {{"score", format_fixed(r.score, 3)},
                 {"type", r.anomaly_type.value_or(kMissing)},
                 {"line", r.line_key.value_or(kMissing)},
                 {"customer", r.customer_key.value_or(kMissing)},
                 {"when", format_timestamp(r.occurred_at)},
                 {"amount", with_unit(format_fixed(r.amount, 2), unit)},
                 {"quantity", format_number(r.quantity, 4)},
                 {"explanation", r.reason ? *r.reason : explanation_text(r.explanation)}});
        s["top"] = top;
        s["has_top"] = !top.empty();
        s["top_count"] = top.size();
        json types = json::array();
        int64_t total = 0;
        for (const auto &[t, n] : a.type_counts) total += n;
        for (const auto &[t, n] : a.type_counts)
            types.push_back({{"type", t},
                             {"count", format_int(n)},
                             {"share", total > 0 ? format_percent(static_cast<double>(n) /
                                                                  static_cast<double>(total))
                                                 : kMissing}});
        s["types"] = types;
        s["has_types"] = !types.empty();
        s["has_data"] = !a.top.empty() || a.lines_scored.has_value();
        v["anomalies"] = s;
    }

    // RFM.
    {
        json s = section_view(d.section("rfm"));
        const auto &r = d.rfm;
        json f = json::array();
        f.push_back(fact("Customers", format_int(r.customers), ""));
        f.push_back(fact("Segments", std::to_string(r.segments.size()), ""));
        f.push_back(fact("Total value", with_unit(format_fixed(r.monetary, 0), unit),
                         "sum of monetary value"));
        s["facts"] = f;
        json ch = json::array();
        if (!r.segments.empty())
            ch.push_back(charts.add("chart-rfm-segments", "Segment sizes and value",
                                    chart_rfm_segments(r.segments), 320));
        if (!r.grid.empty())
            ch.push_back(charts.add("chart-rfm-grid", "Recency × frequency grid (customers)",
                                    chart_rfm_grid(r.grid), 320,
                                    "5 is the most recent / most frequent"));
        s["charts"] = ch;
        json segs = json::array();
        for (const auto &g : r.segments)
            segs.push_back({{"segment", g.segment},
                            {"customers", format_int(g.customers)},
                            {"share", format_percent(g.share)},
                            {"monetary", with_unit(format_fixed(g.monetary, 0), unit)},
                            {"value_share", g.monetary && r.monetary && *r.monetary != 0
                                                ? format_percent(*g.monetary / *r.monetary)
                                                : kMissing},
                            {"avg_recency", format_days(g.avg_recency)},
                            {"avg_frequency", format_number(g.avg_frequency, 3)},
                            {"avg_monetary", with_unit(format_fixed(g.avg_monetary, 2), unit)}});
        s["segments"] = segs;
        s["has_data"] = !r.segments.empty();
        v["rfm"] = s;
    }

    // Navigation and notes.
    add_explore_views(v, d, charts, unit);
    add_forecast_view(v, d, charts, unit);
    json nav = json::array({{{"key", "summary"}, {"title", "Summary"}, {"state", "ok"}}});
    for (const auto &st : d.sections)
        if (!v.contains(st.key) || v[st.key].value("show", true))
            nav.push_back({{"key", st.key}, {"title", st.title}, {"state", to_string(st.state)}});
    nav.push_back({{"key", "appendix"}, {"title", "Appendix"}, {"state", "ok"}});
    v["nav"] = nav;
    json notes = json::array();
    for (const auto &n : d.notes) notes.push_back({{"note", n}});
    v["notes"] = notes;
    v["has_notes"] = !notes.empty();

    v["charts_json"] = script_safe_json(charts.options);
    v["report_json"] = script_safe_json(to_json(d));
    v["chart_count"] = charts.options.size();
    return v;
}

// ---- Mustache ----

namespace {

using kainjow::mustache::data;

data to_mustache(const json &j) {
    switch (j.type()) {
    case json::value_t::object: {
        data d{data::type::object};
        for (const auto &[k, v] : j.items()) d.set(k, to_mustache(v));
        return d;
    }
    case json::value_t::array: {
        data d{data::type::list};
        for (const auto &v : j) d.push_back(to_mustache(v));
        return d;
    }
    case json::value_t::string:
        return data{j.get<std::string>()};
    case json::value_t::boolean:
        return j.get<bool>() ? data{data::type::bool_true} : data{data::type::bool_false};
    case json::value_t::null:
        return data{data::type::bool_false};
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
        return data{std::to_string(j.get<int64_t>())};
    default:
        return data{format_number(j.get<double>(), 6)};
    }
}

} // namespace

std::string render_html(const std::string &template_text, const json &view) {
    kainjow::mustache::mustache tmpl{template_text};
    if (!tmpl.is_valid()) throw Error("template: " + tmpl.error_message());
    data ctx = to_mustache(view);
    ctx.set("echarts_js", std::string(echarts_js()));
    std::string out = tmpl.render(ctx);
    if (!tmpl.is_valid()) throw Error("template: " + tmpl.error_message());
    return out;
}

} // namespace dmine::report
