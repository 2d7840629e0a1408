// Tests for nanogate/fixed.hpp: exact ap_fixed quantisation, the type parser,
// and type_for_range.
//
// The exhaustive tests compare quantize() with an independent reference model
// written below. The reference does not shift or mask: it holds values as
// exact rationals n / 2^d, finds the two neighbouring points of the target's
// (unbounded) grid by a binary search over grid indices using only
// multiplication and comparison, resolves ties by comparing exact distances,
// and resolves overflow by enumerating the target's codes.
#include "nanogate/fixed.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using nanogate::Fixed;
using nanogate::FixedTypeError;
using nanogate::i128;
using nanogate::Overflow;
using nanogate::parse_fixed;
using nanogate::quantize;
using nanogate::Rounding;
using nanogate::type_for_range;

constexpr Rounding kRoundings[] = {Rounding::TRN,     Rounding::TRN_ZERO,    Rounding::RND,
                                   Rounding::RND_ZERO, Rounding::RND_INF,    Rounding::RND_MIN_INF,
                                   Rounding::RND_CONV};
constexpr Overflow kOverflows[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO,
                                   Overflow::SAT_SYM};

Fixed make(bool s, int w, int i, Rounding q = Rounding::TRN, Overflow o = Overflow::WRAP) {
  Fixed t;
  t.is_signed = s;
  t.width = w;
  t.int_bits = i;
  t.rounding = q;
  t.overflow = o;
  return t;
}

// ---------------------------------------------------------------------------
// Independent reference model (small widths only; all numbers fit i128).
// ---------------------------------------------------------------------------

i128 pow2(int e) {  // 2^e by repeated doubling, e >= 0
  i128 p = 1;
  for (int k = 0; k < e; ++k) p *= 2;
  return p;
}

i128 abs128(i128 v) { return v < 0 ? -v : v; }

/// Reference quantisation of the rational value num / 2^den (den may be
/// negative, meaning num * 2^-den) to type t, following UG1399 literally.
int64_t ref_quantize(i128 num, int den, const Fixed& t) {
  const int F = t.width - t.int_bits;  // grid step is 2^-F
  // Common denominator 2^D with D >= den, D >= F, D >= 0.
  int D = std::max({den, F, 0});
  const i128 X = num * pow2(D - den);  // value * 2^D
  const i128 G = pow2(D - F);          // grid step * 2^D
  // floor index: the largest k with k*G <= X, by binary search on the grid.
  i128 span = 1;  // gallop until -span*G <= X < span*G
  while (!(-span * G <= X && X < span * G)) span *= 2;
  i128 lo_k = -span, hi_k = span;  // lo_k*G <= X < hi_k*G
  while (hi_k - lo_k > 1) {
    i128 mid = lo_k + (hi_k - lo_k) / 2;
    if (mid * G <= X) lo_k = mid; else hi_k = mid;
  }
  const i128 below = lo_k, above = lo_k + 1;
  i128 k;  // rounded grid index (unbounded)
  if (below * G == X) {
    k = below;
  } else {
    const i128 d_below = X - below * G, d_above = above * G - X;
    const i128 toward_zero = abs128(below) < abs128(above) ? below : above;
    const i128 away_zero = toward_zero == below ? above : below;
    switch (t.rounding) {
      case Rounding::TRN: k = below; break;
      case Rounding::TRN_ZERO: k = toward_zero; break;
      default:
        if (d_below < d_above) {
          k = below;
        } else if (d_above < d_below) {
          k = above;
        } else {
          switch (t.rounding) {
            case Rounding::RND: k = above; break;
            case Rounding::RND_ZERO: k = toward_zero; break;
            case Rounding::RND_INF: k = away_zero; break;
            case Rounding::RND_MIN_INF: k = below; break;
            default: k = (below % 2 == 0) ? below : above; break;  // RND_CONV
          }
        }
    }
  }
  // The codes of t.
  const i128 M = pow2(t.width);
  const i128 cmin = t.is_signed ? -(M / 2) : 0;
  const i128 cmax = t.is_signed ? M / 2 - 1 : M - 1;
  const bool in_range = k >= cmin && k <= cmax;
  switch (t.overflow) {
    case Overflow::WRAP:
      if (M <= 64) {  // enumerate the codes: the one congruent to k mod 2^W
        const int64_t r = int64_t(k % M), m = int64_t(M);  // |r| < M
        for (int64_t c = int64_t(cmin); c <= int64_t(cmax); ++c)
          if ((c - r) % m == 0) return c;
        ADD_FAILURE() << "no wrap code";
        return 0;
      }
      return int64_t(cmin + ((k - cmin) % M + M) % M);  // Euclidean residue
    case Overflow::SAT:
      return int64_t(k > cmax ? cmax : k < cmin ? cmin : k);
    case Overflow::SAT_ZERO:
      return in_range ? int64_t(k) : 0;
    case Overflow::SAT_SYM: {
      // Signed: the range is [-max, max] (ap_fixed_base.h maps a negative
      // source landing on -2^(W-1) to -max too); for W == 1 the headers'
      // "-max" is the code -1, i.e. plain SAT. Unsigned: plain SAT.
      i128 lo = (t.is_signed && t.width > 1) ? -cmax : cmin;
      return int64_t(k > cmax ? cmax : k < lo ? lo : k);
    }
  }
  return 0;
}

