// nanogate — a precompiled cast from one binary point to a fixed-point type.
//
// The emulator casts millions of values per second from a known source binary
// point to a known target type. CastPlan precomputes the shift and the range and
// handles the common cases (right shifts of up to 62 bits with any rounding
// mode; exact left shifts; WRAP and SAT overflow) in 64-bit arithmetic,
// deferring everything else (SAT_SYM, SAT_ZERO, shifts that could overflow) to
// nanogate::quantize, the reference. The two agree bit for bit: that is
// tests/cpp/test_cast_plan.cpp.
#pragma once

#include <cmath>
#include <cstdint>

#include "nanogate/fixed.hpp"

namespace nanogate {

/// Cast of raw codes at binary point `from_frac` to type `to`.
class CastPlan {
 public:
  CastPlan() = default;
  /// from_frac: fractional bits of the source values; to: the target type.
  CastPlan(int from_frac, const Fixed& to);

  /// quantize(v, from_frac, to), bit for bit.
  [[gnu::always_inline]] int64_t operator()(int64_t v) const {
    if (slow_) return quantize(i128(v), from_frac_, to_);
    int64_t r;
    if (d_ > 0) {
      int64_t fl = v >> d_;
      int64_t rem = v - (fl << d_);  // in [0, 2^d)
      r = fl + round_up(fl, rem, v);
    } else {
      if (v > max_in_ || v < min_in_) return quantize(i128(v), from_frac_, to_);
      r = v << -d_;
    }
    if (r >= lo_ && r <= hi_) return r;
    switch (to_.overflow) {
      case Overflow::WRAP:
        if (to_.is_signed) return int64_t(uint64_t(r) << (64 - to_.width)) >> (64 - to_.width);
        return int64_t(uint64_t(r) & mask_);
      case Overflow::SAT:
        return r > hi_ ? hi_ : lo_;
      default:
        return quantize(i128(v), from_frac_, to_);
    }
  }
  const Fixed& type() const { return to_; }
  /// from_frac - to.frac_bits(): a right shift when > 0.
  int shift() const { return d_; }
  /// The int32 loops compute in 32 bits: a fast-path cast (no shift or a
  /// right shift of at most 30 bits) into a type of at most 32 bits (31 unsigned).
  bool narrow32() const { return !slow_ && d_ >= 0 && d_ <= 30 && to_.width <= (to_.is_signed ? 32 : 31); }

  /// dst[k] = (*this)(src[k]) for k < n; src == dst is allowed. Runs a loop
  /// specialized for this plan's shift, rounding and overflow (chosen once).
  void apply(const int64_t* src, int64_t* dst, int64_t n) const { batch_(*this, src, dst, n); }
  /// dst[k] = src[k] > 0 ? (*this)(src[k]) : 0 (a ReLU fused with the cast).
  void apply_relu(const int64_t* src, int64_t* dst, int64_t n) const { batch_relu_(*this, src, dst, n); }
  /// apply on int32 codes (the same 64-bit arithmetic; each result stored as
  /// int32): the caller guarantees that every result fits int32 (e.g. the
  /// netlist emulator's code ranges); a result that does not is truncated.
  void apply(const int32_t* src, int32_t* dst, int64_t n) const { batch32_(*this, src, dst, n); }
  /// True when the cast returns every raw code of type `src` (at this plan's
  /// source binary point) unchanged: same binary point, range inside ours.
  bool identity_for(const Fixed& src) const {
    return !slow_ && d_ == 0 && src.min_raw() >= lo_ && src.max_raw() <= hi_;
  }
  /// identity_for, knowing the codes are also >= 0 (after a ReLU).
  bool identity_for_nonneg(const Fixed& src) const {
    return !slow_ && d_ == 0 && 0 >= lo_ && src.max_raw() <= hi_;
  }

  /// The batch loops (cast.cpp), public for their per-ISA clones only; T:
  /// the codes' storage (int64_t, or int32_t for apply's int32 overload).
  template <int Kind, int Ovf, bool Relu, class T>
  static void loop(const CastPlan& p, const T* src, T* dst, int64_t n);

