// nanogate — the Threshold layer in the netlist (lower_internal.hpp):
// comparators, or one exact constant multiply when that is cheaper.
//
// The layer's function is its step table (compute_thresholds, layer_tables.hpp):
// code(x) = lo + #{thresholds reached}, the exact quantizer of a float-scaled
// value. Two implementations give the same codes on every input code:
//  - comparators: one per threshold, their bits summed (a popcount);
//  - multiply and floor: code(x) = clamp(floor((M·x + C) / 2^K), lo, hi) with
//    integers M, C, K fitted to the thresholds. Both sides are monotonic in x,
//    so they agree on every code iff they agree on both sides of every
//    threshold: each threshold gives two linear constraints on C for a given
//    M and K, and K grows until the interval of C is not empty (the classic
//    division-by-invariant-integers idea: T. Granlund, P. Montgomery,
//    "Division by invariant integers using multiplication", PLDI 1994,
//    applied to the affine map of a quantizer).
// The multiply is chosen when its estimated LUT cost (CSD digits of M times
// the product width, plus the clamp) is below the comparators' (thresholds
// times the input width); a quantizer of 3+ output bits usually qualifies.
#include <algorithm>
#include <cmath>
#include <optional>

#include "emulate/layer_tables.hpp"
#include "nanogate/cmvm/cmvm.hpp"
#include "netlist/lower_internal.hpp"

