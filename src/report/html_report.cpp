// nanogate — report.html from a project folder's JSON files (report/html.hpp).
#include "nanogate/report/html.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "nanogate/error.hpp"

namespace nanogate::report {

namespace {

using ojson = nlohmann::ordered_json;

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

/// A JSON scalar as table text.
std::string cell(const ojson& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return esc(v.get<std::string>());
  if (v.is_number_float()) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v.get<double>());
    return b;
  }
  return esc(v.dump());
}

/// An HTML table of the `keys` of each object in `rows`.
std::string table(const ojson& rows, const std::vector<std::string>& keys) {
  std::string s = "<table><tr>";
  for (auto& k : keys) s += "<th>" + esc(k) + "</th>";
  s += "</tr>\n";
  for (auto& r : rows) {
    s += "<tr>";
    for (auto& k : keys) s += "<td>" + (r.contains(k) ? cell(r[k]) : std::string("-")) + "</td>";
    s += "</tr>\n";
  }
  return s + "</table>\n";
}

std::string img(const std::map<std::string, std::string>& plots, const std::string& name, const std::string& alt) {
  auto it = plots.find(name);
  if (it == plots.end()) return "";
  return "<p><img alt=\"" + esc(alt) + "\" src=\"data:image/png;base64," + it->second + "\"></p>\n";
}

ojson read_json(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return nullptr;
  std::stringstream ss;
  ss << f.rdbuf();
  try {
    return ojson::parse(ss.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(p.string(), std::string("not valid JSON: ") + e.what());
  }
}

std::string project_section(const ojson& j, const std::map<std::string, std::string>& plots) {
  std::string s = "<h2>Design and resources</h2>\n";
  s += "<p>top <code>" + cell(j.value("top", ojson())) + "</code>, backend " + cell(j.value("backend", ojson()));
  if (j.contains("latency")) {
    const ojson& l = j["latency"];
    s += ", latency " + cell(l.value("cycles", ojson())) + " cycles = " + cell(l.value("ns", ojson())) +
         " ns at " + cell(l.value("clock_period_ns", ojson())) + " ns";
  }
  s += "</p>\n";
  if (j.contains("layers")) {
    s += "<h3>Per layer</h3>\n" + img(plots, "layers", "estimated LUTs per layer");
    s += table(j["layers"], {"name", "values", "adders", "adder_bits", "luts_est", "depth"});
    if (j.contains("totals")) s += "<p>totals: " + esc(j["totals"].dump()) + "</p>\n";
  }
  if (j.contains("latency") && j["latency"].contains("stage_delay_ns")) {
    s += "<h3>Per pipeline stage</h3>\n" + img(plots, "stages", "delay per pipeline stage");
    ojson rows = ojson::array();
    int k = 0;
    for (auto& d : j["latency"]["stage_delay_ns"]) rows.push_back({{"stage", k++}, {"delay_ns", d}});
    s += table(rows, {"stage", "delay_ns"});
  }
  s += "<h2>Synthesis</h2>\n";
  if (j.contains("synth") && j["synth"].is_object() && !j["synth"].empty()) {
    ojson rows = ojson::array();
    for (auto& [fam, e] : j["synth"].items()) {
      ojson r = ojson::object();
      r["family"] = fam;
      for (auto& [k, v] : e.items())
        if (!v.is_object() && !v.is_array()) r[k] = v;
      rows.push_back(r);
    }
    std::vector<std::string> keys;
    for (auto& [k, v] : rows[0].items()) keys.push_back(k);
    s += table(rows, keys);
  } else {
    s += "<p>not run (<code>nanogate synth DIR</code> adds it).</p>\n";
  }
  s += "<h2>Verification</h2>\n<p><code>nanogate verify DIR</code> (Verilator) and <code>nanogate csim DIR</code> "
       "(HLS) compare every output bit with the emulators; they print their result and do not store it here.</p>\n";
  return s;
}

std::string profile_section(const ojson& j, const std::map<std::string, std::string>& plots) {
  std::string s = "<h2>Precision profile</h2>\n";
  s += "<p>" + cell(j.value("model", ojson())) + ": " + cell(j.value("events", ojson())) + " events, total overflows " +
       cell(j.value("total_overflows", ojson())) + "</p>\n";
  s += img(plots, "profile", "observed range against each type's range");
  ojson rows = ojson::array();
  for (auto& t : j["tensors"]) {
    ojson r = t;
    r["observed"] = "[" + cell(t["observed"]["min"]) + ", " + cell(t["observed"]["max"]) + "]";
    r["range"] = "[" + cell(t["range"][0]) + ", " + cell(t["range"][1]) + "]";
    rows.push_back(r);
  }
  s += table(rows, {"tensor", "op", "type", "observed", "range", "overflows", "rounded", "clipped", "unused_int_bits",
                    "unused_frac_bits", "suggested", "suggested_accum"});
  if (j.contains("effect")) s += "<p>effect of the suggestion: " + esc(j["effect"].dump()) + "</p>\n";
  return s;
}

std::string rate_section(const ojson& j, const std::map<std::string, std::string>& plots) {
  std::string s = "<h2>Trigger rate</h2>\n";
  const ojson& t = j["threshold"];
  s += "<p>score <code>" + cell(j["score"]["tensor"]) + "</code> (" + cell(j["score"]["type"]) + "), " +
       cell(j["background_events"]) + " background events at " + cell(j["bx_rate_mhz"]) +
       " MHz: fires when score code &gt; " + cell(t["threshold_code"]) + " (value " + cell(t["threshold_value"]) +
       ", bits <code>" + cell(t["threshold_bits"]) + "</code>), rate " + cell(t["rate_khz"]) + " &plusmn; " +
       cell(t["rate_err_khz"]) + " kHz</p>\n";
  s += table(t["signals"], {"name", "pass", "events", "efficiency", "efficiency_err"});
  s += img(plots, "rate", "rate against threshold") + img(plots, "efficiency", "signal efficiency against rate");
  return s;
}

}  // namespace

ReportInputs read_report_inputs(const std::string& dir) {
  namespace fs = std::filesystem;
  ReportInputs in;
  in.project = read_json(fs::path(dir) / "report.json");
  in.profile = read_json(fs::path(dir) / "profile.json");
  in.rate = read_json(fs::path(dir) / "rate.json");
  if (in.project.is_null() && in.profile.is_null() && in.rate.is_null())
    throw Error(dir, "holds none of report.json (nanogate convert), profile.json (nanogate profile -o) and rate.json "
                     "(nanogate rate -o)");
  return in;
}

std::string render_html_report(const ReportInputs& in, const std::map<std::string, std::string>& plots,
                               const std::string& plots_note) {
  std::string s =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>nanogate report</title>\n<style>"
      "body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:0.85em}"
      "td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}th{background:#eee}img{max-width:100%}"
      "</style></head><body>\n<h1>nanogate report</h1>\n";
  if (plots.empty() && !plots_note.empty()) s += "<p class=\"note\">" + esc(plots_note) + "</p>\n";
  if (!in.project.is_null()) s += project_section(in.project, plots);
  if (!in.profile.is_null()) s += profile_section(in.profile, plots);
  if (!in.rate.is_null()) s += rate_section(in.rate, plots);
  return s + "</body></html>\n";
}

}  // namespace nanogate::report
