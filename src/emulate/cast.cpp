// nanogate — precompiled casts (cast.hpp).
#include "emulate/cast.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace nanogate {

CastPlan::CastPlan(int from_frac, const Fixed& to) : to_(to), from_frac_(from_frac) {
  d_ = from_frac - to.frac_bits();
  lo_ = to.min_raw();
  hi_ = to.max_raw();
  mask_ = to.width >= 64 ? ~uint64_t(0) : (uint64_t(1) << to.width) - 1;
  half_ = d_ > 0 && d_ <= 62 ? int64_t(1) << (d_ - 1) : 0;
  int ls = d_ < 0 ? -d_ : 0;
  if (ls < 62) {
    max_in_ = (int64_t(1) << (62 - ls)) - 1;
    min_in_ = -max_in_ - 1;
  }
  // Shifts beyond 62 bits and the rare overflow modes take the reference path.
  slow_ = d_ > 62 || ls >= 62 || to.width >= 64 ||
          !(to.overflow == Overflow::WRAP || to.overflow == Overflow::SAT);
  choose_batch();
}

namespace {
/// One code of loop kinds 1-4 in the signed integer type S (int64_t, or
/// int32_t for loop32): v >> d rounded per Kind (1 TRN, 2 RND, 3 RND_CONV, 4
/// no shift), then the overflow Ovf (0 signed WRAP to 8·sizeof(S) - sh bits, 1
/// unsigned WRAP by mask, 2 SAT to [lo, hi]). Rounding decisions are sign bits
/// of small differences (rem < 2^(bits-2), half <= 2^(bits-3)): RND: rem >=
/// half <=> half - 1 - rem < 0; RND_CONV: rem > half || (rem == half && fl
/// odd) <=> half - (rem + (fl & 1)) < 0.
template <int Kind, int Ovf, class S>
[[gnu::always_inline]] inline S round_wrap(S v, int d, S half, S low, int sh, std::make_unsigned_t<S> mask, S lo,
                                           S hi) {
  using U = std::make_unsigned_t<S>;
  constexpr int top = 8 * int(sizeof(S)) - 1;
  S r;
  if constexpr (Kind == 1) {
    r = v >> d;
  } else if constexpr (Kind == 2) {
    S fl = v >> d, rem = v & low;
    r = fl + S(U(half - 1 - rem) >> top);
  } else if constexpr (Kind == 3) {
    S fl = v >> d, rem = v & low;
    r = fl + S(U(half - (rem + (fl & 1))) >> top);
  } else {
    r = v;
  }
  if constexpr (Ovf == 0) return S(U(r) << sh) >> sh;
  else if constexpr (Ovf == 1) return S(U(r) & mask);
  else return std::min(std::max(r, lo), hi);
}
}  // namespace

/// Loop kinds: 0 any (per-value operator()), 1 right shift TRN, 2 right shift
/// RND, 3 right shift RND_CONV, 4 no shift, 5 exact left shift. Overflow kinds:
/// 0 signed WRAP, 1 unsigned WRAP, 2 SAT. The WRAP/SAT formulas return r
/// unchanged when it is in range, so they need no range test, and the loops
/// are branch-free (vectorized in the AVX2 / AVX-512 clones below).
template <int Kind, int Ovf, bool Relu, class T>
[[gnu::always_inline]] inline void CastPlan::loop(const CastPlan& p, const T* src, T* dst, int64_t n) {
  if constexpr (Kind == 0) {
    for (int64_t k = 0; k < n; ++k) {
      int64_t v = src[k];
      dst[k] = T(Relu && v <= 0 ? 0 : p(v));
    }
  } else {
    if constexpr (Kind == 5) {  // a left shift that could overflow 64 bits: per value
      // v in [min_in, max_in] <=> uint64(v - min_in) <= uint64(max_in - min_in)
      const uint64_t span = uint64_t(p.max_in_) - uint64_t(p.min_in_);
      uint64_t worst = 0;
      for (int64_t k = 0; k < n; ++k) worst = std::max(worst, uint64_t(src[k]) - uint64_t(p.min_in_));
      if (worst > span) {
        loop<0, Ovf, Relu, T>(p, src, dst, n);
        return;
      }
    }
    const int d = p.d_, sh = 64 - p.to_.width;
    const int64_t half = p.half_, lo = p.lo_, hi = p.hi_;
    const uint64_t mask = p.mask_;
    const int64_t low = Kind >= 1 && Kind <= 3 ? (int64_t(1) << d) - 1 : 0;
    for (int64_t k = 0; k < n; ++k) {
      int64_t v = src[k];
      if constexpr (Relu) v = v > 0 ? v : 0;  // cast(0) == 0 for every type
      // kind 5: the exact left shift, then the overflow as for "no shift"
      if constexpr (Kind == 5) v = int64_t(uint64_t(v) << -d);
      dst[k] = T(round_wrap<Kind == 5 ? 4 : Kind, Ovf, int64_t>(v, d, half, low, sh, mask, lo, hi));
    }
  }
}

