// nanogate CLI — one file per subcommand (cmd_*.cpp); main.cpp only dispatches.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "nanogate/config.hpp"
#include "nanogate/model.hpp"

namespace nanogate::cli {

/// A registered subcommand and the action that runs it (returns the exit code).
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

/// Loads MODEL (ONNX/QONNX or Keras, detected from the content) with the
/// optional configuration file CFG ("" = defaults) and, for a Keras JSON
/// architecture, its weights HDF5 WEIGHTS ("" = `<stem>_weights.h5` beside it).
Model load_model(const std::string& model, const std::string& config, const std::string& weights = "");

/// load_model, then the refusal of inexact layers (require_exact, passes.hpp):
/// throws nanogate::Error naming the first one unless `allow_inexact`;
/// `warnings` gets one line per allowed inexact or tabulated layer (print them
/// with print_warnings once the command succeeded, so that an error stays one line).
Model load_exact_model(const std::string& model, const std::string& config, const std::string& weights,
                       bool allow_inexact, std::vector<std::string>& warnings);
/// "nanogate: warning: ..." on stderr, one line each.
void print_warnings(const std::vector<std::string>& warnings);
/// The --allow-inexact flag of the commands that run or convert a model.
void add_exactness_option(CLI::App* sub, bool& allow_inexact);

/// The MODEL positional and --weights options every model-reading command has.
void add_model_options(CLI::App* sub, std::string& model, std::string& weights);

Command add_inspect(CLI::App& app);
Command add_emulate(CLI::App& app);
/// `nanogate synth DIR`: Yosys/nextpnr resource and timing report (cmd_synth.cpp).
Command add_synth(CLI::App& app);
/// `nanogate convert MODEL -o DIR --backend verilog`: RTL, harness, report (cmd_convert.cpp).
Command add_convert(CLI::App& app);
/// `nanogate verify DIR`: Verilator simulation vs the emulators, bit for bit (cmd_verify.cpp).
Command add_verify(CLI::App& app);

/// `nanogate csim DIR`: g++ C-simulation vs the emulator, bit for bit (cmd_csim.cpp).
Command add_csim(CLI::App& app);

}  // namespace nanogate::cli
