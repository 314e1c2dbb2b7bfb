// Reading and shaping result_forecasts.
#include "forecast_data.hpp"

#include <algorithm>

namespace dmine::report {

namespace {

const std::vector<std::string> kColumns = {
    "dimension", "attribute", "value", "grain", "period_start", "step", "actual",
    "point",     "lo80",      "hi80",  "lo95",  "hi95",         "model"};

int dimension_rank(const std::string &d) {
    return d == "total" ? 0 : d == "product" ? 1 : d == "store" ? 2 : 3;
}

template <typename T> nlohmann::json j_opt(const std::optional<T> &v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

} // namespace

std::vector<ForecastSeries> Forecasts::series() const {
    std::vector<ForecastSeries> out;
    for (const auto &p : rows) {
        if (out.empty() || out.back().dimension != p.dimension ||
            out.back().attribute != p.attribute || out.back().value != p.value)
            out.push_back({p.dimension, p.attribute, p.value, p.model, p.grain, {}, {}});
        (p.step <= 0 ? out.back().history : out.back().forecast).push_back(p);
    }
    // Within a dimension, the series with the most revenue first.
    auto revenue = [](const ForecastSeries &s) {
        double sum = 0;
        for (const auto &p : s.history) sum += p.actual.value_or(0);
        return sum;
    };
    std::stable_sort(out.begin(), out.end(), [&](const ForecastSeries &a, const ForecastSeries &b) {
        if (dimension_rank(a.dimension) != dimension_rank(b.dimension))
            return dimension_rank(a.dimension) < dimension_rank(b.dimension);
        if (a.dimension != b.dimension || a.attribute != b.attribute)
            return a.dimension + a.attribute < b.dimension + b.attribute;
        return revenue(a) > revenue(b);
    });
    return out;
}

std::vector<ForecastPoint> forecasts_from_rows(const Rows &rows) {
    std::vector<ForecastPoint> out;
    for (size_t r = 0; r < rows.size(); ++r) {
        ForecastPoint p;
        p.dimension = rows.text(r, "dimension").value_or("");
        p.attribute = rows.text(r, "attribute").value_or("");
        p.value = rows.text(r, "value").value_or("");
        p.grain = rows.text(r, "grain").value_or("month");
        p.period_start = rows.text(r, "period_start").value_or("");
        p.model = rows.text(r, "model").value_or("");
        auto step = rows.integer(r, "step");
        if (!step || p.period_start.empty()) continue;
        p.step = *step;
        p.actual = rows.number(r, "actual");
        p.point = rows.number(r, "point");
        p.lo80 = rows.number(r, "lo80");
        p.hi80 = rows.number(r, "hi80");
        p.lo95 = rows.number(r, "lo95");
        p.hi95 = rows.number(r, "hi95");
        out.push_back(std::move(p));
    }
    return out;
}

nlohmann::json forecasts_json(const Forecasts &f) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto &p : f.rows)
        rows.push_back({{"dimension", p.dimension},
                        {"attribute", p.attribute},
                        {"value", p.value},
                        {"grain", p.grain},
                        {"period_start", p.period_start},
                        {"step", p.step},
                        {"actual", j_opt(p.actual)},
                        {"point", j_opt(p.point)},
                        {"lo80", j_opt(p.lo80)},
                        {"hi80", j_opt(p.hi80)},
                        {"lo95", j_opt(p.lo95)},
                        {"hi95", j_opt(p.hi95)},
                        {"model", p.model}});
    return {{"rows", rows}};
}

Forecasts load_forecasts(Connection &conn, int64_t run_id, const DmineColumns &cols,
                         std::vector<std::string> *notes) {
    Forecasts f;
    auto it = cols.find("result_forecasts");
    if (it == cols.end() || !it->second.count("run_id")) return f;
    std::string list;
    for (const auto &c : kColumns) {
        if (!list.empty()) list += ", ";
        if (it->second.count(c)) {
            list += quote_ident(c);
        } else {
            list += "NULL AS " + quote_ident(c);
            if (notes) notes->push_back("dmine.result_forecasts has no column " + c);
        }
    }
    f.rows =
        forecasts_from_rows(conn.query("SELECT " + list +
                                           " FROM dmine.result_forecasts WHERE run_id = $1"
                                           " ORDER BY dimension, attribute, value, period_start",
                                       {std::to_string(run_id)}));
    return f;
}

} // namespace dmine::report
