// The "Key findings" of a report: short sentences generated from the results, with their
// numbers, each linking to the section that shows them. A sentence whose data are missing or
// too few is left out, never printed with a gap.
#pragma once

#include <string>
#include <vector>

#include "report_data.hpp"

namespace dmine::report {

struct Finding {
    std::string topic;  // growth, months, seasonality, heatmap, concentration, forecast, risk,
                        // cluster, anomalies
    std::string text;   // one or two sentences
    std::string anchor; // the id of the element that shows it (without '#')
};

// unit is the warehouse's currency ("EUR"), or empty.
std::vector<Finding> key_findings(const ReportData &d, const std::string &unit = "");

// "2024-03-01" → "March 2024"; anything else unchanged.
std::string month_label(const std::string &iso_date);

// Seasonality strength in words: strong (≥ 0.6), moderate (≥ 0.3), weak.
std::string strength_word(double strength);

} // namespace dmine::report
