// Reading and shaping the exploration tables: result_trends, result_seasonality, result_heatmap,
// result_breakdowns and result_concentration.
#include "explore_data.hpp"

#include <algorithm>

namespace dmine::report {

namespace {

bool has_column(const DmineColumns &cols, const std::string &t, const std::string &c) {
    auto it = cols.find(t);
    return it != cols.end() && it->second.count(c) > 0;
}

// The run's rows of a table with the wanted columns (NULL for missing ones, which are noted);
// no rows when the table does not exist or has no run_id.
Rows read_table(Connection &conn, int64_t run_id, const DmineColumns &cols,
                const std::string &table, const std::vector<std::string> &wanted,
                const std::string &order_by, std::vector<std::string> *notes,
                const std::string &filter = "") {
    if (!has_column(cols, table, "run_id")) return Rows();
    std::string list;
    for (const auto &c : wanted) {
        if (!list.empty()) list += ", ";
        if (has_column(cols, table, c)) {
            list += quote_ident(c);
        } else {
            list += "NULL AS " + quote_ident(c);
            if (notes) notes->push_back("dmine." + table + " has no column " + c);
        }
    }
    return conn.query("SELECT " + list + " FROM dmine." + quote_ident(table) +
                          " WHERE run_id = $1" + (filter.empty() ? "" : " AND " + filter) +
                          " ORDER BY " + order_by,
                      {std::to_string(run_id)});
}

} // namespace

std::vector<TrendPoint> Trends::series(const std::string &grain) const {
    std::vector<TrendPoint> out;
    for (const auto &p : points)
        if (p.grain == grain) out.push_back(p);
    return out;
}

std::vector<SeasonIndex> Trends::cycle(const std::string &c) const {
    std::vector<SeasonIndex> out;
    for (const auto &s : seasonality)
        if (s.cycle == c) out.push_back(s);
    return out;
}

std::vector<std::pair<std::string, std::string>> Breakdowns::groups() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto &r : rows) {
        std::pair<std::string, std::string> g{r.dimension, r.attribute};
        if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    }
    return out;
}

std::vector<BreakdownRow> Breakdowns::group(const std::string &dimension,
                                            const std::string &attribute) const {
    std::vector<BreakdownRow> out;
    for (const auto &r : rows)
        if (r.dimension == dimension && r.attribute == attribute) out.push_back(r);
    return out;
}

std::vector<TrendPoint> trend_points_from_rows(const Rows &rows) {
    std::vector<TrendPoint> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        auto start = rows.text(r, "period_start");
        if (!start) continue;
        out.push_back({rows.text(r, "grain").value_or(""), *start, rows.number(r, "revenue"),
                       rows.number(r, "trend"), rows.integer(r, "lines"), rows.integer(r, "orders"),
                       rows.integer(r, "customers")});
    }
    return out;
}

std::vector<SeasonIndex> seasonality_from_rows(const Rows &rows) {
    std::vector<SeasonIndex> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        SeasonIndex s;
        s.cycle = rows.text(r, "cycle").value_or("");
        s.position = rows.integer(r, "position").value_or(0);
        s.label = rows.text(r, "label").value_or(std::to_string(s.position));
        s.index = rows.number(r, "seasonal_index");
        s.strength = rows.number(r, "strength");
        out.push_back(std::move(s));
    }
    return out;
}

std::vector<HeatCell> heatmap_from_rows(const Rows &rows) {
    std::vector<HeatCell> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        auto d = rows.integer(r, "isodow"), h = rows.integer(r, "hour");
        if (!d || !h || *d < 1 || *d > 7 || *h < 0 || *h > 23) continue;
        out.push_back({*d, *h, rows.number(r, "revenue"), rows.integer(r, "lines")});
    }
    return out;
}

std::vector<BreakdownRow> breakdowns_from_rows(const Rows &rows) {
    std::vector<BreakdownRow> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        BreakdownRow b;
        b.dimension = rows.text(r, "dimension").value_or("");
        b.attribute = rows.text(r, "attribute").value_or("");
        b.value = rows.text(r, "value").value_or("(null)");
        b.revenue = rows.number(r, "revenue");
        b.share = rows.number(r, "share");
        b.growth = rows.number(r, "growth");
        b.lines = rows.integer(r, "lines");
        b.customers = rows.integer(r, "customers");
        b.rank = rows.integer(r, "rank");
        b.abc_class = rows.text(r, "abc_class");
        out.push_back(std::move(b));
    }
    return out;
}