// Describes a failing case.
std::string describe(const Fixed& t, i128 raw, int frac) {
  return t.str() + " <- raw " + std::to_string(int64_t(raw)) + " * 2^-" + std::to_string(frac);
}

// ---------------------------------------------------------------------------
// Exhaustive comparison with the reference.
// ---------------------------------------------------------------------------

TEST(FixedQuantize, ExhaustiveSmallWidthsMatchReference) {
  // Source fractional bits: coarser than every target (-9), equal to some,
  // finer than every target (13), and in between.
  const int fracs[] = {-9, -3, 0, 1, 2, 4, 5, 9, 13};
  int64_t cases = 0, mismatches = 0;
  for (bool s : {true, false})
    for (int w = 1; w <= 6; ++w)
      for (int i = -3; i <= 9; ++i)
        for (Rounding q : kRoundings)
          for (Overflow o : kOverflows) {
            const Fixed t = make(s, w, i, q, o);
            for (int frac : fracs)
              for (int raw = -260; raw <= 260; ++raw) {
                const int64_t want = ref_quantize(raw, frac, t);
                const int64_t got = quantize(i128(raw), frac, t);
                ++cases;
                if (got != want && ++mismatches <= 20)
                  ADD_FAILURE() << describe(t, raw, frac) << ": got " << got << " want " << want;
                ASSERT_GE(got, t.min_raw());
                ASSERT_LE(got, t.max_raw());
              }
          }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(cases, int64_t(2) * 6 * 13 * 7 * 4 * 9 * 521);
}

TEST(FixedQuantize, DoublesMatchReference) {
  // Every double k * 2^-e is exact, so quantize(double) must agree with the
  // reference on the rational k / 2^e.
  for (bool s : {true, false})
    for (int w : {1, 3, 6})
      for (int i : {-2, 0, 2, 7})
        for (Rounding q : kRoundings)
          for (Overflow o : kOverflows) {
            const Fixed t = make(s, w, i, q, o);
            for (int e : {-4, 0, 3, 8})
              for (int k = -300; k <= 300; ++k) {
                const double d = std::ldexp(double(k), -e);
                ASSERT_EQ(quantize(d, t), ref_quantize(k, e, t)) << t.str() << " <- " << d;
              }
          }
}

TEST(FixedQuantize, SmallWidthsAtWideTypesMatchReference) {
  // Wider targets (to 40 bits) at a sample of raw codes, incl. range edges.
  for (bool s : {true, false})
    for (int w : {16, 24, 33, 40})
      for (int i : {-5, 0, 8, 20, 45})
        for (Rounding q : kRoundings)
          for (Overflow o : kOverflows) {
            const Fixed t = make(s, w, i, q, o);
            const int F = w - i;
            for (int frac : {F - 7, F - 1, F, F + 1, F + 2, F + 9}) {
              std::vector<i128> raws = {0, 1, -1, 2, -2, 3, -3, 5, -5, 1000, -1000};
              for (int sh = 20; sh <= 50; ++sh)
                for (i128 d : {-3, -1, 0, 1, 2}) {
                  raws.push_back((i128(1) << sh) + d);
                  raws.push_back(-(i128(1) << sh) + d);
                }
              for (i128 raw : raws)
                ASSERT_EQ(quantize(raw, frac, t), ref_quantize(raw, frac, t))
                    << describe(t, raw, frac);
            }
          }
}

// ---------------------------------------------------------------------------
// Hand-computed cases (each mode's defining example).
// ---------------------------------------------------------------------------

TEST(FixedQuantize, RoundingModeDefinitions) {
  // fixed<8,8> (integers) from values v = raw / 4.
  struct Case {
    Rounding q;
    int64_t m175, m15, m125, m05, p05, p125, p15, p175;  // -1.75 ... 1.75
  };
  const Case cases[] = {
      {Rounding::TRN, -2, -2, -2, -1, 0, 1, 1, 1},
      {Rounding::TRN_ZERO, -1, -1, -1, 0, 0, 1, 1, 1},
      {Rounding::RND, -2, -1, -1, 0, 1, 1, 2, 2},
      {Rounding::RND_ZERO, -2, -1, -1, 0, 0, 1, 1, 2},
      {Rounding::RND_INF, -2, -2, -1, -1, 1, 1, 2, 2},
      {Rounding::RND_MIN_INF, -2, -2, -1, -1, 0, 1, 1, 2},
      {Rounding::RND_CONV, -2, -2, -1, 0, 0, 1, 2, 2},
  };
  for (const Case& c : cases) {
    const Fixed t = make(true, 8, 8, c.q);
    SCOPED_TRACE(t.str());
    EXPECT_EQ(quantize(i128(-7), 2, t), c.m175);
    EXPECT_EQ(quantize(i128(-6), 2, t), c.m15);
    EXPECT_EQ(quantize(i128(-5), 2, t), c.m125);
    EXPECT_EQ(quantize(i128(-2), 2, t), c.m05);
    EXPECT_EQ(quantize(i128(2), 2, t), c.p05);
    EXPECT_EQ(quantize(i128(5), 2, t), c.p125);
    EXPECT_EQ(quantize(i128(6), 2, t), c.p15);
    EXPECT_EQ(quantize(i128(7), 2, t), c.p175);
  }
}

