// nanogate — Verilog-2001 printer for a pipelined operation netlist.
//
// Arithmetic is printed on explicit bit vectors: every operand is aligned to
// a common binary point by appending zero LSBs and sign/zero-extended (or
// truncated) to the width of the computation with concatenations, so every
// expression has exactly the width of the wire it drives (no WIDTH warnings)
// and two's-complement wrap-around is exact: every value is implemented at
// its demanded width (netlist/demand.hpp) — its type's width, or fewer bits
// for an adder or a wrapping cast whose high bits no consumer reads — so
// computing modulo 2^W changes no bit anyone reads. Signedness matters only
// in comparisons, which are made between `signed` wires of one width wide
// enough for both operands exactly.
//
// Adders (Add, Neg) are computed one guard bit wider than their value, into a
// `(* keep *)` wire the value is sliced from. Otherwise Yosys' alumacc merges
// every adder whose result feeds exactly one other adder into multi-operand
// $macc cells, which maccmap builds from LUT-based carry-save trees instead of
// carry chains (measured with synth_xilinx on AXOL1TL v1's input scaling and
// first Dense layer: 8,308 LUTs merged, 5,748 with the guard). The kept guard
// bit costs at most one carry-chain bit per adder.
#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "nanogate/backend/verilog.hpp"
#include "nanogate/error.hpp"
#include "nanogate/netlist/demand.hpp"
#include "netlist/net_eval.hpp"
#include "naming.hpp"
#include "quantize_plan.hpp"

namespace nanogate {

namespace {

using verilog_detail::plan_quantize;
using verilog_detail::QuantizePlan;
using verilog_detail::saturation_low;
using verilog_detail::sanitize;

/// Sized hexadecimal literal of the low `width` bits of v (two's complement,
/// sign-extended beyond 128 bits): "8'hfb", or "9'sh1fb" when sgn.
std::string hex_lit(i128 v, int width, bool sgn) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  const int nd = (width + 3) / 4;
  for (int d = nd - 1; d >= 0; --d) {
    int nib = 0;
    for (int b = 3; b >= 0; --b) {
      const int k = 4 * d + b;
      if (k >= width) continue;
      const int bit = k < 127 ? int((v >> k) & 1) : (v < 0 ? 1 : 0);
      nib |= bit << b;
    }
    s += digits[nib];
  }
  return std::to_string(width) + (sgn ? "'sh" : "'h") + s;
}

std::string zeros(int n) { return "{" + std::to_string(n) + "{1'b0}}"; }

std::string range(int w) { return "[" + std::to_string(w - 1) + ":0]"; }

/// One line of comment text (no newlines, no comment terminators).
std::string comment_text(const std::string& s) {
  std::string r;
  for (char c : s) r += (c == '\n' || c == '\r') ? ' ' : c;
  size_t p;
  while ((p = r.find("*/")) != std::string::npos) r.replace(p, 2, "* /");
  return r;
}

class Writer {
 public:
  Writer(const Netlist& n, const VerilogOptions& o) : n_(n), o_(o) {}

  std::string run() {
    check_and_liveness();
    iw_ = implemented_widths(n_);
    name_ports();
    std::ostringstream out;
    header(out);
    // Ports are tracked signals: unused input elements end up in _unused_ok.
    track("clk", 1);
    for (size_t p = 0; p < n_.inputs.size(); ++p)
      track(in_names_[p], int(n_.inputs[p].values.size()) * n_.inputs[p].type.width);
    for (size_t i = 0; i < n_.values.size(); ++i)
      if (live_[i]) value(int(i));
    outputs();
    valid();
    registers();
    if (!regs_.str().empty() || valid_regs_) mark_all("clk");
    unused();
    out << body_.str() << "endmodule\n";
    return out.str();
  }

 private:
  struct Sig {
    int width;
    std::vector<bool> read;
  };

  [[noreturn]] void fail(int i, const std::string& why) const {
    const NetValue& v = n_.values[size_t(i)];
    throw Error(n_.source, v.layer, to_string(v.op), "netlist value " + std::to_string(i) + ": " + why);
  }

