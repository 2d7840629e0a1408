// nanogate — the language-neutral half of the RTL writers (internal to the
// Verilog and VHDL backends).
//
// print_netlist walks a pipelined Netlist once and decides everything about
// the circuit: which values are live, how many register stages each value is
// carried (the register plan), every operand's alignment and width, the
// rounding/saturation structure of each Quantize (quantize_plan.hpp), the
// port names (naming.hpp) and the header comment. It hands each decision to
// a Dialect, which only spells it in one language. So the Verilog and the VHDL
// of a netlist are the same circuit by construction: the same signals
// (`v<index>`, `v<index>_d<k>`, ...), of the same widths, computing the same
// expressions; only the syntax differs.
//
// Expression strings. A "vector" expression has exactly the width the printer
// states (no implicit extension in either language); a "bit" is one scalar
// bit (Verilog: a 1-bit expression, VHDL: std_ulogic); a "condition" is a
// truth value (Verilog: a 1-bit expression, VHDL: boolean). Dialect functions
// say which they take and return. mux() is only ever the whole right-hand
// side of a signal assignment (possibly a chain mux(c1, a, mux(c2, b, e))), so
// a dialect may print it as a statement-level conditional (VHDL if/elsif).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nanogate/fixed.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate::rtl_detail {

/// One module/entity port as printed: its identifier and its bus width (bits).
struct HdlPort {
  std::string name;
  int bits = 0;
};

/// The syntax of one HDL (see the file comment for the expression kinds).
/// Statement functions append to the dialect's own text buffers; end()
/// returns the whole design text.
class Dialect {
 public:
  virtual ~Dialect() = default;

  /// Language name for the header line, e.g. "Verilog-2001".
  virtual std::string language() const = 0;

  // ---- expressions ----------------------------------------------------------
  /// The low `width` bits of v (two's complement, sign-extended beyond 128
  /// bits) as a vector; `sgn` marks a literal compared as signed.
  virtual std::string literal(i128 v, int width, bool sgn) const = 0;
  /// n zero bits as a vector.
  virtual std::string zeros(int n) const = 0;
  /// The whole of signal `name` as a vector (a port converted if needed).
  virtual std::string whole(const std::string& name) const = 0;
  /// Bits [hi:lo] of signal `name` as a vector (a 1-bit vector when hi == lo).
  virtual std::string slice(const std::string& name, int hi, int lo) const = 0;
  /// Bit k of signal `name` as a bit.
  virtual std::string bit(const std::string& name, int k) const = 0;
  /// The constant bit 0.
  virtual std::string bit_zero() const = 0;
  virtual std::string bit_not(const std::string& a) const = 0;
  virtual std::string bit_and(const std::string& a, const std::string& b) const = 0;
  /// a | b, parenthesised.
  virtual std::string bit_or(const std::string& a, const std::string& b) const = 0;
  /// a ^ b, parenthesised.
  virtual std::string bit_xor(const std::string& a, const std::string& b) const = 0;
  /// OR of all bits of a vector, as a bit.
  virtual std::string or_reduce(const std::string& vec) const = 0;
  /// Concatenation, most significant part first (>= 2 parts; vectors or bits,
  /// never two bits alone).
  virtual std::string cat(const std::vector<std::string>& parts) const = 0;
  /// Vector `vec` of `width` bits extended to `to` > width bits: sign-extended
  /// (fill = its top bit, as a bit) when sgn, else zero-extended.
  virtual std::string extend(const std::string& vec, int width, int to, bool sgn, const std::string& fill) const = 0;
  /// a + b or a − b of two vectors of one width, modulo 2^width.
  virtual std::string add(const std::string& a, const std::string& b, bool sub) const = 0;
  /// A multiplier operand read as a signed number (for a signed product).
  virtual std::string as_signed(const std::string& vec) const = 0;
  /// The full product a * b (width of a + width of b), signed when sgn (then
  /// both operands come from as_signed), as a vector.
  virtual std::string mul(const std::string& a, const std::string& b, bool sgn) const = 0;
  /// A signed comparison of two vectors of one width as a condition; op is
  /// one of ">=", ">", "<=", "<", "==".
  virtual std::string compare(const std::string& a, const std::string& op, const std::string& b) const = 0;
  /// A bit as a condition (true when 1).
  virtual std::string is_set(const std::string& bit) const = 0;
  /// The OR of two conditions.
  virtual std::string cond_or(const std::string& a, const std::string& b) const = 0;
  /// A condition as a 1-bit vector.
  virtual std::string cond_bit(const std::string& cond) const = 0;
  /// `a` when cond, else `b` (vectors of one width); only as a whole
  /// right-hand side (see the file comment).
  virtual std::string mux(const std::string& cond, const std::string& a, const std::string& b) const = 0;

