// nanogate — the VHDL-2008 dialect of the netlist printer
// (src/backend/rtl/netlist_printer.hpp decides the circuit; this file spells it).
//
// Every internal signal is `unsigned` (a bit pattern, as a Verilog wire is);
// signedness enters only where the printer asks for it: sign extension
// (resize of a signed view), signed products and signed comparisons. Ports
// are std_logic_vector subtypes of the package and are converted where they
// are read. Operands are extended with numeric_std's resize, so every
// expression has exactly the width of the signal it drives. Concatenations
// are parenthesised because VHDL gives `&` and `+` the same precedence; the
// printer's conditional chains become when/else assignments.
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
  std::string mux(const std::string& cond, const std::string& a, const std::string& b) const override {
    return a + " when " + cond + " else " + b;
  }

  void begin(const std::string& top, bool valid, const std::vector<std::string>& header,
             const std::vector<HdlPort>& inputs, const std::vector<HdlPort>& outputs) override {
    top_ = top;
    for (const auto& line : header) out_ << "-- " << line << "\n";
    out_ << "-- Bus subtypes, element types and LATENCY: package " << top << "_pkg (" << top << "_pkg.vhd).\n";
    out_ << "library ieee;\nuse ieee.std_logic_1164.all;\nuse ieee.numeric_std.all;\nuse work." << top
         << "_pkg.all;\n\n";
    out_ << "entity " << top << " is\n  port (\n    clk : in std_logic";
    if (valid) out_ << ";\n    valid_in : in std_logic;\n    valid_out : out std_logic";
    for (const auto& p : inputs) {
      out_ << ";\n    " << p.name << " : in " << p.name << "_t";
      ports_.insert(p.name);
    }
    for (const auto& p : outputs) out_ << ";\n    " << p.name << " : out " << p.name << "_t";
    out_ << "\n  );\nend entity " << top << ";\n\n";
    decls_ << "  attribute keep : boolean;\n";
  }
  void comment(const std::string& text) override { body_ << "  -- " << text << "\n"; }
  void wire(const std::string& name, int width, bool, const std::string& expr, bool keep) override {
    decls_ << "  signal " << name << " : unsigned" << range(width) << ";\n";
    if (keep) decls_ << "  attribute keep of " << name << " : signal is true;\n";
    body_ << "  " << name << " <= " << expr << ";\n";
  }
  void wire_bit(const std::string& name, const std::string& bit_expr) override {
    decls_ << "  signal " << name << " : unsigned(0 downto 0);\n";
    body_ << "  " << name << "(0) <= " << bit_expr << ";\n";
  }
  void registers(const std::vector<std::string>& names, int width, bool) override {
    decls_ << "  signal " << rtl_detail::join(names, ", ") << " : unsigned" << range(width) << " := (others => '0');\n";
  }
  void reg_assign(const std::string& dst, const std::string& src) override {
    regs_ << "      " << dst << " <= " << src << ";\n";
  }
  void rom(const std::string& name, int width, const std::string& addr, int addr_width,
           const std::vector<int64_t>& table) override {
    decls_ << "  signal " << name << " : unsigned" << range(width) << ";\n";
    body_ << "  with " << addr << " select " << name << " <=\n";
    for (size_t k = 0; k < table.size(); ++k)
      body_ << "    " << bits_lit(table[k], width) << " when " << bits_lit(i128(k), addr_width) << ",\n";
    body_ << "    (others => '0') when others;\n";
  }
  void assign_output(const std::string& name, const std::string& expr) override {
    body_ << "  " << name << " <= std_logic_vector(" << expr << ");\n";
  }
  void valid(int L) override {
    if (L == 0) {
      body_ << "  valid_out <= valid_in;\n";
      return;
    }
    decls_ << "  signal valid_sr : std_logic_vector" << range(L) << " := (others => '0');\n";
    regs_ << "      valid_sr <= "
          << (L == 1 ? std::string("(0 => valid_in)") : "valid_sr(" + std::to_string(L - 2) + " downto 0) & valid_in")
          << ";\n";
    body_ << "  valid_out <= valid_sr(" << L - 1 << ");\n";
  }
  std::string end(const std::vector<std::string>&) override {
    out_ << "architecture rtl of " << top_ << " is\n" << decls_.str() << "begin\n" << body_.str();
    if (!regs_.str().empty())
      out_ << "  registers : process (clk)\n  begin\n    if rising_edge(clk) then\n"
           << regs_.str() << "    end if;\n  end process registers;\n";
    out_ << "end architecture rtl;\n";
    return out_.str();
  }

 private:
  std::string top_;
  std::set<std::string> ports_;  ///< input ports (std_logic_vector): converted where read
  std::ostringstream out_, decls_, body_, regs_;
};

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string write_vhdl(const Netlist& n, const VhdlOptions& options) {
  const verilog_detail::PortNames names = verilog_detail::port_names(n);
  std::set<std::string> seen{lower(options.top), "clk", "valid_in", "valid_out"};
  for (const auto* list : {&names.inputs, &names.outputs})
    for (const auto& p : *list)
      if (!seen.insert(lower(p)).second)
        throw Error(n.source, "port name '" + p + "' clashes with another VHDL identifier (VHDL ignores case)");
  VhdlDialect d;
  return rtl_detail::print_netlist(n, options.top, options.valid, d);
}

}  // namespace nanogate
