// nanogate — what hardware a netlist Quantize needs (internal to the Verilog
// backend: shared by the writer, which emits it, and the pipelining pass,
// which charges its delay).
#pragma once

#include "nanogate/fixed.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate::verilog_detail {

/// The structure of cast(a, t) for an argument of type `a` (its exact type)
/// and a target type `t` (with t's rounding and overflow modes).
///   shift     s = frac(a) − frac(t): bits dropped at the LSB end (> 0) or
///             zero bits appended (≤ 0).
///   rounds    a rounding increment (0 or 1 LSB) can be non-zero, i.e. an
///             adder of the floor's width is needed.
///   sat_hi / sat_lo
///             the rounded code can exceed t.max_raw() / fall below the lower
///             saturation bound (t.min_raw(), or −max for signed SAT_SYM with
///             W > 1); always false for WRAP.
///   q_width   bits of the rounded code before the overflow step (signedness
///             of `a`); enough to hold every rounded code exactly.
///   round_then_check
///             false (SAT or SAT_SYM with a rounding increment that can
///             saturate): the range check reads the floor f = a >> shift, not
///             the rounded code, and the increment is added to f's low W+1
///             bits only. Exact because rounding adds at most one LSB: f > max
///             saturates high, f < low saturates low (f + 1 ≤ low), and inside
///             the range only f = max with an increment overflows, which the
///             W+1-bit sum's top bit(s) show. So the wide incrementer and the
///             comparison run side by side, and the incrementer is W+1 bits
///             instead of q_width.
///   round_width
///             bits of the rounding incrementer (q_width, or W+1 when
///             !round_then_check); 0 when !rounds.
struct QuantizePlan {
  int shift = 0;
  bool rounds = false;
  bool sat_hi = false, sat_lo = false;
  bool round_then_check = true;
  int round_width = 0;
  int q_width = 0;
  i128 q_lo = 0, q_hi = 0;  ///< bounds of the rounded code (conservative)
  /// True when the cast is pure wiring (no adder, no comparison).
  bool wiring() const { return !rounds && !sat_hi && !sat_lo; }
};

/// Lower saturation bound of t's overflow mode (min_raw, or min_raw+1 for
/// signed SAT_SYM with width > 1, see fixed.hpp).
int64_t saturation_low(const Fixed& t);

/// Plans cast(a, t). Pure function of the two types.
QuantizePlan plan_quantize(const Fixed& a, const Fixed& t);

/// The type of a Quantize's wired source a·2^shift_a: the argument's type
/// with shift_a more integer bits (same raw code, binary point moved).
Fixed quantize_source_type(const Netlist& n, const NetValue& v);

}  // namespace nanogate::verilog_detail
