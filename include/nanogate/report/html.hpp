// nanogate — report.html: one self-contained page (no network access needed
// to view it) with what a project folder holds: the converted design's
// report.json (per-layer resources and adder depth, latency per stage,
// synthesis results), a precision profile (profile.json, `nanogate profile
// -o`) and trigger rates (rate.json, `nanogate rate -o`), each as tables, and
// plots given as base64 PNGs (made by the Python package's matplotlib code,
// python/nanogate/plots.py, when it is installed).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace nanogate::report {

/// What a report folder holds (null when the file is absent).
struct ReportInputs {
  nlohmann::ordered_json project;  ///< DIR/report.json
  nlohmann::ordered_json profile;  ///< DIR/profile.json
  nlohmann::ordered_json rate;     ///< DIR/rate.json
};

/// Reads DIR/report.json, DIR/profile.json and DIR/rate.json (each optional).
/// Throws nanogate::Error naming DIR when none exists, or the file that is
/// not valid JSON.
ReportInputs read_report_inputs(const std::string& dir);

/// The HTML page. `plots`: name → base64 PNG ("layers", "stages",
/// "profile", "rate", "efficiency"; missing ones are left out); `plots_note`:
/// a line shown instead when there are no plots (e.g. how to install them).
std::string render_html_report(const ReportInputs& in, const std::map<std::string, std::string>& plots,
                               const std::string& plots_note);

}  // namespace nanogate::report
