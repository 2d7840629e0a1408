// nanogate — the semantics of one netlist value: exact result intervals (what
// Netlist::verify checks and what lowering types new values with) and the
// precompiled per-value evaluation shared by the netlist emulator and the
// lowering's constant folding, so both execute the same definition.
#pragma once

#include <cstdint>
#include <vector>

#include "emulate/cast.hpp"
#include "nanogate/netlist/netlist.hpp"
#include "passes/interval.hpp"

namespace nanogate {

/// Same signedness, width and int bits (rounding/overflow modes aside): a
/// value of one format is exactly representable in the other.
inline bool same_format(const Fixed& a, const Fixed& b) {
  return a.is_signed == b.is_signed && a.width == b.width && a.int_bits == b.int_bits;
}

/// Number of arguments op takes (Input/Const 0, Mux 3, ...).
int net_arg_count(NetOp op);

/// Whether op's value type must hold its result exactly (every op except
/// Input, Const, Quantize and Lut, whose types define their values).
bool net_op_is_exact(NetOp op);

/// The exact range of value v over its argument *types* (a Const argument:
/// its one value; interval analysis, netlist.hpp semantics); its frac is the
/// finest binary point the result needs. Defined for the exact ops (net_op_is_exact) only; v.args must index
/// existing values of n. Throws FixedTypeError beyond ~120 bits.
Interval net_interval(const Netlist& n, const NetValue& v);

/// Precompiled evaluation of one value on raw codes: the shifts that align
/// arguments onto the value's binary point, the cast of a Quantize, the table
/// of a Lut.
class NetStep {
 public:
  NetStep() = default;
  /// Prepares value v of n (whose arguments exist in n). Input and Const
  /// are not evaluated here (the caller supplies port codes / konst).
  NetStep(const Netlist& n, const NetValue& v);

  /// The raw code of the value given its arguments' raw codes (unused ones
  /// ignored). Exact when the netlist verifies.
  int64_t operator()(int64_t a, int64_t b, int64_t c) const {
    switch (op_) {
      case NetOp::Add: {
        i128 x = i128(a) << ea_, y = i128(b) << eb_;
        return int64_t(sub_ ? x - y : x + y);
      }
      case NetOp::Neg: return int64_t(-(i128(a) << ea_));
      case NetOp::Mul: return int64_t((i128(a) * b) << ea_);
      case NetOp::Relu: return a > 0 ? int64_t(i128(a) << ea_) : 0;
      case NetOp::Quantize: return cast_(a);
      case NetOp::Max: {
        i128 x = i128(a) << ea_, y = i128(b) << eb_;
        return int64_t(x > y ? x : y);
      }
      case NetOp::Min: {
        i128 x = i128(a) << ea_, y = i128(b) << eb_;
        return int64_t(x < y ? x : y);
      }
      case NetOp::Cmp: {
        i128 x = i128(a) << ea_, y = i128(b) << eb_;
        return cmp_ == CmpKind::GE ? x >= y : cmp_ == CmpKind::GT ? x > y : x == y;
      }
      case NetOp::Mux: return b_or_c(a != 0 ? b : c, a != 0);
      case NetOp::Lut: return (*table_)[size_t(a - tmin_)];
      default: return konst_;
    }
  }
  /// The op of the prepared value.
  NetOp op() const { return op_; }
  /// The left shifts aligning the first / second compared, added or muxed
  /// argument onto the value's binary point (Mux: its second / third argument).
  int shift_a() const { return ea_; }
  int shift_b() const { return eb_; }
  /// Quantize: the cast of the argument's codes into the value's type.
  const CastPlan& cast() const { return cast_; }
  /// Lut: the table and the raw code of its first entry.
  const std::vector<int64_t>& table() const { return *table_; }
  int64_t table_min() const { return tmin_; }

 private:
  int64_t b_or_c(int64_t v, bool first) const { return int64_t(i128(v) << (first ? ea_ : eb_)); }
  NetOp op_ = NetOp::Const;
  int ea_ = 0, eb_ = 0;  ///< left shifts aligning the (two compared / muxed) arguments
  bool sub_ = false;
  CmpKind cmp_ = CmpKind::GE;
  CastPlan cast_;
  const std::vector<int64_t>* table_ = nullptr;
  int64_t tmin_ = 0;
  int64_t konst_ = 0;
};

}  // namespace nanogate
