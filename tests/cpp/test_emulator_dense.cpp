// The layer emulator's Dense against an independent reference of hls4ml's
// nnet::dense_latency semantics, written here with plain integer division.
#include <gtest/gtest.h>

#include <random>

#include "graph_builder.hpp"
#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/model.hpp"

using namespace nanogate;
using nanogate::testing::GraphBuilder;

namespace {

/// Reference cast of num * 2^-f to t (TRN / RND_CONV; WRAP / SAT only),
/// by floor division — independent of nanogate::quantize.
int64_t ref_cast(i128 num, int f, const Fixed& t) {
  int F = t.width - t.int_bits;
  i128 k;
  if (F >= f) {
    k = num * (i128(1) << (F - f));
  } else {
    i128 den = i128(1) << (f - F);
    i128 q = num / den, r = num % den;
    if (r < 0) {  // floor division
      q -= 1;
      r += den;
    }
    k = q;
    if (t.rounding == Rounding::RND_CONV && (2 * r > den || (2 * r == den && (q % 2 != 0)))) k = q + 1;
    EXPECT_TRUE(t.rounding == Rounding::TRN || t.rounding == Rounding::RND_CONV);
  }
  i128 lo = t.is_signed ? -(i128(1) << (t.width - 1)) : 0;
  i128 hi = t.is_signed ? (i128(1) << (t.width - 1)) - 1 : (i128(1) << t.width) - 1;
  if (k >= lo && k <= hi) return int64_t(k);
  if (t.overflow == Overflow::SAT) return int64_t(k < lo ? lo : hi);
  i128 m = i128(1) << t.width;
  i128 w = ((k - lo) % m + m) % m + lo;
  return int64_t(w);
}

struct DenseCase {
  Fixed tx, tw, tb, acc, res;
  int n_in = 12, n_out = 7;
};

/// Runs a float MatMul+Add model with the given types through the emulator and
/// the reference on random inputs; returns the number of compared values.
int64_t check_dense(const DenseCase& c, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto rnd_raw = [&](const Fixed& t) {
    int64_t span = t.max_raw() - t.min_raw() + 1;
    return t.min_raw() + int64_t(rng() % uint64_t(span));
  };
  std::vector<int64_t> w(size_t(c.n_in * c.n_out)), b(size_t(c.n_out));
  std::vector<double> wv, bv;
  for (auto& x : w) {
    x = rnd_raw(c.tw);
    wv.push_back(c.tw.value(x));
  }
  for (auto& x : b) {
    x = rnd_raw(c.tb);
    bv.push_back(c.tb.value(x));
  }
  GraphBuilder gb;
  auto x = gb.input("x", {c.n_in});
  auto mm = gb.node("MatMul", "fc", {x, gb.constant("W", {c.n_in, c.n_out}, wv)});
  auto y = gb.node("Add", "fc_bias", {mm, gb.constant("b", {c.n_out}, bv)});
  Config cfg;
  PrecisionSpec in, fc;
  in.result = TypeSpec{false, c.tx};
  fc.weight = TypeSpec{false, c.tw};
  fc.bias = TypeSpec{false, c.tb};
  fc.accum = TypeSpec{false, c.acc};
  fc.result = TypeSpec{false, c.res};
  cfg.by_name["x"].precision = in;
  cfg.by_name["fc"].precision = fc;
  Model m = compile_graph(gb.done(y), cfg);
  const int rows = 600;
  std::vector<int64_t> xr(size_t(rows * c.n_in));
  std::vector<double> xv;
  for (auto& v : xr) {
    v = rnd_raw(c.tx);
    if (rng() % 5 == 0) v = 0;
    if (rng() % 11 == 0) v = (rng() & 1) ? c.tx.max_raw() : c.tx.min_raw();
    xv.push_back(c.tx.value(v));
  }
  Emulator emu(m);
  EmulatorResult r = emu.run(xv.data(), rows);
  int fx = c.tx.width - c.tx.int_bits, fw = c.tw.width - c.tw.int_bits, fb = c.tb.width - c.tb.int_bits;
  int fa = c.acc.width - c.acc.int_bits;
  int64_t n = 0;
  for (int e = 0; e < rows; ++e)
    for (int j = 0; j < c.n_out; ++j) {
      int64_t acc = ref_cast(b[j], fb, c.acc);
      for (int i = 0; i < c.n_in; ++i) {
        int64_t mult = ref_cast(i128(xr[e * c.n_in + i]) * w[i * c.n_out + j], fx + fw, c.acc);
        acc = ref_cast(i128(acc) + mult, fa, c.acc);
      }
      int64_t want = ref_cast(acc, fa, c.res);
      EXPECT_EQ(r.raw[e * c.n_out + j], want) << "event " << e << " output " << j;
      ++n;
    }
  return n;
}

}  // namespace