std::vector<Concentration> concentration_from_rows(const Rows &rows) {
    std::vector<Concentration> out;
    for (size_t r = 0; r < rows.size(); ++r)
        out.push_back({rows.text(r, "dimension").value_or(""),
                       rows.text(r, "attribute").value_or(""), rows.integer(r, "items"),
                       rows.integer(r, "a_items"), rows.number(r, "gini"),
                       rows.number(r, "top20_share")});
    return out;
}

namespace {

template <typename T> nlohmann::json j_opt(const std::optional<T> &v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

} // namespace

nlohmann::json trends_json(const Trends &t) {
    nlohmann::json points = nlohmann::json::array(), season = nlohmann::json::array(),
                   heat = nlohmann::json::array();
    for (const auto &p : t.points)
        points.push_back({{"grain", p.grain},
                          {"period_start", p.period_start},
                          {"revenue", j_opt(p.revenue)},
                          {"lines", j_opt(p.lines)},
                          {"orders", j_opt(p.orders)},
                          {"customers", j_opt(p.customers)},
                          {"trend", j_opt(p.trend)}});
    for (const auto &s : t.seasonality)
        season.push_back({{"cycle", s.cycle},
                          {"position", s.position},
                          {"label", s.label},
                          {"seasonal_index", j_opt(s.index)},
                          {"strength", j_opt(s.strength)}});
    for (const auto &c : t.heatmap)
        heat.push_back({{"isodow", c.isodow},
                        {"hour", c.hour},
                        {"revenue", j_opt(c.revenue)},
                        {"lines", j_opt(c.lines)}});
    return {{"points", points}, {"seasonality", season}, {"heatmap", heat}};
}

nlohmann::json breakdowns_json(const Breakdowns &b) {
    nlohmann::json rows = nlohmann::json::array(), conc = nlohmann::json::array();
    for (const auto &r : b.rows)
        rows.push_back({{"dimension", r.dimension},
                        {"attribute", r.attribute},
                        {"value", r.value},
                        {"revenue", j_opt(r.revenue)},
                        {"lines", j_opt(r.lines)},
                        {"customers", j_opt(r.customers)},
                        {"share", j_opt(r.share)},
                        {"growth", j_opt(r.growth)},
                        {"abc_class", j_opt(r.abc_class)},
                        {"rank", j_opt(r.rank)}});
    for (const auto &c : b.concentration)
        conc.push_back({{"dimension", c.dimension},
                        {"attribute", c.attribute},
                        {"items", j_opt(c.items)},
                        {"gini", j_opt(c.gini)},
                        {"top20_share", j_opt(c.top20_share)},
                        {"a_items", j_opt(c.a_items)}});
    return {{"rows", rows}, {"concentration", conc}};
}

Trends load_trends(Connection &conn, int64_t run_id, const DmineColumns &cols,
                   std::vector<std::string> *notes) {
    Trends t;
    t.points = trend_points_from_rows(
        read_table(conn, run_id, cols, "result_trends",
                   {"grain", "period_start", "revenue", "lines", "orders", "customers", "trend"},
                   "grain, period_start", notes));
    // The pipeline keeps indices of several measures; the report shows those of revenue.
    const bool by_measure = has_column(cols, "result_seasonality", "measure");
    t.seasonality = seasonality_from_rows(
        read_table(conn, run_id, cols, "result_seasonality",
                   {"cycle", "position", "label", "seasonal_index", "strength"}, "cycle, position",
                   notes, by_measure ? "measure = 'revenue'" : ""));
    t.heatmap = heatmap_from_rows(read_table(conn, run_id, cols, "result_heatmap",
                                             {"isodow", "hour", "revenue", "lines"}, "isodow, hour",
                                             notes));
    return t;
}

Breakdowns load_breakdowns(Connection &conn, int64_t run_id, const DmineColumns &cols,
                           std::vector<std::string> *notes) {
    Breakdowns b;
    b.rows = breakdowns_from_rows(
        read_table(conn, run_id, cols, "result_breakdowns",
                   {"dimension", "attribute", "value", "revenue", "lines", "customers", "share",
                    "growth", "abc_class", "rank"},
                   "dimension, attribute, rank NULLS LAST, revenue DESC NULLS LAST, value", notes));
    b.concentration = concentration_from_rows(
        read_table(conn, run_id, cols, "result_concentration",
                   {"dimension", "attribute", "items", "gini", "top20_share", "a_items"},
                   "dimension, attribute", notes));
    return b;
}

} // namespace dmine::report
