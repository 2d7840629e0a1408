// Tests of the CMVM optimizer (src/cmvm): CSD recoding, adder-graph exactness
// and exact node intervals, sharing of zero/identical columns, the delay
// constraint, and adder counts versus plain CSD.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "nanogate/cmvm/cmvm.hpp"

using namespace nanogate;
using namespace nanogate::cmvm;

namespace {

using Ranges = std::vector<std::pair<int64_t, int64_t>>;

struct Problem {
  int n_in, n_out;
  std::vector<int64_t> W;
  Ranges ranges;
};

/// Random b-bit signed weights (with ~20% zeros) and inputs of `in_bits`
/// bits, signed or unsigned.
Problem random_problem(int n_in, int n_out, int w_bits, int in_bits, bool signed_in, uint32_t seed) {
  std::mt19937_64 rng(seed);
  const int64_t wmax = (int64_t{1} << (w_bits - 1)) - 1, wmin = -(int64_t{1} << (w_bits - 1));
  std::uniform_int_distribution<int64_t> wd(wmin, wmax);
  std::uniform_int_distribution<int> zero(0, 4);
  Problem p{n_in, n_out, std::vector<int64_t>(static_cast<size_t>(n_in) * n_out), {}};
  for (auto& w : p.W) w = zero(rng) == 0 ? 0 : wd(rng);
  const std::pair<int64_t, int64_t> r =
      signed_in ? std::pair<int64_t, int64_t>{-(int64_t{1} << (in_bits - 1)), (int64_t{1} << (in_bits - 1)) - 1}
                : std::pair<int64_t, int64_t>{0, (int64_t{1} << in_bits) - 1};
  p.ranges.assign(static_cast<size_t>(n_in), r);
  return p;
}

std::vector<i128> reference(const Problem& p, const std::vector<int64_t>& x, int64_t batch) {
  std::vector<i128> y(static_cast<size_t>(batch) * p.n_out, 0);
  for (int64_t e = 0; e < batch; ++e)
    for (int i = 0; i < p.n_in; ++i)
      for (int j = 0; j < p.n_out; ++j)
        y[static_cast<size_t>(e * p.n_out + j)] +=
            static_cast<i128>(p.W[static_cast<size_t>(i * p.n_out + j)]) * x[static_cast<size_t>(e * p.n_in + i)];
  return y;
}

/// Random inputs inside the ranges; the first two events are all-lo, all-hi.
std::vector<int64_t> random_inputs(const Problem& p, int64_t batch, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> x(static_cast<size_t>(batch) * p.n_in);
  for (int64_t e = 0; e < batch; ++e)
    for (int i = 0; i < p.n_in; ++i) {
      const auto [lo, hi] = p.ranges[static_cast<size_t>(i)];
      int64_t v = std::uniform_int_distribution<int64_t>(lo, hi)(rng);
      if (e == 0) v = lo;
      if (e == 1) v = hi;
      x[static_cast<size_t>(e * p.n_in + i)] = v;
    }
  return x;
}

int ceil_log2(int64_t n) {
  int d = 0;
  while ((int64_t{1} << d) < n) ++d;
  return d;
}

void expect_exact(const Problem& p, const AdderGraph& g, uint32_t seed) {
  ASSERT_EQ(g.n_inputs(), p.n_in);
  ASSERT_EQ(g.n_outputs(), p.n_out);
  const auto impl = g.implemented_matrix();
  for (size_t k = 0; k < p.W.size(); ++k) ASSERT_TRUE(impl[k] == static_cast<i128>(p.W[k])) << "entry " << k;
  const int64_t batch = 64;
  const auto x = random_inputs(p, batch, seed);
  const auto y = g.evaluate(x, batch);
  const auto r = reference(p, x, batch);
  for (size_t k = 0; k < y.size(); ++k) ASSERT_TRUE(y[k] == r[k]) << "event " << k / p.n_out << " output " << k % p.n_out;
  // Every output stays inside its (exact) interval.
  for (int64_t e = 0; e < batch; ++e)
    for (int j = 0; j < p.n_out; ++j) {
      const auto [lo, hi] = g.output_interval(j);
      const i128 v = y[static_cast<size_t>(e * p.n_out + j)];
      ASSERT_TRUE(lo <= v && v <= hi);
    }
}

}  // namespace

