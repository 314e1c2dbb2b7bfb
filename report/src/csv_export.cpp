#include "csv_export.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace dmine::report {

namespace fs = std::filesystem;

std::string csv_copy_sql(const std::string &table, int64_t run_id, const std::string &order_by) {
    return "COPY (SELECT * FROM dmine." + quote_ident(table) +
           " WHERE run_id = " + std::to_string(run_id) +
           (order_by.empty() ? "" : " ORDER BY " + order_by) +
           ") TO STDOUT WITH (FORMAT csv, HEADER)";
}

std::vector<CsvFile> export_csv(Connection &conn, int64_t run_id, const std::string &dir,
                                const Progress &progress) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw Error("cannot create directory " + dir + ": " + ec.message());
    auto columns = dmine_columns(conn);
    // The first column of each table's natural key orders the rows, so exports diff well.
    std::vector<std::pair<std::string, std::vector<std::string>>> tables = {
        {"runs", {"run_id"}},
        {"run_steps", {"position", "step"}},
        {"result_profile", {"ordinal", "column_name"}},
        {"result_correlation", {"feature_x", "feature_y"}},
        {"result_customer_features", {"customer_key"}},
        {"result_kmeans_scores", {"k"}},
        {"result_clusters", {"customer_key"}},
        {"result_cluster_profiles", {"cluster"}},
        {"result_anomalies", {"score DESC", "line_key"}},
        {"result_anomaly_summary", {}},
        {"result_rfm", {"customer_key"}},
        {"result_trends", {"grain", "period_start"}},
        {"result_seasonality", {"cycle", "position"}},
        {"result_heatmap", {"isodow", "hour"}},
        {"result_breakdowns", {"dimension", "attribute", "rank"}},
        {"result_concentration", {"dimension", "attribute"}},
        {"result_forecasts", {"dimension", "attribute", "value", "period_start"}},
    };
    std::vector<CsvFile> written;
    for (const auto &[table, order] : tables) {
        auto it = columns.find(table);
        if (it == columns.end() || !it->second.count("run_id")) continue;
        std::string order_by;
        for (const auto &o : order) {
            std::string col = o.substr(0, o.find(' '));
            if (!it->second.count(col)) continue;
            if (!order_by.empty()) order_by += ", ";
            order_by += quote_ident(col) + o.substr(col.size());
        }
        std::string path = (fs::path(dir) / (table + ".csv")).string();
        if (progress) progress("CSV " + path);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        if (!out) throw Error("cannot write " + path + ": " + std::strerror(errno));
        size_t bytes =
            conn.copy_out(csv_copy_sql(table, run_id, order_by), [&out](const char *p, size_t n) {
                out.write(p, static_cast<std::streamsize>(n));
            });
        out.close();
        if (!out) throw Error("cannot write " + path + ": " + std::strerror(errno));
        written.push_back({path, bytes});
    }
    return written;
}

} // namespace dmine::report