TEST(EmulatorDense, TruncatingProductsIntoAWrappingAccumulator) {
  // products have 9 fractional bits, accum 6: every product is floored (v1 AXOL1TL style)
  DenseCase c{Fixed{true, 8, 3}, Fixed{true, 6, 2}, Fixed{true, 8, 4}, Fixed{true, 10, 4},
              Fixed{true, 8, 4, Rounding::RND_CONV, Overflow::SAT}};
  EXPECT_EQ(check_dense(c, 1), 600 * 7);
}

TEST(EmulatorDense, SaturatingAccumulatorSaturatesAtEveryStepInOrder) {
  DenseCase c{Fixed{true, 8, 3}, Fixed{true, 6, 2}, Fixed{true, 8, 4},
              Fixed{true, 9, 3, Rounding::TRN, Overflow::SAT}, Fixed{true, 9, 3}};
  EXPECT_EQ(check_dense(c, 2), 600 * 7);
}

TEST(EmulatorDense, RoundingAccumulator) {
  DenseCase c{Fixed{false, 7, 3}, Fixed{true, 5, 1}, Fixed{true, 6, 3},
              Fixed{true, 12, 5, Rounding::RND_CONV, Overflow::WRAP}, Fixed{true, 10, 5}};
  EXPECT_EQ(check_dense(c, 3), 600 * 7);
}

TEST(EmulatorDense, ExactWrappingAccumulator) {
  // accum has the products' 9 fractional bits but too few integer bits: modular sum
  DenseCase c{Fixed{true, 8, 3}, Fixed{true, 6, 2}, Fixed{true, 8, 4}, Fixed{true, 11, 2}, Fixed{true, 11, 2}};
  EXPECT_EQ(check_dense(c, 4), 600 * 7);
}

TEST(EmulatorDense, WideTypes) {
  DenseCase c{Fixed{true, 30, 10}, Fixed{true, 24, 2}, Fixed{true, 30, 8}, Fixed{true, 40, 12},
              Fixed{true, 32, 12, Rounding::RND_CONV, Overflow::SAT}};
  c.n_in = 40;
  EXPECT_EQ(check_dense(c, 5), 600 * 7);
}

TEST(EmulatorDense, AutoAccumulatorIsExactAndMinimal) {
  // A QONNX-style model: Quant on the input and the weights; accum and result
  // default to "auto". Extreme inputs (each x_i at the end of its range that
  // pushes output j up, or down) must reach the exact sums without overflow,
  // and some output must need the accumulator's full width.
  std::mt19937_64 rng(9);
  const int n_in = 10, n_out = 5;
  std::vector<double> wv;
  for (int k = 0; k < n_in * n_out; ++k) wv.push_back(double(int(rng() % 31) - 15) / 8.0);  // 5-bit, scale 1/8
  GraphBuilder gb;
  auto x = gb.input("x", {n_in});
  auto xq = gb.quant("xq", x, 0.25, 6, true);  // fixed<6,4>
  auto wq = gb.quant("wq", gb.constant("W", {n_in, n_out}, wv), 0.125, 5, true);
  auto y = gb.node("MatMul", "fc", {xq, wq});
  Model m = compile_graph(gb.done(y), Config{});
  const Node& fc = *m.graph.find_node("fc");
  Fixed acc = *fc.precision.accum;
  EXPECT_EQ(acc.frac_bits(), 2 + 3);
  Emulator emu(m);
  double xmin = -8.0, xmax = 7.75;
  i128 lo_needed = 0, hi_needed = 0;
  for (int j = 0; j < n_out; ++j)
    for (int dir : {1, -1}) {
      std::vector<double> xin(n_in);
      double exact = 0;
      for (int i = 0; i < n_in; ++i) {
        double w = wv[i * n_out + j];
        xin[i] = (w * dir >= 0) ? xmax : xmin;
        exact += xin[i] * w;
      }
      EmulatorResult r = emu.run(xin.data(), 1);
      EXPECT_EQ(r.values[j], exact) << "output " << j;
      i128 raw = i128(exact * 32);
      lo_needed = std::min(lo_needed, raw);
      hi_needed = std::max(hi_needed, raw);
    }
  EXPECT_EQ(type_for_range(lo_needed, hi_needed, 5), acc);
}