TEST(FixedQuantize, OverflowModeDefinitions) {
  // fixed<4,4>: codes -8..7; ufixed<4,4>: 0..15.
  const Fixed s_wrap = make(true, 4, 4);
  EXPECT_EQ(quantize(i128(8), 0, s_wrap), -8);
  EXPECT_EQ(quantize(i128(-9), 0, s_wrap), 7);
  EXPECT_EQ(quantize(i128(21), 0, s_wrap), 5);
  const Fixed s_sat = make(true, 4, 4, Rounding::TRN, Overflow::SAT);
  EXPECT_EQ(quantize(i128(100), 0, s_sat), 7);
  EXPECT_EQ(quantize(i128(-100), 0, s_sat), -8);
  EXPECT_EQ(quantize(i128(-8), 0, s_sat), -8);
  const Fixed s_zero = make(true, 4, 4, Rounding::TRN, Overflow::SAT_ZERO);
  EXPECT_EQ(quantize(i128(8), 0, s_zero), 0);
  EXPECT_EQ(quantize(i128(-9), 0, s_zero), 0);
  EXPECT_EQ(quantize(i128(-8), 0, s_zero), -8);
  EXPECT_EQ(quantize(i128(7), 0, s_zero), 7);
  const Fixed s_sym = make(true, 4, 4, Rounding::TRN, Overflow::SAT_SYM);
  EXPECT_EQ(quantize(i128(100), 0, s_sym), 7);
  EXPECT_EQ(quantize(i128(-100), 0, s_sym), -7);
  const Fixed u_wrap = make(false, 4, 4);
  EXPECT_EQ(quantize(i128(-1), 0, u_wrap), 15);
  EXPECT_EQ(quantize(i128(16), 0, u_wrap), 0);
  const Fixed u_sym = make(false, 4, 4, Rounding::TRN, Overflow::SAT_SYM);
  EXPECT_EQ(quantize(i128(-3), 0, u_sym), 0);
  EXPECT_EQ(quantize(i128(99), 0, u_sym), 15);
  // Rounding happens before overflow: 7.5 rounds to 8, which then overflows.
  EXPECT_EQ(quantize(i128(15), 1, make(true, 4, 4, Rounding::RND, Overflow::SAT)), 7);
  EXPECT_EQ(quantize(i128(15), 1, make(true, 4, 4, Rounding::RND, Overflow::WRAP)), -8);
  EXPECT_EQ(quantize(i128(15), 1, make(true, 4, 4, Rounding::RND, Overflow::SAT_ZERO)), 0);
}

// SAT_SYM and the most negative code: Xilinx's ap_fixed_base.h (operator= and
// ap_fixed_base(double)) adds `underflow |= neg_src && bits[W-2:0] == 0`, so an
// in-range negative value equal to -2^(W-1) is still mapped to -max: SAT_SYM
// is symmetric for every value, not only on overflow. For W == 1 the headers
// build "-max" as the code 1 (= -1), so SAT_SYM on 1 bit behaves like SAT.
TEST(FixedQuantize, SatSymMostNegativeCode) {
  const Fixed t = make(true, 4, 4, Rounding::TRN, Overflow::SAT_SYM);
  EXPECT_EQ(quantize(i128(-8), 0, t), -7);    // in range, still -max
  EXPECT_EQ(quantize(-8.0, t), -7);
  EXPECT_EQ(quantize(i128(-15), 1, t), -7);   // -7.5 floors to -8 -> -7
  EXPECT_EQ(quantize(i128(-15), 1, make(true, 4, 4, Rounding::RND, Overflow::SAT_SYM)), -7);
  EXPECT_EQ(quantize(i128(-7), 0, t), -7);
  EXPECT_EQ(quantize(i128(-1), 2, t), -1);    // -0.25 floors to -1: untouched
  const Fixed one = make(true, 1, 1, Rounding::TRN, Overflow::SAT_SYM);
  EXPECT_EQ(quantize(i128(-1), 0, one), -1);
  EXPECT_EQ(quantize(i128(-5), 0, one), -1);
  EXPECT_EQ(quantize(i128(5), 0, one), 0);
  const Fixed wide = make(true, 64, 64, Rounding::TRN, Overflow::SAT_SYM);
  EXPECT_EQ(quantize(i128(INT64_MIN), 0, wide), -INT64_MAX);
}

