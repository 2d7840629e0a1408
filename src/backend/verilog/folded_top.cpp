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
              const std::vector<std::string>& out_signals, const std::string& suffix = "") {
  const verilog_detail::PortNames names = verilog_detail::port_names(n);
  s << "  " << module << " u_" << module << suffix << " (\n    .clk(clk),\n    .valid_in(" << valid_in << "),\n    .valid_out("
    << valid_out << ")";
  for (size_t k = 0; k < names.inputs.size(); ++k) s << ",\n    ." << names.inputs[k] << "(" << in_signals.at(k) << ")";
  for (size_t k = 0; k < names.outputs.size(); ++k) s << ",\n    ." << names.outputs[k] << "(" << out_signals.at(k) << ")";
  s << "\n  );\n";
}

int64_t port_bits(const NetPort& p) { return int64_t(p.values.size()) * p.type.width; }

/// The sequencer of fold `f` (signals prefixed `p`): frame loaded from bus
/// `x` when `start`, shifted F slots per cycle for f.cycles() cycles; per
/// kernel instance j a ROM of the cycles whose taps (frame slot offset j)
/// hold an output position, the instance of `kernel`, and a capture register
/// of the positions it computes; `<p>y` = the results in position order
/// (element p·M + m), `<p>done` = 1 in the cycle after the last capture.
void fold_sequencer(std::ostringstream& s, const FoldedConv& f, const std::string& p, const std::string& kernel,
                    const std::string& start, const std::string& x) {
  const int W = f.kernel.inputs.at(0).type.width, Wy = f.kernel.outputs.at(0).type.width;
  const int64_t F = f.parallel, E = f.lanes, elems = int64_t(f.frame.size()) + F * E, C = f.cycles();
  const int64_t P = int64_t(f.positions.size()), M = int64_t(f.kernel.outputs.at(0).values.size());
  const int64_t FB = elems * W;
  const int cb = counter_bits(C);
  s << "  // fold: " << verilog_detail::sanitize(f.layer) << ", " << P << " positions in " << C << " cycles by " << F
    << " kernel instance(s); frame of " << elems / E << " slots x " << E << " elements (" << F << " zero slots at the end)\n";
  s << "  reg " << range(FB) << " " << p << "frame;  // data: no initial value needed (valid gates it)\n"
    << "  reg " << range(cb) << " " << p << "cnt = " << lit(0, cb) << ";\n  reg " << p << "busy = 1'b0;\n";
  s << "  wire " << range(FB) << " " << p << "load = {";
  for (int64_t e = elems - 1; e >= 0; --e) {
    const int64_t src = e < int64_t(f.frame.size()) ? f.frame[size_t(e)] : -1;
    s << (src < 0 ? std::to_string(W) + "'d0" : slice(x, src, W)) << (e ? ", " : "");
    if (e && e % 8 == 0) s << "\n    ";
  }
  s << "};\n  always @(posedge clk) begin\n"
    << "    if (" << start << ") begin\n      " << p << "frame <= " << p << "load;\n      " << p << "cnt <= " << lit(0, cb)
    << ";\n      " << p << "busy <= 1'b1;\n"
    << "    end else if (" << p << "busy) begin\n      " << p << "frame <= " << p << "frame >> " << F * E * W << ";\n      "
    << p << "cnt <= " << p << "cnt + " << lit(1, cb) << ";\n      if (" << p << "cnt == " << lit(C - 1, cb) << ") " << p
    << "busy <= 1'b0;\n    end\n  end\n";
  // instance j computes the positions p with positions[p] % F == j, in order
  std::vector<std::vector<int64_t>> mine(static_cast<size_t>(F));
  for (int64_t q = 0; q < P; ++q) mine[size_t(f.positions[size_t(q)] % F)].push_back(q);
  std::vector<std::pair<int64_t, int64_t>> where(static_cast<size_t>(P));  // position → (instance, index)
  const int64_t rom = int64_t(1) << cb;
  for (int64_t j = 0; j < F; ++j) {
    const auto& L = mine[size_t(j)];
    if (L.empty()) continue;  // no position lands on this offset (strides): no instance
    const std::string q = p + std::to_string(j) + "_";
    std::vector<bool> at(size_t(rom), false);
    for (size_t k = 0; k < L.size(); ++k) {
      at[size_t(f.positions[size_t(L[k])] / F)] = true;
      where[size_t(L[k])] = {j, int64_t(k)};
    }
    s << "  localparam [" << rom - 1 << ":0] " << q << "AT = " << rom << "'b";
    for (int64_t k = rom - 1; k >= 0; --k) s << (at[size_t(k)] ? '1' : '0');
    s << ";\n  wire " << q << "kv = " << p << "busy & " << q << "AT[" << p << "cnt];\n";
    s << "  wire " << range(int64_t(f.taps.size()) * W) << " " << q << "taps = {";
    for (int64_t k = int64_t(f.taps.size()) - 1; k >= 0; --k)
      s << slice(p + "frame", j * E + f.taps[size_t(k)], W) << (k ? ", " : "");
    s << "};\n  wire " << q << "kvo;\n  wire " << range(M * Wy) << " " << q << "ky;\n";
    instance(s, f.kernel, kernel, q + "kv", {q + "taps"}, q + "kvo", {q + "ky"}, "_" + std::to_string(j));
    const int64_t n = int64_t(L.size()), YB = n * M * Wy;
    const int nb = counter_bits(n);
    s << "  reg " << range(YB) << " " << q << "y;\n  reg " << range(nb) << " " << q << "n = " << lit(0, nb) << ";\n"
      << "  always @(posedge clk) if (" << q << "kvo) begin\n    " << q << "y <= "
      << (n > 1 ? "{" + q + "ky, " + q + "y[" + std::to_string(YB - 1) + ":" + std::to_string(M * Wy) + "]}" : q + "ky")
      << ";\n    " << q << "n <= " << q << "n == " << lit(n - 1, nb) << " ? " << lit(0, nb) << " : " << q << "n + "
      << lit(1, nb) << ";\n  end\n";
  }
  // the last position's instance finishes last (one counter, one kernel latency)
  const auto [jl, kl] = where[size_t(P - 1)];
  const std::string ql = p + std::to_string(jl) + "_";
  s << "  reg " << p << "done = 1'b0;\n  always @(posedge clk) " << p << "done <= " << ql << "kvo & (" << ql << "n == "
    << lit(kl, counter_bits(int64_t(mine[size_t(jl)].size()))) << ");\n";
  s << "  wire " << range(P * M * Wy) << " " << p << "y = {";
  for (int64_t q = P - 1; q >= 0; --q) {
    const auto [j, k] = where[size_t(q)];
    s << p << j << "_y[" << (k + 1) * M * Wy - 1 << ":" << k * M * Wy << "]" << (q ? ", " : "");
    if (q && q % 8 == 0) s << "\n    ";
  }
  s << "};\n";
}

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
    const std::string p = "f" + std::to_string(i) + "_";
    fold_sequencer(s, d.folds[i], p, ker_names[i], sv, outs[0]);
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
