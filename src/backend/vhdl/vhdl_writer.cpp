// nanogate — the VHDL-2008 dialect of the netlist printer
// (src/backend/rtl/netlist_printer.hpp decides the circuit; this file spells it).
//
// Every internal value is `unsigned` (a bit pattern, as a Verilog wire is);
// signedness enters only where the printer asks for it: sign extension
// (resize of a signed view), signed products and signed comparisons. Ports
// are std_logic_vector subtypes of the package and are converted where they
// are read. Operands are extended with numeric_std's resize, so every
// expression has exactly the width of the value it drives. Concatenations
// are parenthesised because VHDL gives `&` and `+` the same precedence; the
// printer's conditional chains become conditional assignments.
//
// The registers are signals; every other value is a variable, assigned once,
// before any read, in one of two processes: `pipeline` (clocked: the logic of
// every stage before the last, whose values only registers and same-stage
// logic read, and the register assignments) and `outputs` (process (all): the
// last stage's logic and the output ports). Synthesis builds the same
// combinational logic as from one signal per value (a variable written before
// it is read in a process is a wire), but a simulator runs two processes per
// clock cycle instead of one process and one delta cycle per value: GHDL 2.0
// (mcode) simulates the jet tagger 5.5x faster (6.5 -> 36 vectors/s), CICADA
// 2.5x (bench/README.md); what is left is numeric_std's `+` (~5 us a call).
// A mux chain is an if/elsif statement (GHDL 2.0 cannot elaborate a
// conditional variable assignment in a process (all)). The guard-bit adder results keep
// `attribute keep` (on a variable: a hint synthesis may ignore; see
// verilog_writer.cpp for why the Verilog keeps them).
#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "backend/rtl/netlist_printer.hpp"
#include "backend/verilog/naming.hpp"
#include "nanogate/backend/vhdl.hpp"
#include "nanogate/error.hpp"

namespace nanogate {

namespace {

using rtl_detail::HdlPort;

std::string range(int w) { return "(" + std::to_string(w - 1) + " downto 0)"; }

/// An unqualified VHDL-2008 sized bit-string literal: 8x"fb".
std::string bits_lit(i128 v, int width) { return std::to_string(width) + "x\"" + rtl_detail::hex_digits(v, width) + "\""; }

class VhdlDialect final : public rtl_detail::Dialect {
 public:
  std::string language() const override { return "VHDL-2008"; }

  std::string literal(i128 v, int width, bool) const override { return "unsigned'(" + bits_lit(v, width) + ")"; }
  std::string zeros(int n) const override { return literal(0, n, false); }
  std::string whole(const std::string& name) const override {
    return ports_.count(name) ? "unsigned(" + name + ")" : name;
  }
  std::string slice(const std::string& name, int hi, int lo) const override {
    const std::string s = name + "(" + std::to_string(hi) + " downto " + std::to_string(lo) + ")";
    return ports_.count(name) ? "unsigned(" + s + ")" : s;
  }
  std::string bit(const std::string& name, int k) const override { return name + "(" + std::to_string(k) + ")"; }
  std::string bit_zero() const override { return "std_ulogic'('0')"; }
  std::string bit_not(const std::string& a) const override { return "(not " + a + ")"; }
  std::string bit_and(const std::string& a, const std::string& b) const override { return a + " and " + b; }
  std::string bit_or(const std::string& a, const std::string& b) const override { return "(" + a + " or " + b + ")"; }
  std::string bit_xor(const std::string& a, const std::string& b) const override { return "(" + a + " xor " + b + ")"; }
  std::string or_reduce(const std::string& vec) const override { return "(or " + vec + ")"; }
  std::string cat(const std::vector<std::string>& parts) const override {
    return "(" + rtl_detail::join(parts, " & ") + ")";
  }
  std::string extend(const std::string& vec, int, int to, bool sgn, const std::string&) const override {
    return sgn ? "unsigned(resize(signed(" + vec + "), " + std::to_string(to) + "))"
               : "resize(" + vec + ", " + std::to_string(to) + ")";
  }
  std::string add(const std::string& a, const std::string& b, bool sub) const override {
    return a + (sub ? " - " : " + ") + b;
  }
  std::string as_signed(const std::string& vec) const override { return "signed(" + vec + ")"; }
  std::string mul(const std::string& a, const std::string& b, bool sgn) const override {
    return sgn ? "unsigned(" + a + " * " + b + ")" : a + " * " + b;
  }
  std::string compare(const std::string& a, const std::string& op, const std::string& b) const override {
    return "(signed(" + a + ") " + (op == "==" ? std::string("=") : op) + " signed(" + b + "))";
  }
  std::string is_set(const std::string& bit) const override { return "(" + bit + " = '1')"; }
  std::string cond_or(const std::string& a, const std::string& b) const override { return "(" + a + " or " + b + ")"; }
  std::string cond_bit(const std::string& cond) const override { return "to_u1" + cond; }
  // A mux chain is kept as a marked string (kMux cond kThen a kElse b, b
  // possibly a chain) that assign() prints as an if/elsif statement: GHDL 2.0
  // cannot elaborate a conditional variable assignment in a process (all).
  std::string mux(const std::string& cond, const std::string& a, const std::string& b) const override {
    return kMux + cond + kThen + a + kElse + b;
  }

