// nanogate HLS backend — the C-simulation runner: g++ against Xilinx's
// ap_types headers found on the machine (never copied into a project).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "nanogate/backend/hls.hpp"
#include "nanogate/error.hpp"
#include "nanogate/io/output_folder.hpp"
#include "nanogate/report/process.hpp"

namespace nanogate {

namespace {

namespace fs = std::filesystem;

/// <root>/.venv/lib/python3.*/site-packages/hls4ml/templates/vivado/ap_types, if any.
std::string venv_ap_types(const fs::path& root) {
  std::error_code ec;
  fs::path lib = root / ".venv" / "lib";
  if (!fs::is_directory(lib, ec)) return "";
  for (auto& e : fs::directory_iterator(lib, ec)) {
    fs::path p = e.path() / "site-packages" / "hls4ml" / "templates" / "vivado" / "ap_types";
    if (fs::exists(p / "ap_fixed.h", ec)) return p.string();
  }
  return "";
}

std::string search_up(fs::path from) {
  std::error_code ec;
  for (int k = 0; k < 12 && !from.empty(); ++k) {
    if (auto s = venv_ap_types(from); !s.empty()) return s;
    if (from == from.parent_path()) break;
    from = from.parent_path();
  }
  return "";
}

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// The first compiler line mentioning "error", else the log's first line.
std::string first_error(const std::string& log) {
  std::istringstream in(log);
  std::string line, first;
  while (std::getline(in, line)) {
    if (first.empty()) first = line;
    if (line.find("error") != std::string::npos) return line;
  }
  return first;
}

}  // namespace

std::string find_ap_types() {
  if (const char* env = std::getenv("NANOGATE_AP_TYPES"); env && *env) {
    std::error_code ec;
    if (fs::exists(fs::path(env) / "ap_fixed.h", ec)) return env;
  }
  std::error_code ec;
  if (auto s = search_up(fs::current_path(ec)); !s.empty()) return s;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec)
    if (auto s = search_up(exe.parent_path()); !s.empty()) return s;
  return "";
}

CsimResult run_csim(const std::string& dir, const std::vector<int64_t>& raw_inputs, int64_t rows,
                    const CsimOptions& opt) {
  fs::path d(dir);
  fs::path meta = d / "nanogate_project.json";
  if (!fs::exists(meta)) throw Error(meta.string(), "not a nanogate HLS project (no nanogate_project.json)");
  ProjectUpdate written(dir, "csim");  // build/ (the compiled test bench, its logs): into the manifest at return
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(meta));
  } catch (const std::exception& e) {
    throw Error(meta.string(), std::string("unreadable project description: ") + e.what());
  }
  std::string top = j.at("top").get<std::string>();
  int64_t n_in = 0, n_out = 0;
  for (auto& p : j.at("inputs")) n_in += p.at("size").get<int64_t>();
  for (auto& p : j.at("outputs")) n_out += p.at("size").get<int64_t>();
  if (int64_t(raw_inputs.size()) != rows * n_in)
    throw Error(dir, "csim input has " + std::to_string(raw_inputs.size()) + " codes, expected " +
                         std::to_string(rows) + " events x " + std::to_string(n_in));
  std::string ap = opt.ap_types.empty() ? find_ap_types() : opt.ap_types;
  if (ap.empty() || !fs::exists(fs::path(ap) / "ap_fixed.h"))
    throw Error(dir, "Xilinx ap_types headers not found (ap_fixed.h): pass --ap-types DIR, set NANOGATE_AP_TYPES, "
                     "or install hls4ml in .venv (pip install hls4ml)");

  CsimResult res;
  fs::path build = d / "build";
  fs::create_directories(build);
  fs::path bin = build / "csim";
  std::vector<fs::path> sources = {d / "firmware" / (top + ".cpp"), d / (top + "_test.cpp")};
  bool stale = opt.rebuild || !fs::exists(bin);
  if (!stale) {
    auto tb = fs::last_write_time(bin);
    for (auto& e : fs::recursive_directory_iterator(d / "firmware"))
      if (e.is_regular_file() && e.last_write_time() > tb) stale = true;
    if (fs::last_write_time(sources[1]) > tb) stale = true;
  }
  if (stale) {
    auto t0 = std::chrono::steady_clock::now();
    fs::path log = build / "csim_build.log";
    // Two translation units compiled in parallel, then linked. -w: the
    // ap_types headers warn under optimisation; the generated files are
    // checked with -Wall -Wextra separately (-fsyntax-only).
    std::string common = opt.cxx + " -std=c++17 " + opt.opt + " -w -I" + quote((d / "firmware").string()) + " -isystem " + quote(ap);
    std::string cmd = "( " + common + " -c " + quote(sources[0].string()) + " -o " + quote((build / "firmware.o").string()) +
                      " & " + common + " -c " + quote(sources[1].string()) + " -o " + quote((build / "tb.o").string()) +
                      " & wait ) > " + quote(log.string()) + " 2>&1 && " + opt.cxx + " " +
                      quote((build / "firmware.o").string()) + " " + quote((build / "tb.o").string()) + " -o " +
                      quote(bin.string()) + " >> " + quote(log.string()) + " 2>&1";
    fs::remove(bin);
    int rc = report::run_shell(cmd, "csim: g++ build");
    if (rc != 0 || !fs::exists(bin))
      throw Error(dir, "csim build failed (" + log.string() + "): " + first_error(read_text(log)));
    res.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  fs::path in = build / ("csim_in_" + std::to_string(::getpid()) + ".txt");
  fs::path out = build / ("csim_out_" + std::to_string(::getpid()) + ".txt");
  {
    std::ofstream f(in);
    std::string line;
    for (int64_t r = 0; r < rows; ++r) {
      line.clear();
      for (int64_t c = 0; c < n_in; ++c) {
        if (c) line += ' ';
        line += std::to_string(raw_inputs[size_t(r * n_in + c)]);
      }
      f << line << '\n';
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  fs::path log = build / "csim_run.log";
  std::string cmd = quote(bin.string()) + " " + quote(in.string()) + " " + quote(out.string()) + " > " +
                    quote(log.string()) + " 2>&1";
  int rc = report::run_shell(cmd, "csim: testbench", out.string(), rows, "vectors");
  res.run_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (rc != 0) throw Error(dir, "csim testbench failed: " + first_error(read_text(log)));
  std::ifstream f(out);
  res.rows = rows;
  res.cols = n_out;
  res.raw.reserve(size_t(rows * n_out));
  long long v;
  while (f >> v) res.raw.push_back(v);
  if (int64_t(res.raw.size()) != rows * n_out)
    throw Error(out.string(), "csim wrote " + std::to_string(res.raw.size()) + " codes, expected " +
                                  std::to_string(rows * n_out));
  std::error_code ec;
  fs::remove(in, ec);
  fs::remove(out, ec);
  return res;
}

}  // namespace nanogate