  // ---- checks, liveness, stages -------------------------------------------

  void check_and_liveness() {
    const int nv = int(n_.values.size());
    need_.assign(size_t(nv), 0);
    for (int i = 0; i < nv; ++i) {
      const NetValue& v = n_.values[size_t(i)];
      if (v.args.size() != size_t(net_arg_count(v.op)))
        fail(i, "expects " + std::to_string(size_t(net_arg_count(v.op))) + " arguments, has " + std::to_string(v.args.size()));
      for (int a : v.args)
        if (a < 0 || a >= i) fail(i, "argument " + std::to_string(a) + " does not precede its user");
      if (v.type.width < 1 || v.type.width > 64) fail(i, "width " + std::to_string(v.type.width) + " is not 1..64");
      if (v.stage < 0) fail(i, "negative pipeline stage");
    }
    for (const auto& p : n_.outputs)
      for (int j : p.values) {
        if (j < 0 || j >= nv) throw Error(n_.source, "output port '" + p.name + "' names a missing value");
        use(j, n_.latency, "output port '" + p.name + "'");
      }
    live_ = live_values(n_);
    for (int i = nv - 1; i >= 0; --i)
      if (live_[size_t(i)])
        for (int a : n_.values[size_t(i)].args) use(a, n_.values[size_t(i)].stage, "value " + std::to_string(i));
  }

  void use(int j, int stage, const std::string& who) {
    const NetValue& v = n_.values[size_t(j)];
    if (v.op == NetOp::Const) return;
    if (stage < v.stage) fail(j, "used by " + who + " in the earlier stage " + std::to_string(stage));
    need_[size_t(j)] = std::max(need_[size_t(j)], stage - v.stage);
  }

  void name_ports() {
    verilog_detail::PortNames names = verilog_detail::port_names(n_);
    in_names_ = std::move(names.inputs);
    out_names_ = std::move(names.outputs);
  }

  void header(std::ostringstream& out) {
    out << "// Generated by nanogate (Verilog-2001). Do not edit.\n";
    out << "// Source: " << comment_text(n_.source) << "\n";
    out << "// Latency: " << n_.latency << " clock cycle(s)";
    if (n_.clock_period_ns > 0) {
      std::ostringstream p;
      p << n_.clock_period_ns;
      out << " at a target period of " << p.str() << " ns";
    }
    out << "; initiation interval 1.\n";
    out << "// Outputs for the inputs applied in cycle t are valid in cycle t + latency.\n";
    out << "// Bus layout: element k of a port of element width W sits at bits [(k+1)*W-1 : k*W].\n";
    auto port_line = [&](const char* dir, const std::string& name, const NetPort& p) {
      out << "//   " << dir << " " << name << ": " << p.values.size() << " x " << p.type.str() << " ("
          << p.values.size() * size_t(p.type.width) << " bits), tensor '" << comment_text(p.tensor) << "'\n";
    };
    for (size_t p = 0; p < n_.inputs.size(); ++p) port_line("input ", in_names_[p], n_.inputs[p]);
    for (size_t p = 0; p < n_.outputs.size(); ++p) port_line("output", out_names_[p], n_.outputs[p]);
    out << "// Bits the arithmetic drops by design (truncated LSBs, wrapped MSBs, unused\n"
           "// inputs) are gathered in _unused_ok, exempt from Verilator's UNUSED lint.\n";
    out << "module " << o_.top << " (\n  input wire clk";
    if (o_.valid) out << ",\n  input wire valid_in,\n  output wire valid_out";
    for (size_t p = 0; p < n_.inputs.size(); ++p)
      out << ",\n  input wire " << range(int(n_.inputs[p].values.size()) * n_.inputs[p].type.width) << " "
          << in_names_[p];
    for (size_t p = 0; p < n_.outputs.size(); ++p)
      out << ",\n  output wire " << range(int(n_.outputs[p].values.size()) * n_.outputs[p].type.width) << " "
          << out_names_[p];
    out << "\n);\n";
  }

