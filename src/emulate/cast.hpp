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

 private:
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
};

}  // namespace nanogate
