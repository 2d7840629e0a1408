// nanogate — the command line tool. Thin: parses arguments, calls the library.
//
//   nanogate inspect MODEL [--config CFG]
//   nanogate emulate MODEL --input IN --output OUT [--config CFG] [--float]
//                    [--raw] [--tensor NAME]...
//
// Every error is one line on stderr naming the file, the node and the reason,
// with exit status 1 (2 for bad command line usage).
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/inspect.hpp"
#include "nanogate/io/table.hpp"
#include "nanogate/model.hpp"

namespace {

nanogate::Model load(const std::string& model, const std::string& config) {
  nanogate::Config cfg;
  if (!config.empty()) cfg = nanogate::load_config(config);
  return nanogate::compile_model(model, cfg);
}

int cmd_inspect(const std::string& model, const std::string& config) {
  std::cout << nanogate::format_inspect(load(model, config));
  return 0;
}

int cmd_emulate(const std::string& model_path, const std::string& config, const std::string& in,
                const std::string& out, bool float_mode, bool raw, const std::vector<std::string>& tensors,
                bool force) {
  if (std::filesystem::exists(out) && !force)
    throw nanogate::Error(out, "output file exists; pass --force to overwrite it");
  nanogate::Model m = load(model_path, config);
  nanogate::Table x = nanogate::read_table(in);
  nanogate::Emulator emu(m, float_mode);
  if (x.cols != emu.input_size())
    throw nanogate::Error(in, "has " + std::to_string(x.cols) + " values per event but the model '" + model_path +
                                  "' takes " + std::to_string(emu.input_size()));
  if (raw && float_mode) throw nanogate::Error(out, "--raw needs fixed-point mode (drop --float)");
  auto t0 = std::chrono::steady_clock::now();
  nanogate::EmulatorResult r = emu.run(x.data.data(), x.rows, !tensors.empty(), tensors);
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nanogate::Table y;
  y.rows = r.rows;
  if (!tensors.empty()) {  // the named tensors, concatenated, instead of the graph outputs
    int64_t cols = 0;
    for (auto& name : tensors) {
      auto it = r.trace.find(name);
      if (it == r.trace.end()) throw nanogate::Error(model_path, "no tensor named '" + name + "' to output");
      cols += r.rows ? int64_t(it->second.size()) / r.rows : 0;
    }
    y.cols = cols;
    y.data.resize(size_t(y.rows * cols));
    int64_t c0 = 0;
    for (auto& name : tensors) {
      const auto& v = r.trace.at(name);
      int64_t c = r.rows ? int64_t(v.size()) / r.rows : 0;
      for (int64_t row = 0; row < r.rows; ++row)
        for (int64_t k = 0; k < c; ++k) y.data[row * cols + c0 + k] = v[row * c + k];
      c0 += c;
    }
  } else {
    y.cols = r.cols;
    if (raw) y.data.assign(r.raw.begin(), r.raw.end());
    else y.data = std::move(r.values);
  }
  nanogate::write_table(out, y);
  std::fprintf(stderr, "%lld events in %.3f s: %.0f events/s (%s, one thread)\n", (long long)x.rows, dt,
               dt > 0 ? double(x.rows) / dt : 0.0, float_mode ? "float" : "fixed-point");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nanogate: quantized neural networks to bit-exact FPGA firmware"};
  app.require_subcommand(1);
  std::string model, config, in, out;
  bool float_mode = false, raw = false, force = false;
  std::vector<std::string> tensors;

  auto* inspect = app.add_subcommand("inspect", "one row per layer: shapes, types, parameters, zero weights");
  inspect->add_option("MODEL", model, "ONNX / QONNX model file")->required();
  inspect->add_option("--config,-c", config, "precision configuration (.json/.yaml)");

  auto* emulate = app.add_subcommand("emulate", "bit-exact fixed-point emulation of a batch of events");
  emulate->add_option("MODEL", model, "ONNX / QONNX model file")->required();
  emulate->add_option("--input,-i", in, "input events (.npy or .csv, one event per row, flattened)")->required();
  emulate->add_option("--output,-o", out, "output file (.npy or .csv)")->required();
  emulate->add_option("--config,-c", config, "precision configuration (.json/.yaml)");
  emulate->add_flag("--float", float_mode, "evaluate the float model (no fixed-point casts)");
  emulate->add_flag("--raw", raw, "write raw integer codes instead of real values");
  emulate->add_option("--tensor,-t", tensors, "write these tensors instead of the outputs (repeatable)");
  emulate->add_flag("--force,-f", force, "overwrite the output file if it exists");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (*inspect) return cmd_inspect(model, config);
    if (*emulate) return cmd_emulate(model, config, in, out, float_mode, raw, tensors, force);
  } catch (const nanogate::Error& e) {
    std::fprintf(stderr, "nanogate: error: %s\n", e.what());
    return 1;
  } catch (const nanogate::IoError& e) {
    std::fprintf(stderr, "nanogate: error: %s\n", e.what());
    return 1;
  } catch (const nanogate::FixedTypeError& e) {
    std::fprintf(stderr, "nanogate: error: %s: %s\n", model.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nanogate: internal error: %s: %s\n", model.c_str(), e.what());
    return 1;
  }
  return 0;
}
