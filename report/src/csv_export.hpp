// --csv DIR: the run's rows of the run tables and result tables as CSV files (COPY … TO STDOUT).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db.hpp"
#include "report_data.hpp"

namespace dmine::report {

struct CsvFile {
    std::string path;
    size_t bytes = 0;
};

// The COPY statement that exports one table's rows of a run (table without schema).
std::string csv_copy_sql(const std::string &table, int64_t run_id, const std::string &order_by);

// Writes DIR/runs.csv, DIR/run_steps.csv and DIR/<result table>.csv for the tables that exist;
// creates DIR when needed. Throws Error when a file cannot be written.
std::vector<CsvFile> export_csv(Connection &conn, int64_t run_id, const std::string &dir,
                                const Progress &progress);

} // namespace dmine::report