 private:
  using Batch = void (*)(const CastPlan&, const int64_t*, int64_t*, int64_t);
  using Batch32 = void (*)(const CastPlan&, const int32_t*, int32_t*, int64_t);
  void choose_batch();
  [[gnu::always_inline]] int64_t round_up(int64_t fl, int64_t rem, int64_t v) const {
    if (rem == 0) return 0;
    switch (to_.rounding) {
      case Rounding::TRN: return 0;
      case Rounding::TRN_ZERO: return v < 0 ? 1 : 0;
      case Rounding::RND: return rem >= half_ ? 1 : 0;
      case Rounding::RND_ZERO: return (rem > half_ || (rem == half_ && v < 0)) ? 1 : 0;
      case Rounding::RND_INF: return (rem > half_ || (rem == half_ && v >= 0)) ? 1 : 0;
      case Rounding::RND_MIN_INF: return rem > half_ ? 1 : 0;
      case Rounding::RND_CONV: return (rem > half_ || (rem == half_ && (fl & 1))) ? 1 : 0;
    }
    return 0;
  }
  Fixed to_;
  int from_frac_ = 0;
  int d_ = 0;              ///< from_frac - to.frac_bits (right shift when > 0)
  int64_t half_ = 0;
  int64_t lo_ = 0, hi_ = 0;
  uint64_t mask_ = 0;
  int64_t min_in_ = 0, max_in_ = 0;  ///< inputs a left shift cannot overflow
  bool slow_ = false;
  Batch batch_ = nullptr, batch_relu_ = nullptr;
  Batch32 batch32_ = nullptr;
};

/// quantize(double, t) for doubles whose scaled value v * 2^F is a normal
/// double below 2^62 in magnitude and rounds into t's range (the common case):
/// the scaling is then exact, floor(y) and y - floor(y) are exact, and the
/// rounding decision is the reference's. Anything else goes to quantize().
class DoubleCast {
 public:
  DoubleCast() = default;
  explicit DoubleCast(const Fixed& t) : to_(t) {
    int f = t.frac_bits();
    fast_ = f > -900 && f < 900;
    scale_ = fast_ ? std::ldexp(1.0, f) : 1.0;
    lo_ = t.min_raw();
    hi_ = t.max_raw();
    // SAT_SYM clamps a signed code to [-max, max] even when min is reached
    // without overflow (fixed.cpp, apply_overflow): min takes the slow path.
    if (t.overflow == Overflow::SAT_SYM && t.is_signed && t.width > 1) lo_ += 1;
  }
  /// The rounded code when it lies in [min_raw, max_raw] (true), else false
  /// (NaN, infinities, overflow, tiny values: the caller takes the slow path).
  [[gnu::always_inline]] bool in_range(double v, int64_t& out) const {
    double y = v * scale_;
    if (!fast_ || !(std::fabs(y) < 0x1p62)) return false;
    if (y == 0.0) {
      if (v != 0.0) return false;
      out = 0;
      return true;
    }
    if (std::fabs(y) < 0x1p-1000) return false;
    double fl = std::floor(y), rem = y - fl;
    int64_t r = int64_t(fl);
    if (rem != 0.0) {
      bool up;
      switch (to_.rounding) {
        case Rounding::TRN: up = false; break;
        case Rounding::TRN_ZERO: up = y < 0; break;
        case Rounding::RND: up = rem >= 0.5; break;
        case Rounding::RND_ZERO: up = rem > 0.5 || (rem == 0.5 && y < 0); break;
        case Rounding::RND_INF: up = rem > 0.5 || (rem == 0.5 && y >= 0); break;
        case Rounding::RND_MIN_INF: up = rem > 0.5; break;
        case Rounding::RND_CONV: up = rem > 0.5 || (rem == 0.5 && (r & 1)); break;
        default: return false;
      }
      r += up;
    }
    if (r < lo_ || r > hi_) return false;
    out = r;
    return true;
  }
  /// dst[k] = the code in_range gives src[k], for k < n, when every src[k]
  /// takes in_range's fast path: true. False when some value does not (dst is
  /// then unspecified; the caller redoes the values one by one). A branch-free
  /// loop per rounding mode (AVX-512 / AVX2 / baseline clones, cast.cpp).
  bool apply_fast(const double* src, int64_t* dst, int64_t n) const;
  /// quantize(v, t), bit for bit.
  int64_t operator()(double v) const {
    int64_t r;
    return in_range(v, r) ? r : quantize(v, to_);
  }
  const Fixed& type() const { return to_; }

 private:
  Fixed to_;
  double scale_ = 1.0;
  int64_t lo_ = 0, hi_ = 0;
  bool fast_ = false;
};

/// The code of an input value v of type t, as both emulators read float
/// inputs: quantize(v, t) (dc: DoubleCast(t), its fast path first), except
/// that for a WRAP type a NaN or a value more than one LSB outside t's range
/// (one that would wrap) is refused: returns false and leaves `out` unspecified.
bool input_code(double v, const Fixed& t, const DoubleCast& dc, int64_t& out);

}  // namespace nanogate