  // ---- bit-usage tracking ---------------------------------------------------

  void track(const std::string& name, int width) {
    order_.push_back(name);
    sigs_[name] = Sig{width, std::vector<bool>(size_t(width), false)};
  }
  void mark(const std::string& name, int hi, int lo) {
    auto& s = sigs_.at(name);
    for (int k = lo; k <= hi; ++k) s.read[size_t(k)] = true;
  }
  void mark_all(const std::string& name) { mark(name, sigs_.at(name).width - 1, 0); }
  int width(const std::string& name) const { return sigs_.at(name).width; }

  std::string full(const std::string& name) {
    mark_all(name);
    return name;
  }
  std::string bit(const std::string& name, int k) {
    mark(name, k, k);
    return name + "[" + std::to_string(k) + "]";
  }
  std::string sel(const std::string& name, int hi, int lo) {
    if (hi == lo) return bit(name, hi);
    if (lo == 0 && hi == width(name) - 1) return full(name);
    mark(name, hi, lo);
    return name + "[" + std::to_string(hi) + ":" + std::to_string(lo) + "]";
  }
  /// Bits [hi:lo] of `name` (a number of that signedness) extended or
  /// truncated to `to` bits.
  std::string ext_slice(const std::string& name, int hi, int lo, bool sgn, int to) {
    const int w = hi - lo + 1;
    if (to <= w) return sel(name, lo + to - 1, lo);
    const std::string fill = sgn ? bit(name, hi) : "1'b0";
    return "{{" + std::to_string(to - w) + "{" + fill + "}}, " + sel(name, hi, lo) + "}";
  }
  std::string ext(const std::string& name, bool sgn, int to) {
    return ext_slice(name, width(name) - 1, 0, sgn, to);
  }
  /// raw(name) · 2^(to_frac − frac), modulo 2^to_width (to_frac ≥ frac).
  std::string aligned(const std::string& name, bool sgn, int frac, int to_frac, int to_width) {
    const int k = to_frac - frac;
    if (k >= to_width) return zeros(to_width);
    const std::string inner = ext(name, sgn, to_width - k);
    return k > 0 ? "{" + inner + ", " + zeros(k) + "}" : inner;
  }

  // ---- values ---------------------------------------------------------------

  std::string vname(int i) const { return "v" + std::to_string(i); }

  /// The wire carrying value j in stage `stage`.
  std::string ref(int j, int stage) const {
    const NetValue& v = n_.values[size_t(j)];
    if (v.op == NetOp::Const || stage == v.stage) return vname(j);
    return vname(j) + "_d" + std::to_string(stage - v.stage);
  }

  void wire(const std::string& name, int w, bool sgn, const std::string& expr, bool keep = false) {
    body_ << "  " << (keep ? "(* keep *) " : "") << "wire " << (sgn ? "signed " : "") << range(w) << " " << name
          << " = " << expr << ";\n";
    track(name, w);
  }

  /// Declares value i (iw_[i] bits) from an expression of wi bits computed
  /// at `d` extra LSBs (the value is bits [iw_[i]+d-1:d] of it; d > 0 only
  /// for inexact netlists). An adder's expression wire is `(* keep *)` (see
  /// the file comment).
  void finish(int i, const std::string& expr, int wi, int d) {
    const NetValue& v = n_.values[size_t(i)];
    const bool adder = v.op == NetOp::Add || v.op == NetOp::Neg;
    if (d == 0 && wi == iw_[size_t(i)]) {
      wire(vname(i), iw_[size_t(i)], v.type.is_signed, expr, adder);
    } else {
      wire(vname(i) + "_w", wi, v.type.is_signed, expr, adder);
      wire(vname(i), iw_[size_t(i)], v.type.is_signed, sel(vname(i) + "_w", iw_[size_t(i)] + d - 1, d));
    }
  }