TEST(Csd, RecodesEveryValueMinimallyAndNonAdjacent) {
  std::vector<int64_t> values;
  for (int64_t v = -4096; v <= 4096; ++v) values.push_back(v);
  for (int64_t v : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), int64_t{0x5555555555555555},
                    int64_t{-0x5555555555555555}, int64_t{0x7FFF0000FFFF0000}})
    values.push_back(v);
  for (int64_t v : values) {
    const auto d = csd_digits(v);
    i128 sum = 0;
    for (size_t k = 0; k < d.size(); ++k) {
      ASSERT_TRUE(d[k].sign == 1 || d[k].sign == -1);
      sum += d[k].sign * (static_cast<i128>(1) << d[k].shift);
      if (k) ASSERT_GE(d[k].shift, d[k - 1].shift + 2) << v;  // non-adjacent
    }
    ASSERT_TRUE(sum == static_cast<i128>(v)) << v;
    // Never more digits than plain binary of |v| (popcount).
    if (v != std::numeric_limits<int64_t>::min()) {
      const uint64_t a = static_cast<uint64_t>(v < 0 ? -v : v);
      ASSERT_LE(static_cast<int>(d.size()), __builtin_popcountll(a)) << v;
    }
  }
  EXPECT_EQ(csd_weight(0), 0);
  EXPECT_EQ(csd_weight(7), 2);    // 8 - 1
  EXPECT_EQ(csd_weight(-7), 2);
  EXPECT_EQ(csd_weight(0x55), 4);  // 1010101: already non-adjacent
  EXPECT_EQ(csd_weight(std::numeric_limits<int64_t>::min()), 1);
}

TEST(AdderGraph, BitWidth) {
  EXPECT_EQ(bit_width(0, 0), 0);
  EXPECT_EQ(bit_width(0, 1), 1);
  EXPECT_EQ(bit_width(0, 255), 8);
  EXPECT_EQ(bit_width(0, 256), 9);
  EXPECT_EQ(bit_width(-1, 0), 1);
  EXPECT_EQ(bit_width(-128, 127), 8);
  EXPECT_EQ(bit_width(-129, 0), 9);
  EXPECT_EQ(bit_width(-128, 128), 9);
  EXPECT_EQ(bit_width(-(static_cast<i128>(1) << 100), 0), 101);
}

TEST(AdderGraph, ExactIntervalsWithSharedInputs) {
  // n2 = x0 + x1, n3 = n2 - x1 == x0: interval arithmetic would give
  // [-255, 382]; the exact interval of x0 is [-128, 127].
  AdderGraph g({{-128, 127}, {0, 127}});
  const int n2 = g.add(0, 0, 1, 0, false);
  const int n3 = g.add(n2, 0, 1, 0, true);
  EXPECT_TRUE(g.node(n2).lo == -128 && g.node(n2).hi == 254);
  EXPECT_TRUE(g.node(n3).lo == -128 && g.node(n3).hi == 127);
  EXPECT_EQ(g.node(n3).depth, 2);
  EXPECT_EQ(g.node(n3).width(), 8);
  const int n4 = g.add(n3, 3, 1, 0, true);  // 8 x0 - x1
  EXPECT_TRUE(g.node(n4).lo == -1024 - 127 && g.node(n4).hi == 1016);
  g.set_outputs({{n4, 1, true}, {-1, 0, false}});
  const auto y = g.evaluate({5, 7}, 1);
  EXPECT_TRUE(y[0] == -2 * (8 * 5 - 7));
  EXPECT_TRUE(y[1] == 0);
  EXPECT_THROW(g.add(0, 0, 99, 0, false), std::invalid_argument);
  EXPECT_THROW(g.add(0, -1, 1, 0, false), std::invalid_argument);
  EXPECT_THROW(g.evaluate({1, 2, 3}, 1), std::invalid_argument);
  EXPECT_THROW(g.set_outputs({{17, 0, false}}), std::invalid_argument);
}