// ---------------------------------------------------------------------------
// Large shifts, 128-bit extremes, 64-bit widths.
// ---------------------------------------------------------------------------

TEST(FixedQuantize, HugeRightShifts) {
  const i128 kMax = std::numeric_limits<i128>::max();
  const i128 kMin = std::numeric_limits<i128>::min();
  const Fixed t0 = make(true, 8, 8);  // F = 0
  for (int frac : {128, 129, 200, 1000, std::numeric_limits<int>::max()}) {
    SCOPED_TRACE(frac);
    for (Rounding q : kRoundings) {
      Fixed t = t0;
      t.rounding = q;
      // tiny positive: below half an LSB
      EXPECT_EQ(quantize(kMax, frac, t), 0);
      EXPECT_EQ(quantize(i128(1), frac, t), 0);
      // tiny negative: floor is -1, nearest is 0
      const int64_t neg = (q == Rounding::TRN) ? -1 : 0;
      EXPECT_EQ(quantize(i128(-1), frac, t), neg);
      if (frac != 128) {
        EXPECT_EQ(quantize(kMin, frac, t), neg);
      }
    }
  }
  // kMin * 2^-128 is exactly -0.5: a tie.
  const int64_t tie[] = {-1 /*TRN*/, 0 /*TRN_ZERO*/, 0 /*RND*/,        0 /*RND_ZERO*/,
                         -1 /*RND_INF*/, -1 /*RND_MIN_INF*/, 0 /*RND_CONV*/};
  for (int k = 0; k < 7; ++k) {
    Fixed t = t0;
    t.rounding = kRoundings[k];
    EXPECT_EQ(quantize(kMin, 128, t), tie[k]) << t.str();
    // same tie one bit further, with a target of 1 fractional bit: -0.25 at LSB 0.5
    Fixed t1 = make(true, 8, 7, kRoundings[k]);
    EXPECT_EQ(quantize(kMin, 129, t1), tie[k]) << t1.str();
  }
  // kMax * 2^-126 = 2 - 2^-126: floor 1, rounds to 2.
  EXPECT_EQ(quantize(kMax, 126, t0), 1);
  EXPECT_EQ(quantize(kMax, 126, make(true, 8, 8, Rounding::RND)), 2);
  EXPECT_EQ(quantize(kMin, 126, t0), -2);
  EXPECT_EQ(quantize(kMin, 127, t0), -1);
  EXPECT_EQ(quantize(kMax, 127, t0), 0);
  EXPECT_EQ(quantize(kMax, 127, make(true, 8, 8, Rounding::RND)), 1);
}

TEST(FixedQuantize, HugeLeftShifts) {
  const Fixed w8 = make(true, 8, 8), s8 = make(true, 8, 8, Rounding::TRN, Overflow::SAT);
  const Fixed z8 = make(true, 8, 8, Rounding::TRN, Overflow::SAT_ZERO);
  const Fixed y8 = make(true, 8, 8, Rounding::TRN, Overflow::SAT_SYM);
  for (int frac : {-60, -64, -100, -127, -128, -1000, std::numeric_limits<int>::min()}) {
    SCOPED_TRACE(frac);
    EXPECT_EQ(quantize(i128(1), frac, w8), 0);  // multiples of 2^8 wrap to 0
    EXPECT_EQ(quantize(i128(-3), frac, w8), 0);
    EXPECT_EQ(quantize(i128(1), frac, s8), 127);
    EXPECT_EQ(quantize(i128(-1), frac, s8), -128);
    EXPECT_EQ(quantize(i128(-1), frac, y8), -127);
    EXPECT_EQ(quantize(i128(5), frac, z8), 0);
    EXPECT_EQ(quantize(i128(0), frac, s8), 0);
    EXPECT_EQ(quantize(std::numeric_limits<i128>::max(), frac, s8), 127);
    EXPECT_EQ(quantize(std::numeric_limits<i128>::min(), frac, s8), -128);
  }
  // Wrap keeps the low bits of the exact product.
  const Fixed w64 = make(true, 64, 64);
  EXPECT_EQ(quantize(i128(3), -62, w64), INT64_MIN + (int64_t(1) << 62));  // 0xC000...
  EXPECT_EQ(quantize(i128(5), -61, w64), int64_t(0xA000000000000000ull));
  EXPECT_EQ(quantize(i128(0x1235), -60, make(true, 8, 8)), 0);
  EXPECT_EQ(quantize(i128(0x1235), -4, make(true, 8, 8)), 0x50);
  EXPECT_EQ(quantize(i128(0x1235), -4, make(false, 12, 12)), 0x350);
  // Exact product beyond 127 bits (raw near 2^127, shift 60).
  const i128 big = (i128(1) << 126) + 0x12345;
  EXPECT_EQ(quantize(big, -60, make(false, 63, 63)), int64_t((uint64_t(0x12345) << 60) & INT64_MAX));
  EXPECT_EQ(quantize(big, -60, make(false, 63, 63, Rounding::TRN, Overflow::SAT)), INT64_MAX);
  EXPECT_EQ(quantize(-big, -60, make(false, 63, 63, Rounding::TRN, Overflow::SAT)), 0);
}