  void value(int i) {
    const NetValue& v = n_.values[size_t(i)];
    if (v.layer != last_layer_) {
      body_ << "  // layer " << comment_text(v.layer) << "\n";
      last_layer_ = v.layer;
    }
    const int W = iw_[size_t(i)], F = v.type.frac_bits(), st = v.stage;
    auto A = [&](int k) -> const Fixed& { return n_.values[size_t(v.args[size_t(k)])].type; };
    auto R = [&](int k) { return ref(v.args[size_t(k)], st); };
    switch (v.op) {
      case NetOp::Input: {
        if (v.port < 0 || size_t(v.port) >= n_.inputs.size()) fail(i, "input port " + std::to_string(v.port) + " does not exist");
        const NetPort& p = n_.inputs[size_t(v.port)];
        if (v.index < 0 || size_t(v.index) >= p.values.size()) fail(i, "input element out of range");
        if (p.type.width != W) fail(i, "type differs from its port's type");
        wire(vname(i), W, v.type.is_signed, sel(in_names_[size_t(v.port)], (v.index + 1) * W - 1, v.index * W));
        break;
      }
      case NetOp::Const:
        wire(vname(i), W, v.type.is_signed, hex_lit(v.konst, W, false));
        break;
      case NetOp::Add: {
        const int fa = A(0).frac_bits() - v.shift_a, fb = A(1).frac_bits() - v.shift_b;
        const int fi = std::max({F, fa, fb}), d = fi - F, wi = W + d + 1;  // + the guard bit
        const std::string a = aligned(R(0), A(0).is_signed, fa, fi, wi);
        const std::string b = aligned(R(1), A(1).is_signed, fb, fi, wi);
        finish(i, a + (v.sub ? " - " : " + ") + b, wi, d);
        break;
      }
      case NetOp::Neg: {
        const int fi = std::max(F, A(0).frac_bits()), d = fi - F, wi = W + d + 1;  // + the guard bit
        finish(i, zeros(wi) + " - " + aligned(R(0), A(0).is_signed, A(0).frac_bits(), fi, wi), wi, d);
        break;
      }
      case NetOp::Mul: {
        const int fp = A(0).frac_bits() + A(1).frac_bits();
        const int fi = std::max(F, fp), d = fi - F, wi = W + d, k = fi - fp, wm = wi - k;
        if (wm <= 0) {
          finish(i, zeros(wi), wi, d);
          break;
        }
        // The full product at its natural width (wa + wb bits, signed when
        // either operand is), so Yosys sees a wa x wb multiplier; operands
        // sign-extended to wm bits would make it build a wm x wm array.
        const bool ps = A(0).is_signed || A(1).is_signed;
        auto operand = [&](const std::string& r, bool sgn, int& w) {
          w = width(r);
          if (!ps) return full(r);
          if (sgn) return "$signed(" + full(r) + ")";
          ++w;
          return "$signed({1'b0, " + full(r) + "})";
        };
        int wa = 0, wb = 0;
        const std::string a = operand(R(0), A(0).is_signed, wa);
        const std::string b = operand(R(1), A(1).is_signed, wb);
        const std::string p = vname(i) + "_p", m = vname(i) + "_m";
        wire(p, wa + wb, ps, a + " * " + b);
        wire(m, wm, false, ext(p, ps, wm));
        finish(i, k > 0 ? "{" + full(m) + ", " + zeros(k) + "}" : full(m), wi, d);
        break;
      }
      case NetOp::Relu: {
        const int fi = std::max(F, A(0).frac_bits()), d = fi - F, wi = W + d;
        const std::string r = R(0);
        std::string e;
        if (A(0).is_signed) {
          const std::string sign = bit(r, A(0).width - 1);
          e = sign + " ? " + zeros(wi) + " : " + aligned(r, true, A(0).frac_bits(), fi, wi);
        } else {
          e = aligned(r, false, A(0).frac_bits(), fi, wi);
        }
        finish(i, e, wi, d);
        break;
      }
      case NetOp::Max:
      case NetOp::Min:
      case NetOp::Cmp: {
        const int fa = A(0).frac_bits(), fb = A(1).frac_bits();
        const int fi = v.op == NetOp::Cmp ? std::max(fa, fb) : std::max({F, fa, fb});
        const int d = v.op == NetOp::Cmp ? 0 : fi - F, wi = W + d;
        int wc = std::max(A(0).width + fi - fa, A(1).width + fi - fb);
        if (v.op != NetOp::Cmp) wc = std::max(wc, wi);
        wc += 1;
        const std::string an = vname(i) + "_a", bn = vname(i) + "_b";
        wire(an, wc, true, aligned(R(0), A(0).is_signed, fa, fi, wc));
        wire(bn, wc, true, aligned(R(1), A(1).is_signed, fb, fi, wc));
        if (v.op == NetOp::Cmp) {
          if (v.type.is_signed || F != 0) fail(i, "Cmp result type must be an unsigned integer (ufixed<1,1>)");
          const char* opn = v.cmp == CmpKind::GE ? " >= " : v.cmp == CmpKind::GT ? " > " : " == ";
          std::string c = "(" + full(an) + opn + full(bn) + ")";
          finish(i, W == 1 ? c : "{" + zeros(W - 1) + ", " + c + "}", W, 0);
        } else {
          const char* opn = v.op == NetOp::Max ? " >= " : " <= ";
          std::string c = "(" + full(an) + opn + full(bn) + ")";
          finish(i, c + " ? " + sel(an, wi - 1, 0) + " : " + sel(bn, wi - 1, 0), wi, d);
        }
        break;
      }
      case NetOp::Mux: {
        const int f1 = A(1).frac_bits(), f2 = A(2).frac_bits();
        const int fi = std::max({F, f1, f2}), d = fi - F, wi = W + d;
        const std::string s = "(|" + full(R(0)) + ")";
        finish(i, s + " ? " + aligned(R(1), A(1).is_signed, f1, fi, wi) + " : " + aligned(R(2), A(2).is_signed, f2, fi, wi),
               wi, d);
        break;
      }
      case NetOp::Lut: lut(i); break;
      case NetOp::Quantize: quantize(i); break;
    }
    if (need_[size_t(i)] > 0 && v.op != NetOp::Const) {
      body_ << "  reg " << (v.type.is_signed ? "signed " : "") << range(W);
      for (int k = 1; k <= need_[size_t(i)]; ++k) {
        const std::string r = vname(i) + "_d" + std::to_string(k);
        body_ << (k > 1 ? ", " : " ") << r;
        track(r, W);
        const std::string src = k == 1 ? vname(i) : vname(i) + "_d" + std::to_string(k - 1);
        regs_ << "    " << r << " <= " << full(src) << ";\n";
      }
      body_ << ";\n";
    }
  }

