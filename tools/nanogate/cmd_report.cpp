// nanogate report DIR [--python PY]: DIR/report.html from DIR's report.json,
// profile.json and rate.json, with plots when the Python package and
// matplotlib are importable by PY (NANOGATE_PYTHON, else python3).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "commands.hpp"
#include "nanogate/error.hpp"
#include "nanogate/io/output_folder.hpp"
#include "nanogate/report/html.hpp"
#include "nanogate/report/process.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string dir, python;
};

/// The plots from `python -m nanogate.plots`, or {} and a note saying why not.
std::map<std::string, std::string> make_plots(const Opts& o, std::string& note) {
  namespace fs = std::filesystem;
  std::string py = !o.python.empty() ? o.python : std::getenv("NANOGATE_PYTHON") ? std::getenv("NANOGATE_PYTHON") : "python3";
  const std::string how = "install them with `pip install matplotlib` and nanogate's Python package (`pip install .`) "
                          "for " + py + ", or point NANOGATE_PYTHON at a Python that has both";
  if (report::find_program(py).empty()) {
    note = "no plots: " + py + " not found; " + how;
    return {};
  }
  fs::path out = fs::path(o.dir) / ".plots.json", log = fs::path(o.dir) / ".plots.log";
  std::error_code ec;
  fs::remove(out, ec);
  fs::remove(log, ec);
  report::ProcessOptions po;
  po.log_path = log.string();
  po.timeout_s = 300;
  auto r = report::run_process({py, "-m", "nanogate.plots", o.dir, out.string()}, po);
  std::map<std::string, std::string> plots;
  std::ifstream f(out);
  if (r.ok() && f) {
    std::stringstream ss;
    ss << f.rdbuf();
    const nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_object())
      for (auto& [k, v] : j.items())
        if (v.is_string()) plots[k] = v.get<std::string>();
    fs::remove(log, ec);
  } else {
    note = "no plots: " + py + " -m nanogate.plots failed (" + log.string() + "); " + how;
  }
  fs::remove(out, ec);
  return plots;
}

int run(const Opts& o) {
  report::ReportInputs in = report::read_report_inputs(o.dir);
  ProjectUpdate written(o.dir, "report");  // report.html: into a converted folder's manifest
  std::string note;
  auto plots = make_plots(o, note);
  std::string path = (std::filesystem::path(o.dir) / "report.html").string();
  write_text(path, report::render_html_report(in, plots, note));
  if (!note.empty()) std::fprintf(stderr, "nanogate: note: %s\n", note.c_str());
  std::printf("%s: %zu plots\n", path.c_str(), plots.size());
  written.record();
  return 0;
}
}  // namespace

Command add_report(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("report", "report.html (self-contained) from a folder's report/profile/rate JSON");
  sub->add_option("dir", o->dir, "folder with report.json (convert), profile.json (profile -o), rate.json (rate -o)")
      ->required();
  sub->add_option("--python", o->python, "Python that has matplotlib and nanogate (default: $NANOGATE_PYTHON, python3)");
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
