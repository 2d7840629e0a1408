// nanogate csim DIR [--input IN] [--ap-types DIR] [--events N] [--seed S] [--rebuild]
//
// Compiles the HLS project DIR with g++ against Xilinx's ap_types headers and
// compares its outputs bit for bit with the emulator on the same firmware
// input codes: IN (model inputs, as `emulate` reads them; preprocessed
// host-side like the emulator does) or N random codes over the full port ranges.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nanogate/backend/hls.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/emulate/test_vectors.hpp"
#include "nanogate/error.hpp"
#include "nanogate/io/table.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string dir, input, ap_types;
  int64_t events = 2000;
  uint64_t seed = 1;
  bool rebuild = false;
  std::string opt = "-O1";
};

int run(const Opts& o) {
  namespace fs = std::filesystem;
  fs::path meta = fs::path(o.dir) / "nanogate_project.json";
  std::ifstream f(meta);
  if (!f) throw Error(meta.string(), "not a nanogate HLS project (no nanogate_project.json)");
  nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded()) throw Error(meta.string(), "unreadable project description");
  std::string model_path = j.value("model", ""), config_path = j.value("config", "");
  Model m = load_model(model_path, config_path, j.value("weights", ""));
  Emulator emu(m);
  auto ports = emu.firmware_inputs();
  int64_t n_in = 0;
  for (auto& p : ports) n_in += p.size;
  std::vector<int64_t> raw;
  int64_t rows = 0;
  if (!o.input.empty()) {
    Table x = read_table(o.input);
    if (x.cols != emu.input_size())
      throw Error(o.input, "has " + std::to_string(x.cols) + " values per event but the model '" + model_path +
                               "' takes " + std::to_string(emu.input_size()));
    std::vector<std::string> names;
    for (auto& p : ports) names.push_back(p.tensor);
    EmulatorResult t = emu.run(x.data.data(), x.rows, true, names);
    rows = x.rows;
    raw.resize(size_t(rows * n_in));
    int64_t col = 0;
    for (auto& p : ports) {
      const auto& v = t.trace_raw.at(p.tensor);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < p.size; ++i) raw[size_t(r * n_in + col + i)] = v[size_t(r * p.size + i)];
      col += p.size;
    }
  } else {
    rows = o.events;
    raw = firmware_test_vectors(element_types(ports), rows, o.seed, false);
  }
  CsimOptions co;
  co.ap_types = o.ap_types;
  co.rebuild = o.rebuild;
  co.opt = o.opt;
  CsimResult c = run_csim(o.dir, raw, rows, co);
  EmulatorResult e = emu.run_firmware(raw.data(), rows);
  int64_t bad = 0, first = -1;
  for (size_t k = 0; k < e.raw.size(); ++k)
    if (e.raw[k] != c.raw[k]) {
      if (first < 0) first = int64_t(k);
      ++bad;
    }
  if (bad) {
    int64_t r = first / e.cols, col = first % e.cols;
    throw Error(o.dir, "csim differs from the emulator in " + std::to_string(bad) + " of " +
                           std::to_string(e.raw.size()) + " output codes; first: event " + std::to_string(r) +
                           ", output " + std::to_string(col) + ": csim " + std::to_string(c.raw[size_t(first)]) +
                           ", emulator " + std::to_string(e.raw[size_t(first)]));
  }
  std::printf("csim: %lld events x %lld outputs bit-exact with the emulator (build %.2f s%s, run %.3f s)\n",
              (long long)rows, (long long)e.cols, c.build_seconds, c.build_seconds == 0 ? ", cached" : "",
              c.run_seconds);
  return 0;
}
}  // namespace

Command add_csim(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("csim", "compile an HLS project with g++ and compare it bit for bit with the emulator");
  sub->add_option("DIR", o->dir, "project directory (written by convert --backend vitis)")->required();
  sub->add_option("--input,-i", o->input, "model inputs (.npy/.csv, as for emulate); default: random port codes");
  sub->add_option("--ap-types", o->ap_types, "folder with Xilinx ap_fixed.h (default: $NANOGATE_AP_TYPES, or hls4ml in .venv)");
  sub->add_option("--events,-n", o->events, "number of random events without --input")->capture_default_str()->check(CLI::PositiveNumber);
  sub->add_option("--seed", o->seed, "random seed")->capture_default_str();
  sub->add_option("--opt", o->opt, "g++ optimisation flag for the build")->capture_default_str()
      ->check(CLI::IsMember({"-O0", "-O1", "-O2", "-O3"}));
  sub->add_flag("--rebuild", o->rebuild, "rebuild even if the binary is up to date");
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