  void lut(int i) {
    const NetValue& v = n_.values[size_t(i)];
    const Fixed& a = n_.values[size_t(v.args[0])].type;
    const int W = v.type.width, wa = a.width;
    if (wa > 20) fail(i, "Lut argument of " + std::to_string(wa) + " bits (at most 20)");
    if (v.table.size() != (size_t(1) << wa))
      fail(i, "Lut table has " + std::to_string(v.table.size()) + " entries, its argument needs " +
                  std::to_string(size_t(1) << wa));
    const std::string r = ref(v.args[0], v.stage), addr = vname(i) + "_addr", rn = vname(i) + "_r";
    std::string e;
    if (a.is_signed)  // raw − min_raw: flip the sign bit
      e = wa == 1 ? "~" + bit(r, 0) : "{~" + bit(r, wa - 1) + ", " + sel(r, wa - 2, 0) + "}";
    else
      e = full(r);
    wire(addr, wa, false, e);
    body_ << "  reg " << range(W) << " " << rn << ";\n  always @* begin\n    case (" << full(addr) << ")\n";
    for (size_t k = 0; k < v.table.size(); ++k)
      body_ << "      " << hex_lit(i128(k), wa, false) << ": " << rn << " = " << hex_lit(v.table[k], W, false) << ";\n";
    body_ << "    endcase\n  end\n";
    track(rn, W);
    finish(i, full(rn), W, 0);
  }