TEST(Cmvm, ExactOnRandomMatrices) {
  uint32_t seed = 1;
  for (auto [n_in, n_out] : std::vector<std::pair<int, int>>{{1, 1}, {3, 5}, {8, 8}, {16, 16}, {32, 17}, {64, 64}})
    for (int w_bits : {2, 3, 5, 8})
      for (bool signed_in : {true, false})
        for (int dc : {-1, 0, 2}) {
          if (n_in == 64 && (w_bits == 3 || w_bits == 5 || dc == 0)) continue;  // keep the test quick
          SCOPED_TRACE(testing::Message() << n_in << "x" << n_out << " w" << w_bits << " signed=" << signed_in
                                          << " dc=" << dc);
          const Problem p = random_problem(n_in, n_out, w_bits, 8, signed_in, seed++);
          CmvmOptions o;
          o.dc = dc;
          const AdderGraph g = optimize_cmvm(p.W, n_in, n_out, p.ranges, o);
          expect_exact(p, g, seed);
          EXPECT_LE(g.metrics().adders, plain_csd_adders(p.W, n_in, n_out));
        }
}

TEST(Cmvm, ExactForEveryCornerAndNodeIntervalsAreTight) {
  // Small problems: all 2^n_in corners of the input box. Every node's exact
  // interval must contain its value at every corner, and its lo and hi must
  // each be reached by some corner (linear forms take extremes at corners).
  uint32_t seed = 100;
  for (int n_in : {1, 2, 4, 6})
    for (int w_bits : {2, 4, 8})
      for (bool signed_in : {true, false}) {
        SCOPED_TRACE(testing::Message() << "n_in=" << n_in << " w" << w_bits << " signed=" << signed_in);
        Problem p = random_problem(n_in, 5, w_bits, 6, signed_in, seed++);
        // Mixed ranges, including an asymmetric and a one-value input.
        if (n_in >= 2) p.ranges[1] = {-3, 40};
        if (n_in >= 4) p.ranges[3] = {7, 7};
        AdderGraph g = optimize_cmvm(p.W, n_in, 5, p.ranges);
        const int64_t corners = int64_t{1} << n_in;
        std::vector<int64_t> x(static_cast<size_t>(corners) * n_in);
        for (int64_t c = 0; c < corners; ++c)
          for (int i = 0; i < n_in; ++i)
            x[static_cast<size_t>(c * n_in + i)] = (c >> i) & 1 ? p.ranges[static_cast<size_t>(i)].second
                                                                : p.ranges[static_cast<size_t>(i)].first;
        const auto y = g.evaluate(x, corners);
        const auto r = reference(p, x, corners);
        for (size_t k = 0; k < y.size(); ++k) ASSERT_TRUE(y[k] == r[k]);
        // Expose every node as an output and check its interval.
        std::vector<OutputRef> all;
        for (int k = 0; k < static_cast<int>(g.nodes().size()); ++k) all.push_back({k, 0, false});
        g.set_outputs(all);
        const auto v = g.evaluate(x, corners);
        const size_t nn = all.size();
        for (size_t k = 0; k < nn; ++k) {
          i128 mn = v[k], mx = v[k];
          for (int64_t c = 0; c < corners; ++c) {
            mn = std::min(mn, v[static_cast<size_t>(c) * nn + k]);
            mx = std::max(mx, v[static_cast<size_t>(c) * nn + k]);
          }
          ASSERT_TRUE(mn == g.node(static_cast<int>(k)).lo) << "node " << k;
          ASSERT_TRUE(mx == g.node(static_cast<int>(k)).hi) << "node " << k;
        }
      }
}