namespace nanogate {

namespace {

/// code(x) = clamp(floor((m·x + c) / 2^k), lo, hi) on raw input codes.
struct AffineFloor {
  int64_t m = 0;
  i128 c = 0;
  int k = 0;
};

/// Fits (m, c, k) to channel `ch` of the table: the smallest k that works.
std::optional<AffineFloor> fit_affine_floor(const ThresholdTable& tt, size_t ch, int64_t lo, double slope,
                                            int64_t xlo, int64_t xhi) {
  const std::vector<int64_t>& thr = tt.thr[ch];
  const bool up = tt.dir[ch] > 0;
  for (int k = 0; k <= 48; ++k) {
    const long double target = std::ldexp((long double)slope, k);
    if (std::fabs(target) > 1e15L) return std::nullopt;
    const int64_t m0 = int64_t(std::llround(target));
    for (int64_t m : {m0, m0 - 1, m0 + 1}) {
      if ((up && m <= 0) || (!up && m >= 0)) continue;
      i128 cmin = -(i128(1) << 100), cmax = i128(1) << 100;
      auto at_least = [&](int64_t x, int64_t level) { cmin = std::max(cmin, (i128(level) << k) - i128(m) * x); };
      auto below = [&](int64_t x, int64_t level) { cmax = std::min(cmax, (i128(level) << k) - i128(m) * x - 1); };
      for (size_t j = 0; j < thr.size(); ++j) {
        const int64_t level = lo + int64_t(j) + 1, t = thr[j];
        if (up) {
          if (t <= xlo) at_least(xlo, level);
          else if (t > xhi) below(xhi, level);
          else at_least(t, level), below(t - 1, level);
        } else {
          if (t >= xhi) at_least(xhi, level);
          else if (t < xlo) below(xlo, level);
          else at_least(t, level), below(t + 1, level);
        }
      }
      if (cmin <= cmax) return AffineFloor{m, cmin > 0 ? cmin : (cmax < 0 ? cmax : i128(0)), k};
    }
  }
  return std::nullopt;
}

/// Bits of |v| (0 for 0).
int bit_length(i128 v) {
  if (v < 0) v = -v;
  int b = 0;
  while (v > 0) ++b, v >>= 1;
  return b;
}

}  // namespace

std::vector<int> lower_threshold(LowerContext& cx, const Node& n, const std::vector<int>& x,
                                 const std::vector<int64_t>& chan) {
  NetBuilder& b = cx.b;
  const Fixed& tx = *cx.g.tensor(n.inputs[0]).type;
  const Fixed& R = cx.result(n);
  ThresholdTable tt = compute_thresholds(cx.g, n, tx);
  if (tt.step != 1 && tt.step != 2) cx.fail(n, "Threshold step must be 1 or 2");
  const int step_shift = tt.step == 2 ? 1 : 0;
  const int64_t lo = n.attr_int("lo", 0), hi = n.attr_int("hi", 0), zero = n.attr_int("zero", 0);
  std::vector<double> sc, of;
  threshold_affine(cx.g, n, sc, of);
  // The clamp of the multiply form: floor(v) - lo saturated to ufixed<w,w> = [0, 2^w - 1],
  // then min(·, hi - lo) by one comparator when hi - lo < 2^w - 1.
  int w = 0;
  while (w < 62 && (int64_t(1) << w) - 1 < hi - lo) ++w;
  const bool clamp_is_a_type = tt.step == 1 && hi > lo && w < 62;
  const bool clamp_top = clamp_is_a_type && (int64_t(1) << w) - 1 != hi - lo;
  // One implementation per channel, shared by its elements.
  std::vector<std::optional<AffineFloor>> fit(tt.thr.size());
  for (size_t c = 0; c < tt.thr.size(); ++c) {
    if (!clamp_is_a_type || tt.thr[c].size() < 3) continue;
    auto f = fit_affine_floor(tt, c, lo, std::ldexp(sc[c], -tx.frac_bits()), tx.min_raw(), tx.max_raw());
    if (!f) continue;
    const int64_t compare_cost = int64_t(tt.thr[c].size()) * (tx.width + 1);
    const int64_t prod_bits = tx.width + bit_length(f->m);
    const int64_t mul_cost = int64_t(cmvm::csd_weight(f->m)) * prod_bits + (prod_bits + 2 * w) + bit_length(f->c);
    if (mul_cost < compare_cost) fit[c] = f;
  }
  const Fixed clamp_t{false, std::max(w, 1), std::max(w, 1), Rounding::TRN, Overflow::SAT};
  std::vector<int> y;
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t c = size_t(chan[i]);
    if (const auto& f = fit[c]) {
      // v = (m·x_raw + c)·2^-k - lo; x_raw = x·2^F, so m·x·2^(F-k) + (c - lo·2^k)·2^-k
      Term p = b.mul_const(Term{x[i], 0, false}, f->m, f->k - tx.frac_bits());
      Term v = b.add(p, Term{b.constant(f->c - (i128(lo) << f->k), f->k), 0, false});
      int code = b.quantize(v, clamp_t);  // floor, then saturate to [0, 2^w - 1]
      if (clamp_top) {
        const int top = b.constant(hi - lo, clamp_t);
        code = b.mux(b.cmp(CmpKind::GE, code, top), top, code);
      }
      Term out = b.add(Term{code, 0, false}, Term{b.constant(i128(lo - zero), 0), 0, false});
      out.shift -= R.frac_bits();  // raw code lo-zero.. of R is the value at R's LSB
      y.push_back(b.quantize(out, R));
      continue;
    }
    int64_t count = tt.base;
    std::vector<Term> bits;
    for (int64_t t : tt.thr[c]) {
      const bool up = tt.dir[c] > 0;  // up: x >= t, else x <= t
      if (up ? t > tx.max_raw() : t < tx.min_raw()) continue;  // never
      if (up ? t <= tx.min_raw() : t >= tx.max_raw()) {        // always
        count += tt.step;
        continue;
      }
      int kc = b.constant(t, tx);
      // a bit adds `step` output codes: step · 2^-frac(result)
      bits.push_back(Term{up ? b.cmp(CmpKind::GE, x[i], kc) : b.cmp(CmpKind::GE, kc, x[i]), step_shift - R.frac_bits(),
                          false});
    }
    bits.push_back(Term{b.constant(i128(count), R.frac_bits()), 0, false});
    y.push_back(b.quantize(b.sum(bits), R));
  }
  return y;
}

}  // namespace nanogate