/// The loops of kinds 1-4 on int32 codes in int32 arithmetic (the same
/// formulas as loop's, 32 bits wide): for right shifts d <= 30 into types of
/// at most 32 bits (31 unsigned), where every intermediate fits int32 (fl + 1
/// <= 2^30; half - 1 - rem, half - (rem + 1) >= -2^31).
template <int Kind, int Ovf>
[[gnu::always_inline]] inline void loop32(int d, int width, int32_t lo, int32_t hi, const int32_t* src, int32_t* dst,
                                          int64_t n) {
  const int sh = 32 - width;
  const uint32_t mask = width >= 32 ? ~uint32_t(0) : (uint32_t(1) << width) - 1;
  const int32_t half = Kind == 2 || Kind == 3 ? int32_t(1) << (d - 1) : 0;
  const int32_t low = Kind >= 1 && Kind <= 3 ? int32_t((uint32_t(1) << d) - 1) : 0;
  for (int64_t k = 0; k < n; ++k) dst[k] = round_wrap<Kind, Ovf, int32_t>(src[k], d, half, low, sh, mask, lo, hi);
}

namespace {
#define NG_CLONE(K, O, R)                                                                           \
  __attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) void cast_##K##_##O##_##R( \
      const CastPlan& p, const int64_t* s, int64_t* d, int64_t n) {                               \
    CastPlan::loop<K, O, R>(p, s, d, n);                                                           \
  }
#define NG_CLONE32(K, O)                                                                          \
  __attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) void cast32_##K##_##O(   \
      const CastPlan& p, const int32_t* s, int32_t* d, int64_t n) {                              \
    if (K <= 4 && p.narrow32())                                                                   \
      loop32<K, O>(p.shift(), p.type().width, int32_t(p.type().min_raw()), int32_t(p.type().max_raw()), s, d, n); \
    else                                                                                          \
      CastPlan::loop<K, O, false>(p, s, d, n);                                                    \
  }
#define NG_CLONES(K)                                                                                          \
  NG_CLONE(K, 0, 0) NG_CLONE(K, 1, 0) NG_CLONE(K, 2, 0) NG_CLONE(K, 0, 1) NG_CLONE(K, 1, 1) NG_CLONE(K, 2, 1) \
  NG_CLONE32(K, 0) NG_CLONE32(K, 1) NG_CLONE32(K, 2)
NG_CLONES(1)
NG_CLONES(2)
NG_CLONES(3)
NG_CLONES(4)
NG_CLONES(5)
#undef NG_CLONES
#undef NG_CLONE32
#undef NG_CLONE
void cast_any(const CastPlan& p, const int64_t* s, int64_t* d, int64_t n) { CastPlan::loop<0, 0, false>(p, s, d, n); }
void cast_any_relu(const CastPlan& p, const int64_t* s, int64_t* d, int64_t n) { CastPlan::loop<0, 0, true>(p, s, d, n); }
void cast32_any(const CastPlan& p, const int32_t* s, int32_t* d, int64_t n) { CastPlan::loop<0, 0, false>(p, s, d, n); }
}  // namespace

