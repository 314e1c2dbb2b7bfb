#include "chart_common.hpp"

#include <cmath>

#include "format.hpp"

namespace dmine::report {

using nlohmann::json;

// A palette that reads well on white and for the common colour-vision deficiencies.
const std::vector<std::string> kPalette = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
const char *const kAccent = "#4e79a7";
const char *const kAlert = "#e15759";

json base_option() {
    return json{
        {"animationDuration", 400},
        {"color", kPalette},
        {"textStyle", {{"fontFamily", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"}}},
        {"grid",
         {{"left", 56}, {"right", 24}, {"top", 48}, {"bottom", 48}, {"containLabel", true}}},
        {"tooltip", {{"trigger", "axis"}, {"confine", true}}},
        {"toolbox",
         {{"right", 8}, {"top", 2}, {"feature", {{"saveAsImage", {{"title", "Save as PNG"}}}}}}}};
}

void add_zoom(json &opt, bool slider, const json &x_index) {
    json zoom = json::array({{{"type", "inside"}, {"xAxisIndex", x_index}}});
    if (slider) {
        zoom.push_back(
            {{"type", "slider"}, {"xAxisIndex", x_index}, {"height", 18}, {"bottom", 6}});
        opt["grid"]["bottom"] = 56;
    }
    opt["dataZoom"] = zoom;
    opt["toolbox"]["feature"]["dataZoom"] = {{"title", {{"zoom", "Zoom"}, {"back", "Undo zoom"}}}};
    opt["toolbox"]["feature"]["restore"] = {{"title", "Reset"}};
}

double round_to(double v, int decimals) {
    double p = std::pow(10.0, decimals);
    return std::round(v * p) / p;
}

// Round to n significant digits.
double significant(double v, int n) {
    if (!std::isfinite(v) || v == 0) return v;
    int mag = static_cast<int>(std::floor(std::log10(std::fabs(v))));
    return round_to(v, std::max(0, n - 1 - mag));
}

// Round a number for chart data to a sensible number of significant digits.
double tidy(double v) {
    if (!std::isfinite(v) || v == 0) return v;
    int mag = static_cast<int>(std::floor(std::log10(std::fabs(v))));
    return round_to(v, std::max(0, 5 - mag));
}

json opt_num(const std::optional<double> &v) {
    return v && std::isfinite(*v) ? json(tidy(*v)) : json(nullptr);
}

std::string truncate(const std::string &s, size_t n) {
    if (s.size() <= n) return s;
    size_t cut = n;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut; // UTF-8 boundary
    return s.substr(0, cut) + "…";
}

json ChartSet::add(const std::string &id, const std::string &title, json option, int height,
                   const std::string &note, bool wide) {
    options[id] = std::move(option);
    return json{{"id", id}, {"title", title}, {"height", height}, {"note", note}, {"wide", wide}};
}

json section_view(const SectionStatus *st) {
    json v;
    v["key"] = st ? st->key : "";
    v["title"] = st ? st->title : "";
    SectionState s = st ? st->state : SectionState::unavailable;
    v["state"] = to_string(s);
    v["missing"] = s != SectionState::ok;
    v["message"] = st ? st->message : "";
    v["error"] = st ? st->error : "";
    v["has_error"] = st && !st->error.empty();
    const char *headline = "";
    const char *alert = "info";
    switch (s) {
    case SectionState::ok:
        break;
    case SectionState::failed:
        headline = "This section is incomplete:";
        alert = "bad";
        break;
    case SectionState::running:
        headline = "Not finished:";
        alert = "warn";
        break;
    case SectionState::skipped:
        headline = "Skipped:";
        break;
    case SectionState::empty:
        headline = "No results:";
        break;
    case SectionState::unavailable:
        headline = "Missing:";
        alert = "warn";
        break;
    }
    v["headline"] = headline;
    v["alert_class"] = alert;
    return v;
}

json fact(const std::string &label, const std::string &value, const std::string &detail) {
    return json{{"label", label}, {"value", value}, {"detail", detail}};
}

} // namespace dmine::report