TEST(Cmvm, ZeroRowsAndColumnsCostNothing) {
  const Problem p = random_problem(10, 7, 6, 8, true, 7);
  // Embed p into 13 x 10: zero rows 0, 5, 12; zero columns 2, 4, 9.
  const std::vector<int> rows = {1, 2, 3, 4, 6, 7, 8, 9, 10, 11}, cols = {0, 1, 3, 5, 6, 7, 8};
  Problem q{13, 10, std::vector<int64_t>(130, 0), Ranges(13, {-128, 127})};
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j < 7; ++j) q.W[static_cast<size_t>(rows[i] * 10 + cols[j])] = p.W[static_cast<size_t>(i * 7 + j)];
  const auto a = optimize_cmvm(p.W, 10, 7, p.ranges).metrics();
  const AdderGraph gq = optimize_cmvm(q.W, 13, 10, q.ranges);
  const auto b = gq.metrics();
  EXPECT_EQ(a.adders, b.adders);
  EXPECT_EQ(a.cost_bits, b.cost_bits);
  EXPECT_EQ(a.depth, b.depth);
  for (int j : {2, 4, 9}) EXPECT_EQ(gq.outputs()[static_cast<size_t>(j)].node, -1);
  expect_exact(q, gq, 3);
  // The all-zero matrix: no adders, every output zero.
  const AdderGraph z = optimize_cmvm(std::vector<int64_t>(12, 0), 3, 4, Ranges(3, {-8, 7}));
  EXPECT_EQ(z.metrics().adders, 0);
  for (const auto& o : z.outputs()) EXPECT_EQ(o.node, -1);
}

TEST(Cmvm, IdenticalNegatedAndScaledColumnsAreShared) {
  const Problem p = random_problem(12, 6, 7, 8, true, 11);
  // Append copies of columns: identical, negated and times 4 / -2.
  const std::vector<std::pair<int, int64_t>> extra = {{0, 1}, {3, 1}, {1, -1}, {2, 4}, {5, -2}};
  const int n_out = 6 + static_cast<int>(extra.size());
  Problem q{12, n_out, std::vector<int64_t>(static_cast<size_t>(12 * n_out)), p.ranges};
  for (int i = 0; i < 12; ++i) {
    for (int j = 0; j < 6; ++j) q.W[static_cast<size_t>(i * n_out + j)] = p.W[static_cast<size_t>(i * 6 + j)];
    for (size_t e = 0; e < extra.size(); ++e)
      q.W[static_cast<size_t>(i * n_out + 6) + e] = p.W[static_cast<size_t>(i * 6 + extra[e].first)] * extra[e].second;
  }
  const auto a = optimize_cmvm(p.W, 12, 6, p.ranges).metrics();
  const AdderGraph gq = optimize_cmvm(q.W, 12, n_out, q.ranges);
  EXPECT_EQ(gq.metrics().adders, a.adders);
  EXPECT_EQ(gq.metrics().cost_bits, a.cost_bits);
  for (size_t e = 0; e < extra.size(); ++e)
    EXPECT_EQ(gq.outputs()[6 + e].node, gq.outputs()[static_cast<size_t>(extra[e].first)].node);
  expect_exact(q, gq, 5);
}

