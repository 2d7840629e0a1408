// nanogate — the Verilog-2001 dialect of the netlist printer
// (src/backend/rtl/netlist_printer.hpp decides the circuit; this file spells it).
//
// Every expression has exactly the width of the wire it drives (no WIDTH
// warnings): operands are extended with concatenations, `{{n{fill}}, x}`.
// Signedness matters only in comparisons, which are made between `signed`
// wires of one width.
//
// Adders (Add, Neg) are computed one guard bit wider than their value, into a
// `(* keep *)` wire the value is sliced from. Otherwise Yosys' alumacc merges
// every adder whose result feeds exactly one other adder into multi-operand
// $macc cells, which maccmap builds from LUT-based carry-save trees instead of
// carry chains (measured with synth_xilinx on AXOL1TL v1's input scaling and
// first Dense layer: 8,308 LUTs merged, 5,748 with the guard). The kept guard
// bit costs at most one carry-chain bit per adder.
#include <sstream>

#include "backend/rtl/netlist_printer.hpp"
#include "nanogate/backend/verilog.hpp"
#include "naming.hpp"

namespace nanogate {

namespace {

using rtl_detail::HdlPort;
using verilog_detail::sanitize;

/// Sized hexadecimal literal of the low `width` bits of v (two's complement,
/// sign-extended beyond 128 bits): "8'hfb", or "9'sh1fb" when sgn.
std::string hex_lit(i128 v, int width, bool sgn) {
  return std::to_string(width) + (sgn ? "'sh" : "'h") + rtl_detail::hex_digits(v, width);
}

std::string range(int w) { return "[" + std::to_string(w - 1) + ":0]"; }

class VerilogDialect final : public rtl_detail::Dialect {
 public:
  std::string language() const override { return "Verilog-2001"; }

  std::string literal(i128 v, int width, bool sgn) const override { return hex_lit(v, width, sgn); }
  std::string zeros(int n) const override { return "{" + std::to_string(n) + "{1'b0}}"; }
  std::string whole(const std::string& name) const override { return name; }
  std::string slice(const std::string& name, int hi, int lo) const override {
    if (hi == lo) return bit(name, hi);
    return name + "[" + std::to_string(hi) + ":" + std::to_string(lo) + "]";
  }
  std::string bit(const std::string& name, int k) const override { return name + "[" + std::to_string(k) + "]"; }
  std::string bit_zero() const override { return "1'b0"; }
  std::string bit_not(const std::string& a) const override { return "~" + a; }
  std::string bit_and(const std::string& a, const std::string& b) const override { return a + " & " + b; }
  std::string bit_or(const std::string& a, const std::string& b) const override { return "(" + a + " | " + b + ")"; }
  std::string bit_xor(const std::string& a, const std::string& b) const override { return "(" + a + " ^ " + b + ")"; }
  std::string or_reduce(const std::string& vec) const override { return "(|" + vec + ")"; }
  std::string cat(const std::vector<std::string>& parts) const override {
    return "{" + rtl_detail::join(parts, ", ") + "}";
  }
  std::string extend(const std::string& vec, int width, int to, bool, const std::string& fill) const override {
    return "{{" + std::to_string(to - width) + "{" + fill + "}}, " + vec + "}";
  }
  std::string add(const std::string& a, const std::string& b, bool sub) const override {
    return a + (sub ? " - " : " + ") + b;
  }
  std::string as_signed(const std::string& vec) const override { return "$signed(" + vec + ")"; }
  std::string mul(const std::string& a, const std::string& b, bool) const override { return a + " * " + b; }
  std::string compare(const std::string& a, const std::string& op, const std::string& b) const override {
    return "(" + a + " " + op + " " + b + ")";
  }
  std::string is_set(const std::string& bit) const override { return bit; }
  std::string cond_or(const std::string& a, const std::string& b) const override { return "(" + a + " | " + b + ")"; }
  std::string cond_bit(const std::string& cond) const override { return cond; }
  std::string mux(const std::string& cond, const std::string& a, const std::string& b) const override {
    return cond + " ? " + a + " : " + b;
  }

