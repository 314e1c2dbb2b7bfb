// dmine-report: a self-contained HTML report of a dmine mining run.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "csv_export.hpp"
#include "db.hpp"
#include "format.hpp"
#include "options.hpp"
#include "render.hpp"
#include "report_data.hpp"

#ifndef DMINE_VERSION
#define DMINE_VERSION "dev"
#endif

namespace fs = std::filesystem;
using namespace dmine::report;

namespace {

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read template " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// "cannot write PATH: REASON", the reason as the OS gives it (errno).
[[noreturn]] void write_error(const std::string &path, int err) {
    throw Error("cannot write " + path + ": " + std::strerror(err));
}

// Writes through a temporary file next to the target, so a failed run leaves no half a report.
void write_file(const std::string &path, const std::string &text) {
    if (path == "-") {
        std::cout << text;
        std::cout.flush();
        if (!std::cout) throw Error("cannot write to standard output");
        return;
    }
    fs::path target(path);
    fs::path tmp = target;
    tmp += ".tmp";
    std::FILE *out = std::fopen(tmp.c_str(), "wb");
    if (!out) write_error(path, errno);
    bool written = std::fwrite(text.data(), 1, text.size(), out) == text.size();
    int err = errno;
    if (std::fclose(out) != 0 && written) {
        written = false;
        err = errno;
    }
    std::error_code ec;
    if (!written) {
        fs::remove(tmp, ec);
        write_error(path, err);
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw Error("cannot write " + path + ": " + ec.message());
    }
}

int run(const Options &o) {
    const auto t0 = std::chrono::steady_clock::now();
    Progress progress = [&](const std::string &what) {
        if (o.quiet) return;
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count();
        std::fprintf(stderr, "dmine-report: [%s] %s\n", format_duration_ms(ms).c_str(),
                     what.c_str());
    };

    std::string tmpl(default_template());
    if (!o.template_path.empty()) tmpl = read_file(o.template_path);

    progress("connecting");
    Connection conn(o.connection);
    int64_t run_id = pick_run(conn, o.run_id);
    progress("reading the results of run " + std::to_string(run_id) + " from database " +
             conn.database());
    ReportData data = load_report(conn, run_id, progress, o.top_anomalies);
    data.meta.tool_version = DMINE_VERSION;

    if (!o.csv_dir.empty()) {
        auto files = export_csv(conn, run_id, o.csv_dir, progress);
        progress("wrote " + std::to_string(files.size()) + " CSV files into " + o.csv_dir);
    }
    if (!o.json_path.empty()) {
        write_file(o.json_path, to_json(data).dump(2) + "\n");
        if (o.json_path != "-") progress("wrote " + o.json_path);
    }
    if (!o.out.empty()) {
        progress("rendering");
        std::string html = render_html(tmpl, build_view(data));
        write_file(o.out, html);
        if (o.out != "-") {
            std::string where = o.out;
            std::error_code ec;
            fs::path abs = fs::absolute(o.out, ec);
            if (!ec) where = abs.lexically_normal().string();
            progress("wrote " + where + " (" + format_bytes(html.size()) + ", run " +
                     std::to_string(run_id) + ")");
        }
    }
    for (const auto &s : data.sections)
        if (s.state == SectionState::failed || s.state == SectionState::unavailable)
            progress("note: section " + s.key + " is missing (" + s.message + ")");
    return 0;
}

} // namespace

int main(int argc, char **argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    Options o;
    try {
        o = parse_options(args);
    } catch (const UsageError &e) {
        std::fprintf(stderr, "dmine-report: %s\n", e.what());
        return 2;
    }
    if (o.help) {
        std::cout << usage_text();
        return 0;
    }
    if (o.version) {
        std::cout << "dmine-report " << DMINE_VERSION << " (Apache ECharts " << echarts_version()
                  << ")\n";
        return 0;
    }
    if (o.print_template) {
        std::cout << default_template();
        return 0;
    }
    try {
        return run(o);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "dmine-report: %s\n", e.what());
        return 1;
    }
}