namespace {
/// DoubleCast::in_range on n values without branches: the same floor, the
/// same rounding decision, the same tests (a NaN fails |y| < 2^62); bad
/// collects the values off the fast path. no-trapping-math: the compares
/// may run on every lane (no FP exception is observed; the values are the
/// same), which lets GCC vectorize the loop.
#if defined(__clang__)
#define NG_NO_TRAPPING_MATH  // clang's default
#else
#define NG_NO_TRAPPING_MATH __attribute__((optimize("no-trapping-math")))
#endif
template <Rounding R>
[[gnu::always_inline]] NG_NO_TRAPPING_MATH inline bool double_cast_loop(double scale, int64_t lo, int64_t hi, const double* src,
                                                    int64_t* dst, int64_t n) {
  int64_t bad = 0;
  for (int64_t k = 0; k < n; ++k) {
    double v = src[k], y = v * scale, ay = std::fabs(y);
    bool zero = y == 0.0;
    bool good = (ay < 0x1p62) & ((zero & (v == 0.0)) | (!zero & (ay >= 0x1p-1000)));
    double yg = good ? y : 0.0;
    double fl = std::floor(yg), rem = yg - fl;
    int64_t r = int64_t(fl);
    bool up = false;
    if constexpr (R == Rounding::TRN_ZERO) up = y < 0;
    else if constexpr (R == Rounding::RND) up = rem >= 0.5;
    else if constexpr (R == Rounding::RND_ZERO) up = rem > 0.5 || (rem == 0.5 && y < 0);
    else if constexpr (R == Rounding::RND_INF) up = rem > 0.5 || (rem == 0.5 && y >= 0);
    else if constexpr (R == Rounding::RND_MIN_INF) up = rem > 0.5;
    else if constexpr (R == Rounding::RND_CONV) up = rem > 0.5 || (rem == 0.5 && (r & 1));
    r += int64_t((rem != 0.0) & up);
    bad |= int64_t(!(good & (r >= lo) & (r <= hi)));
    dst[k] = r;
  }
  return !bad;
}

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"))) NG_NO_TRAPPING_MATH
bool double_cast_fast(Rounding rnd, double scale, int64_t lo, int64_t hi, const double* src, int64_t* dst,
                      int64_t n) {
  switch (rnd) {
    case Rounding::TRN: return double_cast_loop<Rounding::TRN>(scale, lo, hi, src, dst, n);
    case Rounding::TRN_ZERO: return double_cast_loop<Rounding::TRN_ZERO>(scale, lo, hi, src, dst, n);
    case Rounding::RND: return double_cast_loop<Rounding::RND>(scale, lo, hi, src, dst, n);
    case Rounding::RND_ZERO: return double_cast_loop<Rounding::RND_ZERO>(scale, lo, hi, src, dst, n);
    case Rounding::RND_INF: return double_cast_loop<Rounding::RND_INF>(scale, lo, hi, src, dst, n);
    case Rounding::RND_MIN_INF: return double_cast_loop<Rounding::RND_MIN_INF>(scale, lo, hi, src, dst, n);
    case Rounding::RND_CONV: return double_cast_loop<Rounding::RND_CONV>(scale, lo, hi, src, dst, n);
  }
  return false;
}
}  // namespace

bool input_code(double v, const Fixed& t, const DoubleCast& dc, int64_t& out) {
  if (dc.in_range(v, out)) [[likely]]
    return true;  // in range after rounding: quantize(v) and, for WRAP, every check below passes
  out = quantize(v, t);
  if (t.overflow != Overflow::WRAP) return true;
  Fixed sat = t;
  sat.overflow = Overflow::SAT;
  const double lsb = t.lsb();
  return !(std::isnan(v) || quantize(v, sat) != out || v > t.value(t.max_raw()) + lsb ||
           v < t.value(t.min_raw()) - lsb);
}

bool DoubleCast::apply_fast(const double* src, int64_t* dst, int64_t n) const {
  return fast_ && double_cast_fast(to_.rounding, scale_, lo_, hi_, src, dst, n);
}

void CastPlan::choose_batch() {
  int kind = 0;
  if (!slow_) {
    if (d_ > 0) {
      kind = to_.rounding == Rounding::TRN   ? 1
             : to_.rounding == Rounding::RND ? 2
             : to_.rounding == Rounding::RND_CONV ? 3
                                                 : 0;
    } else {
      kind = d_ == 0 ? 4 : 5;
    }
  }
  int ovf = to_.overflow == Overflow::SAT ? 2 : to_.is_signed ? 0 : 1;
#define NG_PICK(K)                                                                       \
  case K:                                                                                \
    batch_ = ovf == 0 ? &cast_##K##_0_0 : ovf == 1 ? &cast_##K##_1_0 : &cast_##K##_2_0;      \
    batch_relu_ = ovf == 0 ? &cast_##K##_0_1 : ovf == 1 ? &cast_##K##_1_1 : &cast_##K##_2_1; \
    batch32_ = ovf == 0 ? &cast32_##K##_0 : ovf == 1 ? &cast32_##K##_1 : &cast32_##K##_2;     \
    break;
  switch (kind) {
    NG_PICK(1)
    NG_PICK(2)
    NG_PICK(3)
    NG_PICK(4)
    NG_PICK(5)
    default:
      batch_ = &cast_any;
      batch_relu_ = &cast_any_relu;
      batch32_ = &cast32_any;
  }
#undef NG_PICK
}

}  // namespace nanogate
