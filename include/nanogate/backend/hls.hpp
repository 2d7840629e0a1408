// nanogate — the Vitis HLS C++ backend.
//
// write_hls_project() turns a typed layer graph (Model::graph) into a
// self-contained Vitis HLS project, generated from the IR (one C++ function
// per layer, built statement by statement by per-op emitters):
//
//   DIR/firmware/<top>.cpp, <top>.h   the top function (io_parallel: arrays at
//                                     the firmware ports; io_stream: hls::stream
//                                     ports of pixel tokens and a DATAFLOW of
//                                     processes, src/backend/hls/stream_plan.hpp)
//                                     and one function per layer
//   DIR/firmware/defines.h            one ap_fixed/ap_ufixed typedef per tensor and layer role
//   DIR/firmware/weights/<layer>.h    constant weights, biases, thresholds, tables
//   DIR/<top>_test.cpp                testbench: reads raw input codes, writes raw output codes
//   DIR/tb_data/                      where the testbench reads and writes by default
//   DIR/build_prj.tcl                 vitis_hls 2023.1+: csim / synth / cosim / export flags
//   DIR/nanogate_project.json         what was generated from (model, config, options)
//
// Layer semantics are those of the layer emulator (emulate/emulator.hpp), bit
// for bit; the generated C++ spells every cast with the configured ap_fixed
// rounding and overflow modes. Strategies (per Dense layer, Node::strategy or
// HlsOptions::strategy):
//   Latency   fully unrolled, II = 1.
//   Resource  the n_in*n_out multiplies are time-shared ReuseFactor (R) ways:
//             R rounds of n_in*n_out/R multiplies (II = R). R must be one of
//             valid_reuse_factors(n_in, n_out) (hls4ml's rule); anything else
//             is an error listing the valid values.
//   DA        the CMVM adder graph (src/cmvm) as shift-and-add C++ on raw codes,
//             when products and bias land exactly in a wrapping accumulator
//             (then the exact sum wrapped once equals hls4ml's per-product
//             accumulation); other Dense layers keep the per-product casts and
//             a note says so (HlsProject::notes).
// Sigmoid is a table over every input code computed by nanogate at generation
// time (input width <= 12 bits), else, like Softmax, the function computed in
// double in C++ and cast (marked in the code; csim-exact, not a synthesis
// architecture). InputQuant (host-side float preprocessing) is not part of the
// firmware: the top function's inputs are Emulator::firmware_inputs().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nanogate/model.hpp"

namespace nanogate {

/// Options of write_hls_project.
struct HlsOptions {
  std::string top = "myproject";          ///< top function / project name (a C identifier)
  std::string part = "xcvu13p-flga2577-2-e";  ///< FPGA part for build_prj.tcl
  double clock_period_ns = 5.0;            ///< clock period for build_prj.tcl
  std::string io_type = "io_parallel";     ///< "io_parallel" or "io_stream"
  std::optional<std::string> strategy;     ///< overrides every layer's Strategy (Latency|Resource|DA)
  std::optional<int> reuse_factor;         ///< overrides every layer's ReuseFactor
  int da_dc = 2;                           ///< DA: CMVM delay constraint (see cmvm::CmvmOptions::dc)
  std::string model_path;                  ///< recorded in nanogate_project.json (for csim)
  std::string config_path;                 ///< recorded in nanogate_project.json (for csim)
  std::string weights_path;                ///< Keras JSON weights, recorded likewise ("" = beside the model)
  bool force = false;                      ///< write into a non-empty folder, replacing its manifest's files
};

/// What write_hls_project produced.
struct HlsProject {
  std::string dir;
  std::vector<std::string> files;  ///< written files, relative to dir
  std::vector<std::string> notes;  ///< one line per deliberate deviation (e.g. a DA layer kept as multiplies)
  int ii = 1;                      ///< initiation interval of the top function
};

/// Generates the Vitis HLS project for model.graph into `dir` (created; files
/// it writes are overwritten). Throws nanogate::Error naming the model file,
/// the layer and the reason for: an op without an HLS emitter, an invalid
/// ReuseFactor (the message lists the valid values), an unknown strategy or
/// io type, a top name that is not a C identifier or is reserved, or (io_stream)
/// a tensor of more than 2^24 tokens.
HlsProject write_hls_project(const Model& model, const HlsOptions& options, const std::string& dir);

/// Reuse factors valid for a Dense layer with n_in inputs and n_out outputs
/// (hls4ml's rule: R divides n_in*n_out, and R < n_in or R is a multiple of
/// n_in, and n_in*n_out/min(n_in,R) is a multiple of n_out or R >= n_in).
std::vector<int> valid_reuse_factors(int64_t n_in, int64_t n_out);

/// Options of run_csim.
struct CsimOptions {
  std::string ap_types;        ///< folder with ap_fixed.h ("" = find_ap_types())
  std::string cxx = "g++";     ///< compiler
  std::string opt = "-O1";     ///< optimisation flag (-O0 halves the build of large DA adder graphs)
  bool rebuild = false;        ///< rebuild even when the binary is newer than the sources
};

/// Result of run_csim: raw output codes, rows × cols, plus timing.
struct CsimResult {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> raw;
  double build_seconds = 0;    ///< 0 when the cached binary was reused
  double run_seconds = 0;
};

/// Finds Xilinx's ap_types headers: $NANOGATE_AP_TYPES, else the hls4ml
/// package of a .venv in the current directory or any parent (or beside the
/// nanogate source tree), else "" (nothing found). Never copies them.
std::string find_ap_types();

/// Compiles the project in `dir` with g++ against the ap_types headers
/// (into DIR/build/csim) and runs its testbench on `raw_inputs` (rows × Σ port
/// sizes raw codes at the firmware ports, the layout of Emulator::run_firmware).
/// Throws nanogate::Error when the headers are not found, the build fails
/// (the message quotes the compiler's first error) or the testbench fails.
CsimResult run_csim(const std::string& dir, const std::vector<int64_t>& raw_inputs, int64_t rows,
                    const CsimOptions& options = {});

}  // namespace nanogate