TEST(FixedQuantize, SixtyFourBitLimits) {
  const i128 max64 = INT64_MAX, min64 = INT64_MIN;
  const Fixed w = make(true, 64, 64), s = make(true, 64, 64, Rounding::TRN, Overflow::SAT);
  EXPECT_EQ(w.min_raw(), INT64_MIN);
  EXPECT_EQ(w.max_raw(), INT64_MAX);
  EXPECT_EQ(quantize(max64, 0, w), INT64_MAX);
  EXPECT_EQ(quantize(min64, 0, w), INT64_MIN);
  EXPECT_EQ(quantize(max64 + 1, 0, w), INT64_MIN);
  EXPECT_EQ(quantize(min64 - 1, 0, w), INT64_MAX);
  EXPECT_EQ(quantize(max64 + 1, 0, s), INT64_MAX);
  EXPECT_EQ(quantize(min64 - 1, 0, s), INT64_MIN);
  EXPECT_EQ(quantize(min64, 0, s), INT64_MIN);
  EXPECT_EQ(quantize(max64 + 1, 0, make(true, 64, 64, Rounding::TRN, Overflow::SAT_ZERO)), 0);
  // Rounding up into overflow at the top of a 64-bit type: (2^63 - 0.5).
  const i128 almost = (i128(1) << 64) - 1;  // * 2^-1 = 2^63 - 0.5
  EXPECT_EQ(quantize(almost, 1, make(true, 64, 64, Rounding::RND, Overflow::SAT)), INT64_MAX);
  EXPECT_EQ(quantize(almost, 1, make(true, 64, 64, Rounding::RND, Overflow::WRAP)), INT64_MIN);
  EXPECT_EQ(quantize(almost, 1, make(true, 64, 64, Rounding::TRN, Overflow::SAT)), INT64_MAX);
  EXPECT_EQ(quantize(almost, 1, make(true, 64, 64, Rounding::RND_ZERO, Overflow::SAT)),
            INT64_MAX);

  const Fixed uw = make(false, 63, 63), us = make(false, 63, 63, Rounding::TRN, Overflow::SAT);
  EXPECT_EQ(uw.min_raw(), 0);
  EXPECT_EQ(uw.max_raw(), INT64_MAX);
  EXPECT_EQ(quantize(max64, 0, uw), INT64_MAX);
  EXPECT_EQ(quantize(max64 + 1, 0, uw), 0);
  EXPECT_EQ(quantize(i128(-1), 0, uw), INT64_MAX);
  EXPECT_EQ(quantize(max64 + 1, 0, us), INT64_MAX);
  EXPECT_EQ(quantize(i128(-1), 0, us), 0);
  EXPECT_EQ(quantize(i128(-1), 0, make(false, 63, 63, Rounding::TRN, Overflow::SAT_ZERO)), 0);

  // A 64-bit type with many fractional bits.
  const Fixed f = make(true, 64, 1, Rounding::RND_CONV, Overflow::SAT);  // F = 63
  EXPECT_EQ(quantize(0.5, f), int64_t(1) << 62);
  EXPECT_EQ(quantize(-1.0, f), INT64_MIN);
  EXPECT_EQ(quantize(1.0, f), INT64_MAX);
}

// ---------------------------------------------------------------------------
// Doubles.
// ---------------------------------------------------------------------------

TEST(FixedQuantizeDouble, SpecialValues) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (bool s : {true, false})
    for (Rounding q : kRoundings)
      for (Overflow o : kOverflows) {
        const Fixed t = make(s, 8, 3, q, o);
        SCOPED_TRACE(t.str());
        EXPECT_EQ(quantize(nan, t), 0);
        EXPECT_EQ(quantize(-nan, t), 0);
        EXPECT_EQ(quantize(0.0, t), 0);
        EXPECT_EQ(quantize(-0.0, t), 0);
        // +-inf and huge finite values are beyond the range.
        for (double big : {inf, 1e300, std::numeric_limits<double>::max(), 0x1p64}) {
          const int64_t hi = o == Overflow::WRAP || o == Overflow::SAT_ZERO ? 0 : t.max_raw();
          int64_t lo = o == Overflow::WRAP || o == Overflow::SAT_ZERO ? 0 : t.min_raw();
          if (o == Overflow::SAT_SYM && s) lo = -t.max_raw();
          EXPECT_EQ(quantize(big, t), hi) << big;
          EXPECT_EQ(quantize(-big, t), lo) << -big;
        }
      }
  // inf is taken as 2^1024 (as ap_fixed_base(double) does), so a type whose
  // LSB is huge can still see its low bits under WRAP.
  EXPECT_EQ(quantize(inf, make(true, 8, 1030)), 4);  // LSB 2^1022
  EXPECT_EQ(quantize(-inf, make(true, 8, 1030, Rounding::TRN, Overflow::SAT)), -4);
  EXPECT_EQ(quantize(inf, make(true, 8, 1000)), 0);  // LSB 2^992: low bits of 2^32 LSBs
}

