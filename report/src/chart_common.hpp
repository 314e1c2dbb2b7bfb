// What every chart and section view shares: the palette, the base ECharts option, zoom, number
// tidying, the chart set of a report and the section/fact view helpers.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "report_data.hpp"

namespace dmine::report {

// A palette that reads well on white and for the common colour-vision deficiencies.
extern const std::vector<std::string> kPalette;
extern const char *const kAccent;
extern const char *const kAlert;

nlohmann::json base_option();
void add_zoom(nlohmann::json &opt, bool slider, const nlohmann::json &x_index = 0);
double round_to(double v, int decimals);
double significant(double v, int n); // round to n significant digits
double tidy(double v);               // chart data: about 6 significant digits
nlohmann::json opt_num(const std::optional<double> &v);
std::string truncate(const std::string &s, size_t n); // at a UTF-8 boundary, with "…"

// The chart options of a report, keyed by id, and the entries the template places.
struct ChartSet {
    nlohmann::json options = nlohmann::json::object();
    nlohmann::json add(const std::string &id, const std::string &title, nlohmann::json option,
                       int height = 320, const std::string &note = "", bool wide = false);
};

nlohmann::json section_view(const SectionStatus *st);
nlohmann::json fact(const std::string &label, const std::string &value,
                    const std::string &detail = "");

} // namespace dmine::report
