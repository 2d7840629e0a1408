// Bit-exactness cross-check of nanogate::quantize against Xilinx's own
// ap_fixed headers (ap_fixed.h / ap_fixed_base.h, Apache-2.0, e.g. the copy in
// the hls4ml wheel under hls4ml/templates/vivado/ap_types). The headers are
// not part of this repository: CMake builds this file into its own executable
// (nanogate_ap_types_tests) only when the cache variable NANOGATE_AP_TYPES_DIR
// names a folder holding ap_fixed.h, e.g.
//   pip download hls4ml==1.3.0 --no-deps -d /tmp/h && unzip -q /tmp/h/*.whl -d /tmp/h
//   cmake -DNANOGATE_AP_TYPES_DIR=/tmp/h/hls4ml/templates/vivado/ap_types ...
//
// For each target ap_[u]fixed<W,I,Q,O> in the list below (all 7 Q x 4 O,
// signed and unsigned) it casts every code of several source types (finer,
// equal, coarser; signed and unsigned; narrow and wide) through the real
// ap_fixed assignment, and a grid of doubles through ap_fixed_base(double),
// and requires the same raw code as nanogate::quantize.
#include <ap_fixed.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <utility>

#include "nanogate/fixed.hpp"

namespace {

struct Counts {
  int64_t cases = 0;
  int64_t mismatches = 0;
};

nanogate::Rounding ng_rounding(ap_q_mode q) {
  using R = nanogate::Rounding;
  switch (q) {
    case AP_TRN: return R::TRN;
    case AP_TRN_ZERO: return R::TRN_ZERO;
    case AP_RND: return R::RND;
    case AP_RND_ZERO: return R::RND_ZERO;
    case AP_RND_INF: return R::RND_INF;
    case AP_RND_MIN_INF: return R::RND_MIN_INF;
    default: return R::RND_CONV;
  }
}

nanogate::Overflow ng_overflow(ap_o_mode o) {
  using O = nanogate::Overflow;
  switch (o) {
    case AP_WRAP: return O::WRAP;
    case AP_SAT: return O::SAT;
    case AP_SAT_ZERO: return O::SAT_ZERO;
    default: return O::SAT_SYM;
  }
}

/// The raw code held by an ap_fixed's storage, sign-extended when signed.
template <int W, bool S, typename V>
int64_t raw_code(const V& v) {
  uint64_t u = v.to_uint64();
  if (W < 64) u &= (uint64_t(1) << W) - 1;
  if (S && W < 64 && ((u >> (W - 1)) & 1)) return int64_t(u) - 2 * (int64_t(1) << (W - 1));
  return int64_t(u);
}

template <int W2, int I2, bool S2, int W, int I, bool S, ap_q_mode Q, ap_o_mode O>
void check_source(Counts& n, const nanogate::Fixed& t) {
  for (int64_t c = 0; c < (int64_t(1) << W2); ++c) {
    ap_fixed_base<W2, I2, S2, AP_TRN, AP_WRAP, 0> x;
    x.V = static_cast<unsigned long long>(c);
    const int64_t raw = (S2 && ((c >> (W2 - 1)) & 1)) ? c - (int64_t(1) << W2) : c;
    ap_fixed_base<W, I, S, Q, O, 0> y(x);
    const int64_t want = raw_code<W, S>(y.V);
    const int64_t got = nanogate::quantize(nanogate::i128(raw), W2 - I2, t);
    ++n.cases;
    if (got != want && ++n.mismatches <= 20)
      ADD_FAILURE() << t.ap_str() << " = " << (S2 ? "ap_fixed<" : "ap_ufixed<") << W2 << ","
                    << I2 << "> raw " << raw << ": ap_fixed " << want << ", nanogate " << got;
  }
}

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O>
void check_double(Counts& n, const nanogate::Fixed& t, double d) {
  ap_fixed_base<W, I, S, Q, O, 0> y(d);
  const int64_t want = raw_code<W, S>(y.V);
  const int64_t got = nanogate::quantize(d, t);
  ++n.cases;
  if (got != want && ++n.mismatches <= 20)
    ADD_FAILURE() << t.ap_str() << " = double " << d << ": ap_fixed " << want << ", nanogate "
                  << got;
}

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O>
void check_target(Counts& n) {
  const nanogate::Fixed t{S, W, I, ng_rounding(Q), ng_overflow(O)};
  // Sources: F2 = 0, 4, 10, 12 (finer), -3 (coarser); unsigned; 1..3 bits.
  check_source<10, 10, true, W, I, S, Q, O>(n, t);
  check_source<10, 6, true, W, I, S, Q, O>(n, t);
  check_source<10, 0, true, W, I, S, Q, O>(n, t);
  check_source<10, -2, true, W, I, S, Q, O>(n, t);
  check_source<10, 13, true, W, I, S, Q, O>(n, t);
  check_source<10, 3, false, W, I, S, Q, O>(n, t);
  check_source<3, 7, true, W, I, S, Q, O>(n, t);
  check_source<3, -2, true, W, I, S, Q, O>(n, t);
  check_source<1, 1, true, W, I, S, Q, O>(n, t);
  // Doubles k * 2^-e, plus values far outside every range.
  for (int e : {-3, 0, 4, 9})
    for (int k = -300; k <= 300; ++k) check_double<W, I, S, Q, O>(n, t, std::ldexp(double(k), -e));
  for (double d : std::initializer_list<double>{INFINITY, -INFINITY, 1e300, -1e300, 0x1p64,
                                                -0x1p64, 1e-300, -1e-300, 0.1, -0.1, 3.14159,
                                                -2.71828})
    check_double<W, I, S, Q, O>(n, t, d);
}

template <int W, int I, bool S, int... QO>
void check_all_modes(Counts& n, std::integer_sequence<int, QO...>) {
  // ap_q_mode: AP_RND .. AP_TRN_ZERO = 0..6; ap_o_mode: AP_SAT .. AP_WRAP = 0..3.
  (check_target<W, I, S, static_cast<ap_q_mode>(QO / 4), static_cast<ap_o_mode>(QO % 4)>(n), ...);
}

template <int W, int I, bool S>
void check_type(Counts& n) {
  check_all_modes<W, I, S>(n, std::make_integer_sequence<int, 28>{});
}

TEST(FixedApTypes, SignedCastsMatchXilinxHeaders) {
  Counts n;
  check_type<1, 1, true>(n);
  check_type<2, 5, true>(n);
  check_type<3, 1, true>(n);
  check_type<4, 4, true>(n);
  check_type<5, -1, true>(n);
  check_type<6, 9, true>(n);
  EXPECT_EQ(n.mismatches, 0) << "of " << n.cases << " cases";
  EXPECT_GT(n.cases, 0);
}

TEST(FixedApTypes, UnsignedCastsMatchXilinxHeaders) {
  Counts n;
  check_type<1, 1, false>(n);
  check_type<3, 0, false>(n);
  check_type<4, 6, false>(n);
  check_type<5, 2, false>(n);
  EXPECT_EQ(n.mismatches, 0) << "of " << n.cases << " cases";
  EXPECT_GT(n.cases, 0);
}

TEST(FixedApTypes, WideTypesMatchXilinxHeaders) {
  // 64-bit targets at their range limits, through doubles (exact up to 2^53
  // apart) and through a 64-bit integer source.
  Counts n;
  const double vals[] = {0x1p62,  -0x1p62, 0x1p63, -0x1p63, 0x1p64, -0x1p64, 0x1.fffffffffffffp62,
                         -0x1.fffffffffffffp62, 1.5, -1.5, 2.5, -2.5, 0x1p-40, -0x1p-40};
  using nanogate::Overflow;
  using nanogate::Rounding;
  for (double d : vals) {
    check_double<64, 64, true, AP_RND_CONV, AP_SAT_SYM>(
        n, {true, 64, 64, Rounding::RND_CONV, Overflow::SAT_SYM}, d);
    check_double<64, 64, true, AP_RND, AP_WRAP>(n, {true, 64, 64, Rounding::RND, Overflow::WRAP}, d);
    check_double<63, 63, false, AP_RND_INF, AP_SAT>(
        n, {false, 63, 63, Rounding::RND_INF, Overflow::SAT}, d);
    check_double<64, 20, true, AP_TRN_ZERO, AP_SAT>(
        n, {true, 64, 20, Rounding::TRN_ZERO, Overflow::SAT}, d);
  }
  // 64-bit source codes into narrower and equal targets.
  const int64_t codes[] = {0, 1, -1, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
                           int64_t(1) << 40, -(int64_t(1) << 40), 0x123456789abcdefLL};
  for (int64_t c : codes) {
    ap_fixed<64, 64> x;
    x.V = static_cast<unsigned long long>(c);
    {
      ap_fixed<64, 64, AP_TRN, AP_SAT_SYM> y(x);
      const nanogate::Fixed t{true, 64, 64, nanogate::Rounding::TRN, nanogate::Overflow::SAT_SYM};
      EXPECT_EQ(nanogate::quantize(nanogate::i128(c), 0, t), (raw_code<64, true>(y.V))) << c;
    }
    {
      ap_fixed<16, 4, AP_RND_CONV, AP_SAT> y(x);
      const nanogate::Fixed t{true, 16, 4, nanogate::Rounding::RND_CONV, nanogate::Overflow::SAT};
      EXPECT_EQ(nanogate::quantize(nanogate::i128(c), 0, t), (raw_code<16, true>(y.V))) << c;
    }
    {
      ap_ufixed<63, 40, AP_RND, AP_WRAP> y(x);
      const nanogate::Fixed t{false, 63, 40, nanogate::Rounding::RND, nanogate::Overflow::WRAP};
      EXPECT_EQ(nanogate::quantize(nanogate::i128(c), 0, t), (raw_code<63, false>(y.V))) << c;
    }
    {
      ap_fixed<24, 60, AP_RND_ZERO, AP_WRAP> y(x);  // coarser: LSB 2^36
      const nanogate::Fixed t{true, 24, 60, nanogate::Rounding::RND_ZERO, nanogate::Overflow::WRAP};
      EXPECT_EQ(nanogate::quantize(nanogate::i128(c), 0, t), (raw_code<24, true>(y.V))) << c;
    }
  }
  EXPECT_EQ(n.mismatches, 0) << "of " << n.cases << " cases";
}

}  // namespace