  void begin(const std::string& top, bool valid, const std::vector<std::string>& header,
             const std::vector<HdlPort>& inputs, const std::vector<HdlPort>& outputs) override {
    for (const auto& line : header) out_ << "// " << line << "\n";
    out_ << "// Bits the arithmetic drops by design (truncated LSBs, wrapped MSBs, unused\n"
            "// inputs) are gathered in _unused_ok, exempt from Verilator's UNUSED lint.\n";
    out_ << "module " << top << " (\n  input wire clk";
    if (enable_) out_ << ",\n  input wire ce";
    if (valid) out_ << ",\n  input wire valid_in,\n  output wire valid_out";
    for (const auto& p : inputs) out_ << ",\n  input wire " << range(p.bits) << " " << p.name;
    for (const auto& p : outputs) out_ << ",\n  output wire " << range(p.bits) << " " << p.name;
    out_ << "\n);\n";
  }
  void comment(const std::string& text) override { out_ << "  // " << text << "\n"; }
  void wire(const std::string& name, int width, bool sgn, const std::string& expr, bool keep) override {
    out_ << "  " << (keep ? "(* keep *) " : "") << "wire " << (sgn ? "signed " : "") << range(width) << " " << name
         << " = " << expr << ";\n";
  }
  void wire_bit(const std::string& name, const std::string& bit_expr) override { wire(name, 1, false, bit_expr, false); }
  void registers(const std::vector<std::string>& names, int width, bool sgn) override {
    out_ << "  reg " << (sgn ? "signed " : "") << range(width) << " " << rtl_detail::join(names, ", ") << ";\n";
  }
  void reg_assign(const std::string& dst, const std::string& src) override {
    regs_ << "    " << dst << " <= " << src << ";\n";
  }
  void rom(const std::string& name, int width, const std::string& addr, int addr_width,
           const std::vector<int64_t>& table) override {
    out_ << "  reg " << range(width) << " " << name << ";\n  always @* begin\n    case (" << addr << ")\n";
    for (size_t k = 0; k < table.size(); ++k)
      out_ << "      " << hex_lit(i128(k), addr_width, false) << ": " << name << " = " << hex_lit(table[k], width, false)
           << ";\n";
    out_ << "    endcase\n  end\n";
  }
  void assign_output(const std::string& name, const std::string& expr) override {
    out_ << "  assign " << name << " = " << expr << ";\n";
  }
  void valid(int L) override {
    if (L == 0) {
      out_ << "  assign valid_out = valid_in;\n";
      return;
    }
    out_ << "  reg " << range(L) << " valid_sr;\n";
    regs_ << "    valid_sr <= " << (L == 1 ? std::string("valid_in") : "{valid_sr[" + std::to_string(L - 2) + ":0], valid_in}")
          << ";\n";
    out_ << "  assign valid_out = valid_sr[" << L - 1 << "];\n";
  }
  std::string end(const std::vector<std::string>& unused) override {
    if (!regs_.str().empty())
      out_ << "  always @(posedge clk) " << (enable_ ? "if (ce) " : "") << "begin\n" << regs_.str() << "  end\n";
    const bool ce_unused = enable_ && regs_.str().empty();
    if (!unused.empty() || ce_unused) {
      out_ << "  // Bits dropped by design (see the header).\n  wire _unused_ok = &{1'b0";
      if (ce_unused) out_ << ",\n    ce";
      for (const auto& p : unused) out_ << ",\n    " << p;
      out_ << ",\n    1'b0};\n";
    }
    out_ << "endmodule\n";
    return out_.str();
  }

 public:
  explicit VerilogDialect(bool enable) : enable_(enable) {}

 private:
  const bool enable_;  ///< the ce input (VerilogOptions::clock_enable)
  std::ostringstream out_, regs_;
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

std::string write_verilog(const Netlist& n, const VerilogOptions& options) {
  VerilogDialect d(options.clock_enable);
  return rtl_detail::print_netlist(n, options.top, options.valid, d);
}

}  // namespace nanogate
