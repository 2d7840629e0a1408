// report.json read-modify-write for synthesis results (nanogate/report/synth.hpp).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nanogate/error.hpp"
#include "nanogate/io/output_folder.hpp"
#include "nanogate/report/synth.hpp"

namespace fs = std::filesystem;

namespace nanogate::report {

void merge_synth_report(const std::string& report_path, Family f, const nlohmann::ordered_json& entry) {
  ProjectUpdate written(fs::path(report_path).parent_path().string(), "synth");  // the manifest's hash of report.json
  std::ifstream in(report_path, std::ios::binary);
  if (!in) throw Error(report_path, "cannot read the report");
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::ordered_json j;  // ordered: the other keys keep their place
  try {
    j = nlohmann::ordered_json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    throw Error(report_path, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw Error(report_path, "is not a JSON object");
  if (!j.contains("synth") || !j["synth"].is_object()) j["synth"] = nlohmann::ordered_json::object();
  j["synth"][family_name(f)] = entry;

  // Atomic replace: a temporary file beside the report, then rename(2).
  fs::path target(report_path);
  fs::path tmp = target;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << j.dump(2) << "\n";
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw Error(report_path, "cannot write " + tmp.string());
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(report_path, "cannot replace the report: " + ec.message());
  }
  written.record();
}

}  // namespace nanogate::report