  // ---- statements -----------------------------------------------------------
  /// Starts the design: the header comment (one string per line, without
  /// comment markers) and the module/entity with clk, valid_in/valid_out
  /// (when valid) and the data ports, in this order.
  virtual void begin(const std::string& top, bool valid, const std::vector<std::string>& header,
                     const std::vector<HdlPort>& inputs, const std::vector<HdlPort>& outputs) = 0;
  /// Where the statements that follow (up to the next call) belong:
  /// Clocked for the logic of a value computed in a stage before the last
  /// (stage < latency: it and its helper signals are read only by logic of
  /// the same stage and by registers), Combinational for the last stage's
  /// logic and the output assignments (read combinationally by the outputs),
  /// Constant for a constant (one wire of a literal, read by either). A
  /// dialect may print the clocked region's logic inside the clocked process
  /// (VHDL: variables, see vhdl_writer.cpp); the default ignores it.
  enum class Region { Clocked, Combinational, Constant };
  virtual void region(Region r) { (void)r; }
  /// A one-line comment in the body.
  virtual void comment(const std::string& text) = 0;
  /// Declares `name` (width bits) driven by the vector expression; `keep`
  /// asks synthesis to keep it (adders, see verilog_writer.cpp).
  virtual void wire(const std::string& name, int width, bool sgn, const std::string& expr, bool keep) = 0;
  /// Declares the 1-bit vector `name` driven by a bit expression.
  virtual void wire_bit(const std::string& name, const std::string& bit_expr) = 0;
  /// Declares the registers `names` (width bits each, powered up at 0).
  virtual void registers(const std::vector<std::string>& names, int width, bool sgn) = 0;
  /// dst <= src on every rising clock edge.
  virtual void reg_assign(const std::string& dst, const std::string& src) = 0;
  /// A ROM: `name` (width bits) = table[addr], addr a vector of addr_width bits.
  virtual void rom(const std::string& name, int width, const std::string& addr, int addr_width,
                   const std::vector<int64_t>& table) = 0;
  /// Drives output port `name` with a vector expression of its width.
  virtual void assign_output(const std::string& name, const std::string& expr) = 0;
  /// valid_out = valid_in delayed by `latency` cycles.
  virtual void valid(int latency) = 0;
  /// Finishes the design and returns its text. `unused` lists the bits no
  /// logic reads ("name", "name[k]" or "name[hi:lo]"), for a language whose
  /// linter wants them named.
  virtual std::string end(const std::vector<std::string>& unused) = 0;
};

/// Hexadecimal digits (lower case, most significant first, ceil(width/4) of
/// them) of the low `width` bits of v (two's complement, sign-extended beyond
/// 128 bits); bits above `width` in the top digit are 0.
std::string hex_digits(i128 v, int width);

/// The parts joined by `sep` ("a, b, c").
std::string join(const std::vector<std::string>& parts, const std::string& sep);

/// One line of comment text (no newlines, no block-comment terminators).
std::string comment_text(const std::string& s);

/// Prints netlist `n` (pipelined: NetValue::stage, Netlist::latency) as a
/// design named `top` with valid ports when `valid`, through `d`. Throws
/// nanogate::Error (naming the source, the value and its layer) for a netlist
/// it cannot print: an argument that does not precede its user or is used in
/// an earlier stage than its own, a width outside 1..64, a Lut whose table
/// size is not 2^W of its argument (W <= 20), a Cmp whose type is not a
/// 1-bit unsigned integer, an output port type that drops fraction bits.
std::string print_netlist(const Netlist& n, const std::string& top, bool valid, Dialect& d);

}  // namespace nanogate::rtl_detail
