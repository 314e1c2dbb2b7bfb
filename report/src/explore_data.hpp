// The exploration results of a run (sales over time, seasonality, the weekday × hour heatmap,
// breakdowns by dimension and their concentration), read from tables that older databases lack.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db.hpp"

namespace dmine::report {

struct TrendPoint {
    std::string grain;        // day, week, month
    std::string period_start; // ISO date
    std::optional<double> revenue, trend;
    std::optional<int64_t> lines, orders, customers;
};

struct SeasonIndex {
    std::string cycle; // month, weekday
    int64_t position = 0;
    std::string label;
    std::optional<double> index, strength;
};

struct HeatCell {
    int64_t isodow = 0, hour = 0;
    std::optional<double> revenue;
    std::optional<int64_t> lines;
};

struct Trends {
    std::vector<TrendPoint> points; // by grain, then period_start
    std::vector<SeasonIndex> seasonality;
    std::vector<HeatCell> heatmap;
    bool empty() const { return points.empty() && seasonality.empty() && heatmap.empty(); }
    std::vector<TrendPoint> series(const std::string &grain) const;
    std::vector<SeasonIndex> cycle(const std::string &cycle) const;
};

struct BreakdownRow {
    std::string dimension, attribute, value;
    std::optional<double> revenue, share, growth;
    std::optional<int64_t> lines, customers, rank;
    std::optional<std::string> abc_class;
};

struct Concentration {
    std::string dimension, attribute;
    std::optional<int64_t> items, a_items;
    std::optional<double> gini, top20_share;
};

struct Breakdowns {
    std::vector<BreakdownRow> rows; // by dimension, attribute, rank
    std::vector<Concentration> concentration;
    bool empty() const { return rows.empty() && concentration.empty(); }
    // The (dimension, attribute) pairs in the order of their first row.
    std::vector<std::pair<std::string, std::string>> groups() const;
    std::vector<BreakdownRow> group(const std::string &dimension,
                                    const std::string &attribute) const;
};

// ---- shaping (pure) ----
std::vector<TrendPoint> trend_points_from_rows(const Rows &rows);
std::vector<SeasonIndex> seasonality_from_rows(const Rows &rows);
std::vector<HeatCell> heatmap_from_rows(const Rows &rows);
std::vector<BreakdownRow> breakdowns_from_rows(const Rows &rows);
std::vector<Concentration> concentration_from_rows(const Rows &rows);

// The exploration data as JSON, unformatted (for --json).
nlohmann::json trends_json(const Trends &t);
nlohmann::json breakdowns_json(const Breakdowns &b);

// ---- reading ----
// All table and column names of the exploration tables live here, so that a renamed column is
// changed in one place. Tables that do not exist are left out (older databases and runs);
// missing optional columns are read as NULL and noted.
using DmineColumns = std::map<std::string, std::set<std::string>>;
Trends load_trends(Connection &conn, int64_t run_id, const DmineColumns &columns,
                   std::vector<std::string> *notes);
Breakdowns load_breakdowns(Connection &conn, int64_t run_id, const DmineColumns &columns,
                           std::vector<std::string> *notes);

} // namespace dmine::report