TEST(FixedQuantizeDouble, TinyValues) {
  const double denorm = std::numeric_limits<double>::denorm_min();
  for (double tiny : {1e-300, denorm, 0x1p-1074 * 3, std::numeric_limits<double>::min()}) {
    SCOPED_TRACE(tiny);
    const Fixed t = make(true, 16, 4);
    EXPECT_EQ(quantize(tiny, t), 0);
    EXPECT_EQ(quantize(-tiny, t), -1);  // floor
    EXPECT_EQ(quantize(-tiny, make(true, 16, 4, Rounding::TRN_ZERO)), 0);
    EXPECT_EQ(quantize(-tiny, make(true, 16, 4, Rounding::RND)), 0);
    EXPECT_EQ(quantize(-tiny, make(true, 16, 4, Rounding::RND_INF)), 0);
    EXPECT_EQ(quantize(-tiny, make(false, 16, 4, Rounding::TRN, Overflow::SAT)), 0);
    EXPECT_EQ(quantize(-tiny, make(false, 16, 4)), 65535);  // floor -1 wraps
  }
  // A type fine enough to represent a denormal exactly: LSB 2^-1074.
  EXPECT_EQ(quantize(denorm * 5, make(true, 8, -1066)), 5);
  EXPECT_EQ(quantize(-denorm * 5, make(true, 8, -1066)), -5);
  EXPECT_EQ(quantize(denorm * 5, make(true, 8, -1065, Rounding::RND_CONV)), 2);  // 2.5 -> 2
  EXPECT_EQ(quantize(denorm * 7, make(true, 8, -1065, Rounding::RND_CONV)), 4);  // 3.5 -> 4
}

TEST(FixedQuantizeDouble, AgreesWithIntegerPathOnExactValues) {
  const Fixed types[] = {make(true, 16, 6), make(true, 18, 8, Rounding::RND_CONV, Overflow::SAT),
                         make(false, 10, 2, Rounding::RND, Overflow::SAT_SYM),
                         make(true, 64, 20, Rounding::RND_INF, Overflow::SAT_ZERO),
                         make(false, 63, 63, Rounding::RND_MIN_INF, Overflow::WRAP)};
  uint64_t state = 88172645463325252ull;
  for (int n = 0; n < 20000; ++n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const int64_t mant = int64_t(state >> 11) - (int64_t(1) << 52);  // 53-bit signed
    const int e = int((state >> 3) % 120) - 40;
    const double d = std::ldexp(double(mant), -e);  // exact
    for (const Fixed& t : types) ASSERT_EQ(quantize(d, t), quantize(i128(mant), e, t)) << d;
  }
  // Familiar decimal examples (the double's exact binary value is used).
  const Fixed t = make(true, 16, 6);  // LSB 2^-10
  EXPECT_EQ(quantize(0.1, t), 102);    // 0.1 * 1024 = 102.4 -> floor 102
  EXPECT_EQ(quantize(-0.1, t), -103);  // floor
  EXPECT_EQ(quantize(0.1, make(true, 16, 6, Rounding::RND)), 102);
  EXPECT_EQ(quantize(1.3, make(true, 8, 3)), 41);  // 1.3 * 32 = 41.6000...
  EXPECT_EQ(quantize(1.3, make(true, 8, 3, Rounding::RND)), 42);
  EXPECT_EQ(quantize(3.75, make(true, 4, 2, Rounding::RND)), -1);  // code 15 wraps
  EXPECT_EQ(quantize(3.75, make(true, 4, 2, Rounding::RND, Overflow::SAT)), 7);
}

// ---------------------------------------------------------------------------
// Type helpers.
// ---------------------------------------------------------------------------

TEST(FixedType, RangesAndValues) {
  const Fixed t = make(true, 8, 3);  // F = 5
  EXPECT_EQ(t.frac_bits(), 5);
  EXPECT_EQ(t.min_raw(), -128);
  EXPECT_EQ(t.max_raw(), 127);
  EXPECT_EQ(t.lsb(), 1.0 / 32);
  EXPECT_EQ(t.value(-128), -4.0);
  EXPECT_EQ(t.value(127), 127.0 / 32);
  const Fixed u = make(false, 8, 10);  // F = -2
  EXPECT_EQ(u.min_raw(), 0);
  EXPECT_EQ(u.max_raw(), 255);
  EXPECT_EQ(u.lsb(), 4.0);
  EXPECT_EQ(u.value(255), 1020.0);
  const Fixed one = make(true, 1, -2);
  EXPECT_EQ(one.min_raw(), -1);
  EXPECT_EQ(one.max_raw(), 0);
  EXPECT_EQ(one.value(-1), -0.125);
}