  void begin(const std::string& top, bool valid, const std::vector<std::string>& header,
             const std::vector<HdlPort>& inputs, const std::vector<HdlPort>& outputs) override {
    top_ = top;
    for (const auto& line : header) out_ << "-- " << line << "\n";
    out_ << "-- Bus subtypes, element types and LATENCY: package " << top << "_pkg (" << top << "_pkg.vhd).\n";
    out_ << "library ieee;\nuse ieee.std_logic_1164.all;\nuse ieee.numeric_std.all;\nuse work." << top
         << "_pkg.all;\n\n";
    out_ << "entity " << top << " is\n  port (\n    clk : in std_logic";
    if (enable_) out_ << ";\n    ce : in std_logic";
    if (valid) out_ << ";\n    valid_in : in std_logic;\n    valid_out : out std_logic";
    for (const auto& p : inputs) {
      out_ << ";\n    " << p.name << " : in " << p.name << "_t";
      ports_.insert(p.name);
    }
    for (const auto& p : outputs) out_ << ";\n    " << p.name << " : out " << p.name << "_t";
    out_ << "\n  );\nend entity " << top << ";\n\n";
    decls_ << "  attribute keep : boolean;\n";
  }
  void region(Region r) override { region_ = r; }
  void comment(const std::string& text) override {
    (region_ == Region::Constant ? decls_ : body()) << (region_ == Region::Constant ? "  " : ind()) << "-- " << text
                                                    << "\n";
  }
  void wire(const std::string& name, int width, bool, const std::string& expr, bool keep) override {
    if (region_ == Region::Constant) {
      decls_ << "  constant " << name << " : unsigned" << range(width) << " := " << expr << ";\n";
      return;
    }
    vars() << "    variable " << name << " : unsigned" << range(width) << ";\n";
    if (keep) vars() << "    attribute keep of " << name << " : variable is true;\n";
    assign(name, expr);
  }
  void wire_bit(const std::string& name, const std::string& bit_expr) override {
    vars() << "    variable " << name << " : unsigned(0 downto 0);\n";
    body() << ind() << name << "(0) := " << bit_expr << ";\n";
  }
  void registers(const std::vector<std::string>& names, int width, bool) override {
    decls_ << "  signal " << rtl_detail::join(names, ", ") << " : unsigned" << range(width) << " := (others => '0');\n";
  }
  void reg_assign(const std::string& dst, const std::string& src) override {
    seq_body_ << "      " << dst << " <= " << src << ";\n";
  }
  void rom(const std::string& name, int width, const std::string& addr, int addr_width,
           const std::vector<int64_t>& table) override {
    vars() << "    variable " << name << " : unsigned" << range(width) << ";\n";
    const std::string i = ind();
    body() << i << "case " << addr << " is\n";
    for (size_t k = 0; k < table.size(); ++k)
      body() << i << "  when " << bits_lit(i128(k), addr_width) << " => " << name << " := " << bits_lit(table[k], width)
             << ";\n";
    body() << i << "  when others => " << name << " := (others => '0');\n" << i << "end case;\n";
  }
  void assign_output(const std::string& name, const std::string& expr) override {
    comb_body_ << "    " << name << " <= std_logic_vector(" << expr << ");\n";
  }
  void valid(int L) override {
    if (L == 0) {
      tail_ << "  valid_out <= valid_in;\n";
      return;
    }
    decls_ << "  signal valid_sr : std_logic_vector" << range(L) << " := (others => '0');\n";
    seq_body_ << "      valid_sr <= "
              << (L == 1 ? std::string("(0 => valid_in)") : "valid_sr(" + std::to_string(L - 2) + " downto 0) & valid_in")
              << ";\n";
    tail_ << "  valid_out <= valid_sr(" << L - 1 << ");\n";
  }
  std::string end(const std::vector<std::string>&) override {
    out_ << "architecture rtl of " << top_ << " is\n" << decls_.str() << "begin\n";
    if (!seq_body_.str().empty())
      out_ << "  pipeline : process (clk)\n" << seq_vars_.str() << "  begin\n    if rising_edge(clk)"
           << (enable_ ? " and ce = '1'" : "") << " then\n" << seq_body_.str() << "    end if;\n  end process pipeline;\n";
    out_ << "  outputs : process (all)\n" << comb_vars_.str() << "  begin\n" << comb_body_.str()
         << "  end process outputs;\n" << tail_.str() << "end architecture rtl;\n";
    return out_.str();
  }

