// nanogate — the Verilog of a design with time-multiplexed convolutions
// (nanogate/netlist/fold.hpp): one module per segment and per kernel, printed
// by the netlist printer like any parallel design, and a top module that
// sequences them: an accept counter (one event every II cycles), per fold a
// frame register loaded at once and shifted one slot per cycle, a counter and
// a ROM of the cycles whose taps hold an output position, the kernel instance,
// and a capture register that shifts in each position's results.
#include <filesystem>
#include <sstream>

#include "nanogate/backend/verilog.hpp"
#include "nanogate/error.hpp"
#include "backend/rtl/netlist_printer.hpp"
#include "backend/rtl/shell.hpp"
#include "naming.hpp"

namespace nanogate {

namespace {

/// Bits of a counter that holds 0 .. n − 1 (at least 1).
int counter_bits(int64_t n) {
  int b = 1;
  while ((int64_t(1) << b) < n) ++b;
  return b;
}

std::string lit(int64_t v, int bits) { return std::to_string(bits) + "'d" + std::to_string(v); }
std::string range(int64_t bits) { return "[" + std::to_string(bits - 1) + ":0]"; }
std::string slice(const std::string& v, int64_t element, int width) {
  return v + "[" + std::to_string((element + 1) * width - 1) + ":" + std::to_string(element * width) + "]";
}

/// The instance of netlist module `module` (ports by name), driving its
/// valid_in by `valid_in` and reading its single output port into `out`.
void instance(std::ostringstream& s, const Netlist& n, const std::string& module, const std::string& valid_in,
              const std::vector<std::string>& in_signals, const std::string& valid_out,
              const std::vector<std::string>& out_signals) {
  const verilog_detail::PortNames names = verilog_detail::port_names(n);
  s << "  " << module << " u_" << module << " (\n    .clk(clk),\n    .valid_in(" << valid_in << "),\n    .valid_out("
    << valid_out << ")";
  for (size_t k = 0; k < names.inputs.size(); ++k) s << ",\n    ." << names.inputs[k] << "(" << in_signals.at(k) << ")";
  for (size_t k = 0; k < names.outputs.size(); ++k) s << ",\n    ." << names.outputs[k] << "(" << out_signals.at(k) << ")";
  s << "\n  );\n";
}

int64_t port_bits(const NetPort& p) { return int64_t(p.values.size()) * p.type.width; }

}  // namespace

Netlist folded_ports(const FoldedDesign& d) {
  Netlist n;
  n.source = d.segments.at(0).source;
  n.inputs = d.segments.front().inputs;
  n.outputs = d.segments.back().outputs;
  n.stripped = d.segments.back().stripped;
  n.latency = d.latency;
  return n;
}

std::string write_folded_verilog(const FoldedDesign& d, const VerilogOptions& o) {
  std::ostringstream s;
  const std::string& top = o.top;
  std::vector<std::string> seg_names, ker_names;
  for (size_t i = 0; i < d.segments.size(); ++i) {
    seg_names.push_back(top + "_s" + std::to_string(i));
    VerilogOptions so{seg_names.back(), true};
    s << write_verilog(d.segments[i], so) << "\n";
  }
  for (size_t i = 0; i < d.folds.size(); ++i) {
    ker_names.push_back(top + "_k" + std::to_string(i));
    VerilogOptions ko{ker_names.back(), true};
    s << write_verilog(d.folds[i].kernel, ko) << "\n";
  }
  const Netlist ports = folded_ports(d);
  const verilog_detail::PortNames names = verilog_detail::port_names(ports);
  s << "// " << top << ": time-multiplexed convolutions (nanogate/netlist/fold.hpp). An event is\n"
    << "// accepted when valid_in && ready (ready: " << d.initiation_interval << " cycles since the last one);\n"
    << "// its outputs appear with valid_out " << d.latency << " cycles later.\n"
    << "module " << top << " (\n  input wire clk,\n  input wire valid_in,\n  output wire valid_out,\n  output wire ready";
  for (size_t k = 0; k < names.inputs.size(); ++k)
    s << ",\n  input wire " << range(port_bits(ports.inputs[k])) << " " << names.inputs[k];
  for (size_t k = 0; k < names.outputs.size(); ++k)
    s << ",\n  output wire " << range(port_bits(ports.outputs[k])) << " " << names.outputs[k];
  s << "\n);\n";
  const int ii = d.initiation_interval;
  if (ii > 1) {
    const int cb = counter_bits(ii);
    s << "  reg " << range(cb) << " cool = " << lit(0, cb) << ";  // cycles until the next event may enter\n"
      << "  assign ready = cool == " << lit(0, cb) << ";\n  wire accept = valid_in & ready;\n"
      << "  always @(posedge clk) cool <= accept ? " << lit(ii - 1, cb) << " : (ready ? cool : cool - " << lit(1, cb)
      << ");\n";
  } else {
    s << "  assign ready = 1'b1;\n  wire accept = valid_in;\n";
  }
  std::string valid = "accept";
  std::vector<std::string> ins = names.inputs;
  for (size_t i = 0; i < d.segments.size(); ++i) {
    const Netlist& seg = d.segments[i];
    const std::string sv = "s" + std::to_string(i) + "_valid";
    std::vector<std::string> outs;
    if (i + 1 == d.segments.size()) {
      outs = names.outputs;
      s << "  wire " << sv << ";\n";
    } else {
      outs = {"s" + std::to_string(i) + "_out"};
      s << "  wire " << sv << ";\n  wire " << range(port_bits(seg.outputs.at(0))) << " " << outs[0] << ";\n";
    }
    instance(s, seg, seg_names[i], valid, ins, sv, outs);
    if (i == d.folds.size()) {
      s << "  assign valid_out = " << sv << ";\n";
      break;
    }
    // fold i: frame, counter, position ROM, kernel, capture
    const FoldedConv& f = d.folds[i];
    const std::string p = "f" + std::to_string(i) + "_";
    const int W = f.kernel.inputs.at(0).type.width, Wy = f.kernel.outputs.at(0).type.width;
    const int64_t E = f.lanes, elems = int64_t(f.frame.size()), slots = elems / E, T = f.cycles();
    const int64_t P = int64_t(f.positions.size()), M = int64_t(f.kernel.outputs.at(0).values.size());
    const int64_t FB = elems * W, YB = P * M * Wy;
    const int cb = counter_bits(T), pb = counter_bits(P);
    s << "  // fold " << i << ": " << verilog_detail::sanitize(f.layer) << ", " << P << " positions in " << T
      << " cycles; frame of " << slots << " slots x " << E << " elements\n";
    s << "  reg " << range(FB) << " " << p << "frame;  // data: no initial value needed (valid gates it)\n"
      << "  reg " << range(cb) << " " << p << "cnt = " << lit(0, cb) << ";\n  reg " << p << "busy = 1'b0;\n";
    s << "  wire " << range(FB) << " " << p << "load = {";
    for (int64_t e = elems - 1; e >= 0; --e) {
      const int64_t src = f.frame[size_t(e)];
      s << (src < 0 ? std::to_string(W) + "'d0" : slice(outs[0], src, W)) << (e ? ", " : "");
      if (e && e % 8 == 0) s << "\n    ";
    }
    s << "};\n";
    const std::string shifted = p + "frame >> " + std::to_string(E * W);
    s << "  always @(posedge clk) begin\n"
      << "    if (" << sv << ") begin\n      " << p << "frame <= " << p << "load;\n      " << p << "cnt <= " << lit(0, cb)
      << ";\n      " << p << "busy <= 1'b1;\n"
      << "    end else if (" << p << "busy) begin\n      " << p << "frame <= " << shifted << ";\n      " << p << "cnt <= "
      << p << "cnt + " << lit(1, cb) << ";\n      if (" << p << "cnt == " << lit(T - 1, cb) << ") " << p
      << "busy <= 1'b0;\n    end\n  end\n";
    // the cycles at which the taps hold an output position: a ROM over the counter
    const int64_t rom = int64_t(1) << cb;
    std::vector<bool> at(size_t(rom), false);
    for (int64_t q : f.positions) at[size_t(q)] = true;
    s << "  localparam [" << rom - 1 << ":0] " << p << "AT = " << rom << "'b";
    for (int64_t k = rom - 1; k >= 0; --k) s << (at[size_t(k)] ? '1' : '0');
    s << ";\n  wire " << p << "kv = " << p << "busy & " << p << "AT[" << p << "cnt];\n";
    s << "  wire " << range(int64_t(f.taps.size()) * W) << " " << p << "taps = {";
    for (int64_t k = int64_t(f.taps.size()) - 1; k >= 0; --k) s << slice(p + "frame", f.taps[size_t(k)], W) << (k ? ", " : "");
    s << "};\n  wire " << p << "kvo;\n  wire " << range(M * Wy) << " " << p << "ky;\n";
    instance(s, f.kernel, ker_names[i], p + "kv", {p + "taps"}, p + "kvo", {p + "ky"});
    s << "  reg " << range(YB) << " " << p << "y;\n  reg " << range(pb) << " " << p << "n = " << lit(0, pb)
      << ";\n  reg " << p << "done = 1'b0;\n"
      << "  always @(posedge clk) begin\n    " << p << "done <= " << p << "kvo & (" << p << "n == " << lit(P - 1, pb)
      << ");\n    if (" << p << "kvo) begin\n      " << p << "y <= "
      << (P > 1 ? "{" + p + "ky, " + p + "y[" + std::to_string(YB - 1) + ":" + std::to_string(M * Wy) + "]}" : p + "ky")
      << ";\n      " << p << "n <= " << p << "n == " << lit(P - 1, pb) << " ? " << lit(0, pb) << " : " << p << "n + "
      << lit(1, pb) << ";\n    end\n  end\n";
    valid = p + "done";
    ins = {p + "y"};
  }
  s << "endmodule\n";
  return s.str();
}

void write_folded_rtl_files(const std::string& dir, const FoldedDesign& d, const VerilogOptions& o) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(dir, "cannot create the directory: " + ec.message());
  VerilogOptions to = o;
  to.initiation_interval = d.initiation_interval;
  rtl_detail::write_file(fs::path(dir) / (o.top + ".v"), write_folded_verilog(d, to));
  rtl_detail::write_file(fs::path(dir) / ("tb_" + o.top + ".cpp"), write_verilator_testbench(folded_ports(d), to));
  rtl_detail::write_script(dir, "build_sim.sh", write_verilator_build_script(to));
}

}  // namespace nanogate