  void quantize(int i) {
    const NetValue& v = n_.values[size_t(i)];
    const Fixed A = verilog_detail::quantize_source_type(n_, v);  // a·2^shift_a: same raw code
    const Fixed& T = v.type;
    const QuantizePlan p = plan_quantize(A, T);
    const bool sa = A.is_signed;
    const std::string an = ref(v.args[0], v.stage);
    // the argument's implemented width: narrower than A only when this (WRAP)
    // cast reads none of the missing bits (demand.hpp)
    const int wa = width(an), wq = p.q_width, W = iw_[size_t(i)];
    const std::string q = vname(i) + "_q";
    std::string incn;  // the rounding increment bit, if any
    if (p.shift <= 0) {
      const int k = -p.shift;
      const std::string inner = ext(an, sa, wq - k);
      wire(q, wq, sa, k > 0 ? "{" + inner + ", " + zeros(k) + "}" : inner);
    } else {
      const int s = p.shift, wx = std::max(wa, s + 1);
      std::string x = an;
      if (wx > wa) {
        x = vname(i) + "_x";
        wire(x, wx, sa, ext(an, sa, wx));
      }
      std::string e = ext_slice(x, wx - 1, s, sa, wq);
      if (p.rounds) {
        // Built on demand so that only the bits a mode reads are marked read.
        auto h = [&] { return bit(x, s - 1); };                                   // the half-LSB bit
        auto low = [&] { return s >= 2 ? "(|" + sel(x, s - 2, 0) + ")" : std::string("1'b0"); };  // below half
        auto neg = [&] { return sa ? bit(x, wx - 1) : std::string("1'b0"); };     // the value is negative
        std::string inc;
        switch (T.rounding) {
          case Rounding::TRN: break;
          case Rounding::TRN_ZERO: inc = neg() + " & (" + h() + " | " + low() + ")"; break;
          case Rounding::RND: inc = h(); break;
          case Rounding::RND_ZERO: inc = h() + " & (" + low() + " | " + neg() + ")"; break;
          case Rounding::RND_INF: inc = h() + " & (" + low() + " | ~" + neg() + ")"; break;
          case Rounding::RND_MIN_INF: inc = h() + " & " + low(); break;
          case Rounding::RND_CONV: inc = h() + " & (" + low() + " | " + bit(x, s) + ")"; break;
        }
        incn = vname(i) + "_inc";
        wire(incn, 1, false, inc);
        if (p.round_then_check) e = e + " + " + (wq > 1 ? "{" + zeros(wq - 1) + ", " + full(incn) + "}" : full(incn));
      }
      wire(q, wq, sa, e);  // the rounded code, or the floor when !round_then_check
    }
    if (!p.sat_hi && !p.sat_lo) {  // WRAP, or no overflow possible: the low W bits
      finish(i, ext(q, sa, W), W, 0);
      return;
    }
    const int wc = std::max(wq, W) + 1;
    const std::string en = vname(i) + "_e";
    wire(en, wc, true, ext(q, sa, wc));
    const std::string hi = p.sat_hi ? "(" + full(en) + " > " + hex_lit(T.max_raw(), wc, true) + ")" : "";
    const std::string lo = p.sat_lo ? "(" + full(en) + " < " + hex_lit(saturation_low(T), wc, true) + ")" : "";
    std::string low, ov;  // the in-range code; !round_then_check: the floor at max plus the increment
    if (p.round_then_check) {
      low = sel(en, W - 1, 0);
    } else {
      const std::string r = vname(i) + "_r";
      const std::string top = T.is_signed ? bit(q, W - 1) : std::string("1'b0");
      wire(r, W + 1, false, "{" + top + ", " + sel(q, W - 1, 0) + "} + {" + zeros(W) + ", " + full(incn) + "}");
      if (p.sat_hi) ov = T.is_signed ? "(" + bit(r, W) + " ^ " + bit(r, W - 1) + ")" : bit(r, W);
      low = sel(r, W - 1, 0);
    }
    std::string e;
    if (T.overflow == Overflow::SAT_ZERO) {
      const std::string any = hi.empty() ? lo : lo.empty() ? hi : "(" + hi + " | " + lo + ")";
      e = any + " ? " + zeros(W) + " : " + low;
    } else {  // SAT, SAT_SYM
      e = low;
      if (!ov.empty()) e = ov + " ? " + hex_lit(T.max_raw(), W, false) + " : " + e;
      if (!lo.empty()) e = lo + " ? " + hex_lit(saturation_low(T), W, false) + " : " + e;
      if (!hi.empty()) e = hi + " ? " + hex_lit(T.max_raw(), W, false) + " : " + e;
    }
    finish(i, e, W, 0);
  }

