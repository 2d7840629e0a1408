// nanogate CLI — one file per subcommand (cmd_*.cpp); main.cpp only dispatches.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/io/table.hpp"
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

/// Refuses to write `out` when it exists (unless `force`) and, with or
/// without `force`, when it is one of `sources` (path, "input"/"model"/...):
/// throws nanogate::Error naming `out` (cli_io.cpp). An empty `out` passes.
void check_output_file(const std::string& out, const std::vector<std::pair<const std::string*, const char*>>& sources,
                       bool force);

/// read_table(path), checked against the emulator's input size and, when
/// `need_events`, for at least one event: throws nanogate::Error naming
/// `path` (cli_io.cpp).
Table read_events(const std::string& path, const Emulator& emu, const std::string& model, bool need_events = true);

/// Writes `text` to `path`; throws nanogate::Error naming it when that fails (cli_io.cpp).
void write_text(const std::string& path, const std::string& text);

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

/// `nanogate profile MODEL --input EVENTS`: per-tensor ranges, overflows, suggested types (cmd_profile.cpp).
Command add_profile(CLI::App& app);
/// `nanogate rate MODEL --background BG`: trigger thresholds, rates and efficiencies (cmd_rate.cpp).
Command add_rate(CLI::App& app);
/// `nanogate report DIR`: a self-contained report.html with plots (cmd_report.cpp).
Command add_report(CLI::App& app);

}  // namespace nanogate::cli