TEST(Cmvm, DelayConstraintIsRespected) {
  uint32_t seed = 200;
  for (auto [n_in, n_out] : std::vector<std::pair<int, int>>{{4, 4}, {16, 16}, {32, 8}, {64, 16}})
    for (int w_bits : {3, 8})
      for (int dc : {0, 1, 2}) {
        SCOPED_TRACE(testing::Message() << n_in << "x" << n_out << " w" << w_bits << " dc=" << dc);
        const Problem p = random_problem(n_in, n_out, w_bits, 8, true, seed++);
        CmvmOptions o;
        o.dc = dc;
        const AdderGraph g = optimize_cmvm(p.W, n_in, n_out, p.ranges, o);
        EXPECT_LE(g.metrics().depth, minimal_csd_depth(p.W, n_in, n_out) + dc);
        expect_exact(p, g, seed);
        // Per-output scope: output j within ceil(log2(#digits of column j)) + dc.
        o.scope = DelayScope::per_output;
        const AdderGraph h = optimize_cmvm(p.W, n_in, n_out, p.ranges, o);
        for (int j = 0; j < n_out; ++j) {
          int64_t digits = 0;
          for (int i = 0; i < n_in; ++i) digits += csd_weight(p.W[static_cast<size_t>(i * n_out + j)]);
          EXPECT_LE(h.output_depth(j), ceil_log2(digits) + dc) << "output " << j;
        }
        expect_exact(p, h, seed);
        // The constraint never costs more adders than plain CSD.
        EXPECT_LE(g.metrics().adders, plain_csd_adders(p.W, n_in, n_out));
      }
}

TEST(Cmvm, CseBeatsPlainCsdOnSharedSubexpressions) {
  // y_j = 5 x0 + 5 x1 + 5 x2 + x_{3+j}: plain CSD needs 6 adders per output
  // (7 digits); with sharing t = x0 + x1 + x2, 5 t = t + (t << 2) is built
  // once (3 adders) and each output adds one term (1 adder).
  const int n_in = 11, n_out = 8;
  std::vector<int64_t> W(static_cast<size_t>(n_in * n_out), 0);
  for (int j = 0; j < n_out; ++j) {
    for (int i = 0; i < 3; ++i) W[static_cast<size_t>(i * n_out + j)] = 5;
    W[static_cast<size_t>((3 + j) * n_out + j)] = 1;
  }
  const Problem p{n_in, n_out, W, Ranges(n_in, {-128, 127})};
  const int64_t plain = plain_csd_adders(W, n_in, n_out);
  EXPECT_EQ(plain, 6 * n_out);
  CmvmOptions o;
  o.dc = -1;
  const AdderGraph g = optimize_cmvm(W, n_in, n_out, p.ranges, o);
  EXPECT_EQ(g.metrics().adders, 3 + n_out);
  expect_exact(p, g, 9);
  // Without CSE the optimizer is exactly plain CSD.
  o.cse = false;
  EXPECT_EQ(optimize_cmvm(W, n_in, n_out, p.ranges, o).metrics().adders, plain);
  // On random 16x16 8-bit matrices CSE saves a lot (da4ml reports ~2x).
  const Problem r = random_problem(16, 16, 8, 8, true, 77);
  const auto m = optimize_cmvm(r.W, 16, 16, r.ranges).metrics();
  EXPECT_LT(m.adders, plain_csd_adders(r.W, 16, 16) * 3 / 4);
}

TEST(Cmvm, DeterministicOutput) {
  const Problem p = random_problem(24, 20, 8, 8, true, 5);
  const std::string a = optimize_cmvm(p.W, 24, 20, p.ranges).to_string();
  const std::string b = optimize_cmvm(p.W, 24, 20, p.ranges).to_string();
  EXPECT_EQ(a, b);
}

TEST(Cmvm, RejectsBadShapes) {
  EXPECT_THROW(optimize_cmvm({1, 2, 3}, 2, 2, Ranges(2, {0, 1})), std::invalid_argument);
  EXPECT_THROW(optimize_cmvm({1, 2, 3, 4}, 2, 2, Ranges(3, {0, 1})), std::invalid_argument);
  EXPECT_THROW(optimize_cmvm({1, 2, 3, 4}, 2, 2, Ranges{{0, 1}, {2, 1}}), std::invalid_argument);
  EXPECT_THROW(plain_csd_adders({1, 2, 3}, 2, 2), std::invalid_argument);
}
