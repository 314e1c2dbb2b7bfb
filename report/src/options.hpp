// Command-line options of dmine-report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "db.hpp"

namespace dmine::report {

class UsageError : public Error {
public:
    using Error::Error;
};

struct Options {
    // libpq keywords in order (dbname first: it may be a whole connection string).
    std::vector<std::pair<std::string, std::string>> connection;
    std::optional<int64_t> run_id;
    std::string out;           // HTML file ("-" is stdout)
    std::string template_path; // "" is the built-in template
    std::string csv_dir;
    std::string json_path; // "-" is stdout
    size_t top_anomalies = 25;
    bool quiet = false;
    bool help = false;
    bool version = false;
    bool print_template = false;
};

// Throws UsageError (one line) for bad options, and for a password given on the command line.
Options parse_options(const std::vector<std::string> &args);

std::string usage_text();

} // namespace dmine::report
