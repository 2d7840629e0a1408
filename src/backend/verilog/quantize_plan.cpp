// nanogate — structure of a netlist Quantize in hardware (see quantize_plan.hpp).
#include "quantize_plan.hpp"

#include <algorithm>

namespace nanogate::verilog_detail {

namespace {
/// floor(v / 2^s) for s >= 0 (no shift of 128 bits or more is performed).
i128 floor_shift(i128 v, int s) {
  if (s >= 127) return v < 0 ? -1 : 0;
  return v >> s;
}

/// Bits needed to hold every code in [lo, hi] with the given signedness.
int bits_for(i128 lo, i128 hi, bool is_signed) {
  int w = 1;
  if (is_signed) {
    while (w < 127 && !(lo >= -(i128(1) << (w - 1)) && hi < (i128(1) << (w - 1)))) ++w;
  } else {
    while (w < 127 && (hi >> w) != 0) ++w;
  }
  return w;
}
}  // namespace

int64_t saturation_low(const Fixed& t) {
  if (t.overflow == Overflow::SAT_SYM && t.is_signed && t.width > 1) return t.min_raw() + 1;
  return t.min_raw();
}

QuantizePlan plan_quantize(const Fixed& a, const Fixed& t) {
  QuantizePlan p;
  p.shift = a.frac_bits() - t.frac_bits();
  const i128 amin = a.min_raw(), amax = a.max_raw();
  if (p.shift <= 0) {
    const int k = -p.shift;
    p.q_width = a.width + k;
    if (a.width + k <= 120) {
      p.q_lo = amin * (i128(1) << k);
      p.q_hi = amax * (i128(1) << k);
    } else {  // beyond every 64-bit range on the side(s) the argument can reach
      p.q_lo = amin < 0 ? -(i128(1) << 120) : 0;
      p.q_hi = amax > 0 ? (i128(1) << 120) : 0;
    }
  } else {
    const int s = p.shift;
    // Rounding can add one LSB unless the mode is TRN, or TRN_ZERO/RND_ZERO
    // on a source that is never negative... (RND_ZERO still rounds up above half).
    p.rounds = t.rounding != Rounding::TRN && !(t.rounding == Rounding::TRN_ZERO && !a.is_signed);
    p.q_lo = floor_shift(amin, s);
    p.q_hi = floor_shift(amax, s) + (p.rounds ? 1 : 0);
    const int floor_width = std::max(a.width, s + 1) - s;
    p.q_width = floor_width + (p.rounds ? 1 : 0);
  }
  p.q_width = std::max(p.q_width, bits_for(p.q_lo, p.q_hi, a.is_signed));
  if (t.overflow != Overflow::WRAP) {
    p.sat_hi = p.q_hi > i128(t.max_raw());
    p.sat_lo = p.q_lo < i128(saturation_low(t));
  }
  p.round_then_check = !(p.rounds && (p.sat_hi || p.sat_lo) &&
                         (t.overflow == Overflow::SAT || t.overflow == Overflow::SAT_SYM) && t.width + 1 < p.q_width);
  p.round_width = !p.rounds ? 0 : p.round_then_check ? p.q_width : t.width + 1;
  return p;
}

Fixed quantize_source_type(const Netlist& n, const NetValue& v) {
  Fixed a = n.values.at(size_t(v.args.at(0))).type;
  a.int_bits += v.shift_a;
  return a;
}

}  // namespace nanogate::verilog_detail