TEST(FixedType, ValidateRejectsBadWidths) {
  EXPECT_NO_THROW(make(true, 1, 0).validate());
  EXPECT_NO_THROW(make(true, 64, 0).validate());
  EXPECT_NO_THROW(make(false, 63, 0).validate());
  EXPECT_THROW(make(true, 0, 0).validate(), FixedTypeError);
  EXPECT_THROW(make(true, 65, 0).validate(), FixedTypeError);
  EXPECT_THROW(make(false, 64, 0).validate(), FixedTypeError);
  EXPECT_THROW(make(true, -3, 0).validate(), FixedTypeError);
  EXPECT_THROW(quantize(i128(1), 0, make(true, 0, 0)), FixedTypeError);
  EXPECT_THROW(quantize(1.0, make(false, 64, 0)), FixedTypeError);
}

TEST(FixedType, Spellings) {
  EXPECT_EQ(make(true, 8, 6).str(), "fixed<8,6>");
  EXPECT_EQ(make(true, 8, 6).ap_str(), "ap_fixed<8,6>");
  EXPECT_EQ(make(false, 8, -2).str(), "ufixed<8,-2>");
  EXPECT_EQ(make(false, 8, -2).ap_str(), "ap_ufixed<8,-2>");
  EXPECT_EQ(make(true, 8, 6, Rounding::RND_CONV, Overflow::SAT).str(), "fixed<8,6,RND_CONV,SAT>");
  EXPECT_EQ(make(true, 8, 6, Rounding::RND_CONV, Overflow::SAT).ap_str(),
            "ap_fixed<8,6,AP_RND_CONV,AP_SAT>");
  EXPECT_EQ(make(true, 8, 6, Rounding::RND).str(), "fixed<8,6,RND>");
  EXPECT_EQ(make(true, 8, 6, Rounding::TRN, Overflow::SAT_SYM).str(), "fixed<8,6,TRN,SAT_SYM>");
  EXPECT_EQ(make(false, 5, 9, Rounding::TRN, Overflow::SAT_ZERO).ap_str(),
            "ap_ufixed<5,9,AP_TRN,AP_SAT_ZERO>");
  EXPECT_STREQ(nanogate::to_string(Rounding::RND_MIN_INF), "RND_MIN_INF");
  EXPECT_STREQ(nanogate::to_string(Overflow::SAT_ZERO), "SAT_ZERO");
}

TEST(FixedParse, RoundTripsEveryMode) {
  for (bool s : {true, false})
    for (int w : {1, 2, 7, 16, 32, 63, 64})
      for (int i : {-20, -1, 0, 1, 5, 64, 100})
        for (Rounding q : kRoundings)
          for (Overflow o : kOverflows) {
            const Fixed t = make(s, w, i, q, o);
            if (!s && w == 64) continue;
            EXPECT_EQ(parse_fixed(t.str()), t) << t.str();
            EXPECT_EQ(parse_fixed(t.ap_str()), t) << t.ap_str();
          }
}

TEST(FixedParse, AcceptedSpellings) {
  EXPECT_EQ(parse_fixed("fixed<8,3>"), make(true, 8, 3));
  EXPECT_EQ(parse_fixed("  ap_fixed < 8 , -3 , AP_RND_CONV , AP_SAT , 0 >  "),
            make(true, 8, -3, Rounding::RND_CONV, Overflow::SAT));
  EXPECT_EQ(parse_fixed("ap_fixed<8,3,RND,AP_SAT_SYM>"),
            make(true, 8, 3, Rounding::RND, Overflow::SAT_SYM));
  EXPECT_EQ(parse_fixed("ufixed<12,+4,AP_TRN_ZERO>"), make(false, 12, 4, Rounding::TRN_ZERO));
  EXPECT_EQ(parse_fixed("ap_ufixed<12,4,TRN,WRAP,0>"), make(false, 12, 4));
  EXPECT_EQ(parse_fixed("int<8>"), make(true, 8, 8));
  EXPECT_EQ(parse_fixed("ap_int< 64 >"), make(true, 64, 64));
  EXPECT_EQ(parse_fixed("uint<1>"), make(false, 1, 1));
  EXPECT_EQ(parse_fixed("ap_uint<63>"), make(false, 63, 63));
  EXPECT_EQ(parse_fixed("fixed<8,3,RND_MIN_INF,SAT_ZERO>"),
            make(true, 8, 3, Rounding::RND_MIN_INF, Overflow::SAT_ZERO));
}

void expect_parse_error(const std::string& text, const std::string& why) {
  try {
    parse_fixed(text);
    ADD_FAILURE() << "no error for '" << text << "'";
  } catch (const FixedTypeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'" + text + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << msg;
  }
}