 public:
  explicit VhdlDialect(bool enable) : enable_(enable) {}

 private:
  static constexpr char kMux = '\x01', kThen = '\x02', kElse = '\x03';

  /// name := expr, a mux chain (see mux()) as an if/elsif statement.
  void assign(const std::string& name, const std::string& expr) {
    const std::string i = ind();
    if (expr.empty() || expr[0] != kMux) {
      body() << i << name << " := " << expr << ";\n";
      return;
    }
    std::string rest = expr;
    const char* kw = "if ";
    while (!rest.empty() && rest[0] == kMux) {
      const size_t t = rest.find(kThen), e = rest.find(kElse, t);
      body() << i << kw << rest.substr(1, t - 1) << " then\n" << i << "  " << name << " := " << rest.substr(t + 1, e - t - 1)
             << ";\n";
      rest = rest.substr(e + 1);
      kw = "elsif ";
    }
    body() << i << "else\n" << i << "  " << name << " := " << rest << ";\n" << i << "end if;\n";
  }
  bool clocked() const { return region_ == Region::Clocked; }
  std::ostringstream& vars() { return clocked() ? seq_vars_ : comb_vars_; }
  std::ostringstream& body() { return clocked() ? seq_body_ : comb_body_; }
  std::string ind() const { return clocked() ? "      " : "    "; }

  const bool enable_;  ///< the ce input (VerilogOptions::clock_enable)
  std::string top_;
  std::set<std::string> ports_;  ///< input ports (std_logic_vector): converted where read
  Region region_ = Region::Combinational;  ///< where statements go (region())
  std::ostringstream out_, decls_, seq_vars_, seq_body_, comb_vars_, comb_body_, tail_;
};

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string write_vhdl(const Netlist& n, const VhdlOptions& options) {
  const verilog_detail::PortNames names = verilog_detail::port_names(n);
  std::set<std::string> seen{lower(options.top), "clk", "ce", "valid_in", "valid_out"};
  for (const auto* list : {&names.inputs, &names.outputs})
    for (const auto& p : *list)
      if (!seen.insert(lower(p)).second)
        throw Error(n.source, "port name '" + p + "' clashes with another VHDL identifier (VHDL ignores case)");
  VhdlDialect d(options.clock_enable);
  return rtl_detail::print_netlist(n, options.top, options.valid, d);
}

}  // namespace nanogate
