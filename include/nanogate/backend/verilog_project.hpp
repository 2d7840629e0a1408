// nanogate — an RTL output folder: what `nanogate convert --backend verilog`
// (or `--backend vhdl`) writes and what `nanogate verify` checks. Both
// languages are printed from one pipelined netlist by one printer, so the
// folder's report.json is the same but for the file names and "backend".
//
// Folder layout (all names relative to DIR):
//   Verilog:
//   <top>.v             the RTL (verilog.hpp)
//   tb_<top>.cpp        the Verilator testbench, build_sim.sh its build script
//   synth_<family>.ys   a Yosys script for the chosen family (report/synth.hpp)
//   VHDL (vhdl.hpp):
//   <top>_pkg.vhd, <top>.vhd   the package (I/O types) and the entity
//   tb_<top>.vhd, sim_ghdl.sh  the GHDL testbench and its script
//   Both:
//   <top>_packed.v|.vhd or <top>_axis.v|.vhd   the integration wrapper (options.wrapper)
//   tb/                 the cocotb testbench (of the wrapper when there is one) (src/backend/rtl/cocotb.hpp):
//                       test_<top>.py, run.py (`python DIR/tb/run.py`: Icarus
//                       Verilog or GHDL), vectors_in.txt / vectors_out.txt
//                       (firmware_test_vectors and the layer emulator's codes)
//   model/              copies of the model file and the configuration
//   report.json         "generator": "nanogate", "backend" ("verilog" | "vhdl"),
//                       top, verilog (or vhdl and package), options, latency
//                       (cycles, ns), port bit layouts, per-layer adders /
//                       estimated LUTs / adder depth, totals; "wrapper" (null
//                       or its top, file and packed field layout) and
//                       "cocotb" (test, run, simulator, vectors)
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nanogate/backend/pipeline.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// The language of an RTL folder.
enum class Hdl { Verilog, Vhdl };

/// "verilog" or "vhdl" (the report's "backend").
const char* to_string(Hdl h);

/// The integration wrapper around the design (src/backend/rtl/wrapper.hpp):
/// none, plain valid/data ports, or AXI-Stream-like ports.
enum class Wrapper { None, Packed, Axis };

/// Options of convert_to_verilog.
struct VerilogProjectOptions {
  Hdl hdl = Hdl::Verilog;        ///< the language written (the circuit is the same)
  std::string model_path;        ///< the model file (copied into DIR/model/)
  std::string config_path;       ///< precision configuration ("" = none; copied)
  std::string weights_path;      ///< weights HDF5 of a Keras JSON model ("" = beside it; copied)
  double clock_period_ns = 5.0;  ///< pipelining target (<= 0: combinational)
  int dc = 2;                    ///< CMVM delay constraint (LowerOptions::dc)
  int64_t cse_budget = int64_t(1) << 22;  ///< CMVM search budget in two-term patterns (LowerOptions::cse_budget)
  std::string family = "xc7";    ///< delay model and Yosys flow: xc7, xcup, ice40, ecp5
  bool valid = true;             ///< valid_in / valid_out ports
  bool register_ports = false;   ///< a register on every input and output port (pipeline_netlist)
  int64_t testbench_vectors = 500;  ///< events in the cocotb testbench's vector files (tb/)
  Wrapper wrapper = Wrapper::None;  ///< a packed top <top>_packed / <top>_axis (forces register_ports; needs valid)
  int field_bits = 0;               ///< wrapper: bits per packed field (0: each field its own width)
  bool force = false;            ///< write into a non-empty folder, replacing the files of its manifest
  bool allow_inexact = false;    ///< convert layers that are not bit-exact with the model (require_exact)
  /// Overrides every layer's ReuseFactor when > 0. A convolution whose
  /// ReuseFactor is > 1 is time-multiplexed (nanogate/netlist/fold.hpp): its
  /// adder graph is built once and computes one output position per cycle
  /// (Verilog only; no wrapper, no cocotb testbench yet).
  int reuse_factor = 0;
  /// Overrides every time-multiplexed convolution's ParallelizationFactor
  /// (output positions per cycle, kernel instances) when > 0.
  int parallelization_factor = 0;
};

/// What convert_to_verilog produced.
struct VerilogProject {
  std::string dir, top;
  std::string verilog_file;  ///< the top HDL file: <top>.v, or <top>.vhd for Hdl::Vhdl
  std::vector<std::string> warnings;  ///< allowed inexact and tabulated layers (require_exact)
  PipelineResult pipeline;
  nlohmann::ordered_json report;  ///< the content of report.json
};

/// Per-layer and total resource estimates of a netlist, in value order of
/// first appearance: {"layers": [{"name", "values", "adders", "adder_bits",
/// "luts_est", "depth"}...], "totals": {...}}. adders counts Add/Neg values;
/// adder_bits their summed implemented widths (bits; netlist/demand.hpp:
/// adders whose high bits no one reads are narrower than their types); luts_est ≈ Σ adder widths plus the
/// other ops' LUTs (rounding/saturation, max/min, mux, relu, Lut ROMs at 64
/// entries per LUT6, Mul as Wa·Wb), a rough pre-synthesis estimate; depth is
/// the longest chain of adders inside the layer.
nlohmann::ordered_json netlist_resources(const Netlist& n);

/// Compiles the model (with its configuration), lowers it, verifies the
/// netlist, pipelines it for options.family at options.clock_period_ns and
/// writes the folder described above in options.hdl, with the manifest and
/// headers of OutputFolder (nanogate/io/output_folder.hpp). Throws
/// nanogate::Error: DIR is not empty (unless options.force, which first
/// deletes the files of the previous manifest); an input file the project
/// would replace; an unknown family; any compile, lowering or write error.
VerilogProject convert_to_verilog(const std::string& dir, const VerilogProjectOptions& options);

/// Result of verify_verilog_project.
struct VerifyResult {
  int64_t vectors = 0;   ///< vectors simulated
  int64_t outputs = 0;   ///< output codes per vector
  int64_t exact = 0;     ///< vectors whose every output bit agreed (RTL, netlist and layer emulators)
  int latency = 0;       ///< cycles, from report.json
  /// First disagreement (when exact < vectors).
  int64_t bad_vector = -1, bad_output = -1;
  std::string bad_port;  ///< "port[element]"
  int64_t rtl = 0, netlist = 0, layer = 0;  ///< the three raw codes there
};

/// Options of verify_verilog_project.
struct VerifyOptions {
  int64_t vectors = 10000;  ///< generated vectors: all-min, all-max, the two alternations, zero, then uniform random
  uint64_t seed = 1;
  std::string input;        ///< extra vectors from a .npy/.csv table ("" = none)
  bool input_raw = false;   ///< the table holds raw codes at the firmware ports, not float values
};

/// Builds the Verilator model in DIR (build_sim.sh), or for a VHDL folder
/// analyses and runs the GHDL testbench (sim_ghdl.sh), simulates the vectors
/// and compares every output code with the netlist emulator and the layer
/// emulator (Emulator::run_firmware, read at each output port's tensor).
/// Float inputs (--input) go through the layer emulator's own input path
/// (preprocessing, then the first cast) to get the firmware codes. Throws
/// nanogate::Error for a folder without a nanogate report.json, a model that
/// no longer compiles, a failed build or simulation, or a bad input table.
VerifyResult verify_verilog_project(const std::string& dir, const VerifyOptions& options);

}  // namespace nanogate