TEST(FixedParse, Errors) {
  try {
    parse_fixed("fixed<0,3>");
    ADD_FAILURE();
  } catch (const FixedTypeError& e) {
    EXPECT_STREQ(e.what(), "invalid type 'fixed<0,3>': width must be 1..64");
  }
  expect_parse_error("fixed<65,3>", "width must be 1..64");
  expect_parse_error("ufixed<64,3>", "width must be 1..63");
  expect_parse_error("ap_uint<64>", "width must be 1..63");
  expect_parse_error("int<0>", "width must be 1..64");
  expect_parse_error("fixed<-4,3>", "width must be 1..64");
  expect_parse_error("fixed<8>", "2 to 5 parameters");
  expect_parse_error("fixed<8,3,TRN,WRAP,0,1>", "2 to 5 parameters <W,I[,Q[,O[,N]]]>, got 6");
  expect_parse_error("int<8,3>", "exactly one parameter");
  expect_parse_error("fixed<1,2,3,4,5,6,7>", "too many parameters");
  expect_parse_error("fixed<8,3,FOO>", "unknown rounding mode 'FOO'");
  expect_parse_error("fixed<8,3,AP_TRN,BAR>", "unknown overflow mode 'BAR'");
  expect_parse_error("fixed<8,3,AP_TRN,AP_WRAP_SM>", "not supported");
  expect_parse_error("fixed<8,3,TRN,WRAP,1>", "saturation bits N must be 0");
  expect_parse_error("fixed<8,3,trn>", "unknown rounding mode");  // case-sensitive
  expect_parse_error("Fixed<8,3>", "unknown type name 'Fixed'");
  expect_parse_error("float<8,3>", "unknown type name 'float'");
  expect_parse_error("<8,3>", "unknown type name ''");
  expect_parse_error("fixed<8,3", "missing '>'");
  expect_parse_error("fixed<8,3> x", "unexpected text after '>'");
  expect_parse_error("fixed 8,3", "expected '<'");
  expect_parse_error("", "empty type");
  expect_parse_error("fixed<a,3>", "width 'a' is not an integer");
  expect_parse_error("fixed<8,3.5>", "integer bits '3.5' is not an integer");
  expect_parse_error("fixed<8,,3>", "empty parameter 2");
  expect_parse_error("fixed<8,99999999999>", "out of range");
  expect_parse_error("fixed<fixed<8,3>,2>", "unbalanced");
}

TEST(FixedTypeForRange, SmallestType) {
  EXPECT_EQ(type_for_range(0, 0, 0), make(false, 1, 1));
  EXPECT_EQ(type_for_range(0, 1, 0), make(false, 1, 1));
  EXPECT_EQ(type_for_range(0, 255, 0), make(false, 8, 8));
  EXPECT_EQ(type_for_range(3, 256, 4), make(false, 9, 5));
  EXPECT_EQ(type_for_range(-1, 0, 0), make(true, 1, 1));
  EXPECT_EQ(type_for_range(-128, 127, 2), make(true, 8, 6));
  EXPECT_EQ(type_for_range(-129, 127, 0), make(true, 9, 9));
  EXPECT_EQ(type_for_range(-128, 128, 0), make(true, 9, 9));
  EXPECT_EQ(type_for_range(-5, -3, -2), make(true, 4, 6));
  EXPECT_EQ(type_for_range(INT64_MIN, INT64_MAX, 10), make(true, 64, 54));
  EXPECT_EQ(type_for_range(0, INT64_MAX, 0), make(false, 63, 63));
  EXPECT_THROW(type_for_range(0, i128(INT64_MAX) + 1, 0), FixedTypeError);
  EXPECT_THROW(type_for_range(i128(INT64_MIN) - 1, 0, 0), FixedTypeError);
  EXPECT_THROW(type_for_range(-1, i128(INT64_MAX) + 1, 0), FixedTypeError);
  EXPECT_THROW(type_for_range(std::numeric_limits<i128>::min(), std::numeric_limits<i128>::max(), 0),
               FixedTypeError);
  EXPECT_THROW(type_for_range(5, 4, 0), FixedTypeError);
  // Brute force: the result holds lo and hi, and one bit less would not.
  for (int lo = -70; lo <= 70; ++lo)
    for (int hi = lo; hi <= 70; ++hi) {
      const Fixed t = type_for_range(lo, hi, 3);
      ASSERT_EQ(t.is_signed, lo < 0);
      ASSERT_EQ(t.frac_bits(), 3);
      ASSERT_TRUE(t.min_raw() <= lo && hi <= t.max_raw()) << lo << ".." << hi;
      if (t.width > 1) {
        Fixed smaller = t;
        smaller.width -= 1;
        ASSERT_FALSE(smaller.min_raw() <= lo && hi <= smaller.max_raw()) << lo << ".." << hi;
      }
      ASSERT_EQ(quantize(i128(lo), 3, t), lo);
      ASSERT_EQ(quantize(i128(hi), 3, t), hi);
    }
}

}  // namespace