  // ---- outputs, valid, registers, unused ----------------------------------------

  void outputs() {
    for (size_t p = 0; p < n_.outputs.size(); ++p) {
      const NetPort& port = n_.outputs[p];
      const Fixed& T = port.type;
      std::string cat;
      for (size_t k = port.values.size(); k-- > 0;) {
        const int j = port.values[k];
        const Fixed& t = n_.values[size_t(j)].type;
        if (t.frac_bits() > T.frac_bits())
          fail(j, "output port '" + port.name + "' type " + T.str() + " drops fraction bits of " + t.str());
        cat += (cat.empty() ? "" : ", ") + aligned(ref(j, n_.latency), t.is_signed, t.frac_bits(), T.frac_bits(), T.width);
      }
      body_ << "  assign " << out_names_[p] << " = " << (port.values.size() == 1 ? cat : "{" + cat + "}") << ";\n";
    }
  }

  void valid() {
    if (!o_.valid) return;
    const int L = n_.latency;
    if (L == 0) {
      body_ << "  assign valid_out = valid_in;\n";
      return;
    }
    valid_regs_ = true;
    body_ << "  reg " << range(L) << " valid_sr;\n";
    regs_ << "    valid_sr <= " << (L == 1 ? std::string("valid_in") : "{valid_sr[" + std::to_string(L - 2) + ":0], valid_in}")
          << ";\n";
    body_ << "  assign valid_out = valid_sr[" << L - 1 << "];\n";
  }

  void registers() {
    if (regs_.str().empty()) return;
    body_ << "  always @(posedge clk) begin\n" << regs_.str() << "  end\n";
  }

  void unused() {
    std::vector<std::string> parts;
    for (const auto& name : order_) {
      const Sig& s = sigs_.at(name);
      for (int k = 0; k < s.width;) {
        if (s.read[size_t(k)]) {
          ++k;
          continue;
        }
        int e = k;
        while (e + 1 < s.width && !s.read[size_t(e + 1)]) ++e;
        parts.push_back(s.width == 1 && name == "clk" ? name
                        : e == k                      ? name + "[" + std::to_string(k) + "]"
                                                      : name + "[" + std::to_string(e) + ":" + std::to_string(k) + "]");
        k = e + 1;
      }
    }
    if (parts.empty()) return;
    body_ << "  // Bits dropped by design (see the header).\n  wire _unused_ok = &{1'b0";
    for (const auto& p : parts) body_ << ",\n    " << p;
    body_ << ",\n    1'b0};\n";
  }

  const Netlist& n_;
  const VerilogOptions& o_;
  std::vector<int> iw_;  ///< implemented width of every value (demand.hpp)
  std::vector<bool> live_;
  std::vector<int> need_;  ///< registers needed after each value (stages)
  std::vector<std::string> in_names_, out_names_;
  std::ostringstream body_, regs_;
  bool valid_regs_ = false;
  std::map<std::string, Sig> sigs_;
  std::vector<std::string> order_;
  std::string last_layer_;
};

}  // namespace

std::string verilog_module_name(const std::string& model_path) {
  std::string stem = model_path;
  const size_t slash = stem.find_last_of('/');
  if (slash != std::string::npos) stem = stem.substr(slash + 1);
  const size_t dot = stem.find_last_of('.');
  if (dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
  return "ng_" + sanitize(stem);
}

std::string write_verilog(const Netlist& n, const VerilogOptions& options) { return Writer(n, options).run(); }

}  // namespace nanogate
