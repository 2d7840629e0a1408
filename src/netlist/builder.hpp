// nanogate — building netlist values: exact typing by interval analysis,
// constant folding, sharing of identical values (hash-consing) and constant
// multiplication by shift-and-add. The lowering (lower*.cpp) writes layers in
// terms of these operations and never sets a type of an exact op itself.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// A value scaled by a free wired shift and sign: ±value·2^shift. v < 0 is the
/// constant zero. Terms let shifts and negations ride along until a value is
/// needed (an Add takes them as operand shifts / subtraction for free).
struct Term {
  int v = -1;
  int shift = 0;
  bool neg = false;
  bool zero() const { return v < 0; }
};

/// Appends values to a Netlist. Every new value gets `layer` as its layer.
/// Values whose arguments are all constants are folded into Const values,
/// identical values are created once. Exact ops get the smallest type that
/// holds their result over the argument types (the check Netlist::verify
/// repeats). Throws FixedTypeError when an exact value would need more than
/// 64 bits (the lowering turns it into a nanogate::Error naming the layer).
class NetBuilder {
 public:
  explicit NetBuilder(Netlist& net) : net_(net) {}
  /// The netlist being built (for notes and reports).
  Netlist& netlist() { return net_; }

  std::string layer;  ///< layer-graph node of the values being built
  bool expand_products = false;  ///< mul() of two variables as shift-and-add rows (see mul)

  /// Input value of element `index` of input port `port` (type t).
  int input(int port, int index, const Fixed& t);
  /// Const with raw code `raw` in the format of t (modes TRN/WRAP).
  int constant(int64_t raw, const Fixed& t);
  /// Const of value raw·2^-frac in the smallest type holding it.
  int constant(i128 raw, int frac);
  bool is_const(int v) const { return net_.values.at(size_t(v)).op == NetOp::Const; }
  const Fixed& type(int v) const { return net_.values.at(size_t(v)).type; }
  /// Value of the Const v as a raw code at LSB 2^-frac (a constant keeps its
  /// own, possibly narrower, type: NetBuilder::quantize). Throws
  /// std::logic_error when v is not a Const, or its value is not a multiple
  /// of 2^-frac, or the shift exceeds 62 bits.
  i128 const_code(int v, int frac) const;

  /// a + b, exact (an Add with operand shifts; a common shift stays in the term).
  Term add(Term a, Term b);
  /// Exact sum of terms: constants folded into one, added last; the others by
  /// a balanced tree (adder depth ceil(log2 n)) in the given order.
  Term sum(std::vector<Term> terms);
  /// Exact sum in the given order, a chain (for when the order matters to a
  /// consumer; exact sums are order-free, so sum() is usually better).
  Term chain(const std::vector<Term>& terms);
  /// x·w·2^-wfrac exactly: shift-and-add over the CSD digits of w's signed
  /// odd part (shared per (value, odd part); −odd reuses +odd negated); w = 0
  /// costs nothing.
  Term mul_const(Term x, int64_t w, int wfrac);
  /// a·b of two values, exact. A constant operand becomes mul_const; two
  /// variables become one Mul op, or, with expand_products, shift-and-add
  /// rows: for every bit j of the narrower operand b (weight 2^(j - F_b),
  /// negative for a signed b's MSB as in Baugh and Wooley, IEEE Trans.
  /// Computers C-22(12), 1973), a Mux selecting a or 0, summed by a balanced
  /// adder tree (W_b rows, depth ceil(log2 W_b) adders).
  Term mul(int a, int b);
  /// The term as a value: a Neg for a negated term, a lossless Quantize with
  /// shift_a for a shifted one.
  int value(Term t);
  /// cast(t, T) (rounding and overflow of T) as a value whose type holds
  /// exactly what the cast can produce from t's type, which may be narrower
  /// than T: by interval analysis (every rounding mode is monotone), a cast
  /// that cannot overflow is a constant when both ends of t's range round to
  /// one code, t itself (or a wired shift of it) when it cannot round, else a
  /// Quantize to the smallest type at T's LSB holding the rounded range
  /// (T's rounding, no overflow). Otherwise a Quantize to T. Consumers that
  /// need T's exact format (ports, tables indexed by raw code) use quantize_to.
  /// So a value of a tensor of type T may have any type whose values are
  /// values of T; the real value is always cast(t, T)'s.
  int quantize(Term t, const Fixed& T);
  /// cast(t, T) as a value of exactly T's format (signedness, width, int
  /// bits): a Quantize to T, or t itself when holds_as_is.
  int quantize_to(Term t, const Fixed& T);
  /// max(a, 0): a itself when a's type is unsigned, 0 when it has no
  /// positive value.
  int relu(int a);
  /// (a >= b) / (a > b) / (a == b) as ufixed<1,1>.
  int cmp(CmpKind k, int a, int b);
  /// s != 0 ? a : b.
  int mux(int s, int a, int b);
  /// table[raw(a) - min_raw(type(a))] as raw codes of T.
  int lut(int a, std::vector<int64_t> table, const Fixed& T);

 /// Whether cast(v, T) == v for every value v can take: v has T's format
  /// (signedness, width, int bits) and, for a signed SAT_SYM T, can never be
  /// T's minimum code.
  bool holds_as_is(int v, const Fixed& T) const;

 private:
  int emit(NetValue v);
  /// Exact value of a constant term: raw·2^-frac.
  std::pair<i128, int> const_of(const Term& t) const;
  Netlist& net_;
  std::map<std::string, int> unique_;                  ///< hash-consing key → value
  std::map<std::pair<int, int64_t>, Term> products_;   ///< (value, signed odd weight) → product
};

}  // namespace nanogate
