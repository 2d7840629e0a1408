// nanogate — the Verilog-2001 RTL backend and its Verilator test harness.
//
// write_verilog prints one module for a (pipelined) Netlist. Interface:
//   input  clk                           rising-edge clock (unused, but kept,
//                                        when the design is combinational)
//   input  valid_in / output valid_out   optional; valid_out is valid_in
//                                        delayed by the latency
//   input  [E·W-1:0] in_<port>           one flat bus per input port,
//   output [E·W-1:0] out_<port>          element k at bits [(k+1)·W−1 : k·W]
// Outputs for the inputs applied in cycle t appear in cycle t + latency
// (combinational from the last stage's registers); II = 1. Registers have no
// reset (FPGA flip-flops power up at 0).
//
// Every NetValue becomes a wire `v<index>` (signed when its type is), computed
// exactly as netlist.hpp specifies; a value consumed d stages later passes
// through registers `v<index>_d1 .. _dd`. Bits that the semantics drop (the
// LSBs a truncation discards, MSBs a wrap-around discards, unused input
// elements) are collected in the wire `_unused_ok`, which Verilator's default
// --unused-regexp exempts, so the module is clean under
// `verilator --lint-only -Wall`. The text is a pure function of the netlist
// and the options (byte-identical across runs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nanogate/netlist/fold.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Options of the Verilog writer and the harness.
struct VerilogOptions {
  std::string top = "ng_top";  ///< module name (see verilog_module_name)
  bool valid = true;           ///< add valid_in / valid_out
  /// Cycles between the events the testbench applies (a folded design's II;
  /// 1: one event per cycle).
  int initiation_interval = 1;
  /// add the input `ce` after clk: every register (and valid_out's shift
  /// register) loads only in a cycle with ce = 1, else holds (the AXI-Stream
  /// wrapper's stall, wrapper.hpp); off: no such port, the text unchanged
  bool clock_enable = false;
};

/// A legal Verilog/Verilator module name for a model: "ng_" + the file stem
/// with every character outside [A-Za-z0-9_] replaced by '_' (so it is never
/// a keyword such as `small`).
std::string verilog_module_name(const std::string& model_path);

/// The Verilog-2001 module text. Throws nanogate::Error (naming the source,
/// the value and its layer) for a netlist it cannot print: an argument that
/// does not precede its user, a Lut whose table size is not 2^W of its
/// argument, a Cmp whose type is not a 1-bit integer.
std::string write_verilog(const Netlist& n, const VerilogOptions& options);

/// The Verilog of a design with time-multiplexed convolutions
/// (nanogate/netlist/fold.hpp; src/backend/verilog/folded_top.cpp): modules
/// <top>_s<i> (segments) and <top>_k<i> (kernels), printed as write_verilog
/// prints a netlist, and the top module <top> with clk, valid_in, valid_out,
/// `ready` (an event is accepted when valid_in && ready, at most one every
/// d.initiation_interval cycles) and the first segment's input and the last
/// segment's output buses; outputs appear d.latency cycles after the event.
/// Call pipeline_folded first.
std::string write_folded_verilog(const FoldedDesign& d, const VerilogOptions& options);

/// Writes <top>.v (write_folded_verilog), tb_<top>.cpp (options'
/// initiation_interval = d's) and build_sim.sh into `dir`, as write_rtl_files.
void write_folded_rtl_files(const std::string& dir, const FoldedDesign& d, const VerilogOptions& options);

/// A netlist holding only the ports (first segment's inputs, last segment's
/// outputs, stripped Softmax names) and the latency of a folded design, for
/// the testbench generator and the report.
Netlist folded_ports(const FoldedDesign& d);

/// The C++ Verilator testbench tb_<top>.cpp. Usage of the built binary:
///   obj_dir/V<top> IN OUT
/// IN: one input vector per line, the raw codes (decimal) of all input port
/// elements, ports concatenated in order; OUT receives one line per vector
/// with the raw output codes (decimal, signed per the port type). The
/// testbench applies one vector per clock cycle, flushes the pipeline
/// (latency cycles), checks valid_out, and exits 1 with a message on a
/// malformed line or a wrong valid_out.
std::string write_verilator_testbench(const Netlist& n, const VerilogOptions& options);

/// build_sim.sh: builds obj_dir/V<top> from <top>.v and tb_<top>.cpp with
/// `verilator --cc --exe --build`, C++ at -O0 (fast builds).
std::string write_verilator_build_script(const VerilogOptions& options);

/// Writes <top>.v, tb_<top>.cpp and build_sim.sh into `dir` (created if
/// missing). Throws nanogate::Error when a file cannot be written.
void write_rtl_files(const std::string& dir, const Netlist& n, const VerilogOptions& options);

/// Runs build_sim.sh in `dir`. Throws nanogate::Error with the tail of the
/// build log when Verilator or the C++ build fails.
void build_verilator_sim(const std::string& dir, const VerilogOptions& options);

/// Runs the built simulation on rows × Σ input port sizes raw codes (ports
/// concatenated, row-major) and returns rows × Σ output port sizes raw codes.
/// Files go to dir/sim_in.txt and dir/sim_out.txt. Throws nanogate::Error
/// when the simulator fails or its output is malformed.
std::vector<int64_t> run_verilator_sim(const std::string& dir, const Netlist& n, const VerilogOptions& options,
                                       const std::vector<int64_t>& raw, int64_t rows);

}  // namespace nanogate
