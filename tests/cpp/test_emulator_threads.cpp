// The layer emulator's multi-threaded runs against single-threaded runs (the
// same bits), and its batch cast loops against nanogate::quantize.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "emulate/cast.hpp"
#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/model.hpp"

using namespace nanogate;

namespace {

/// rows × n Gaussian features on the fixed<16,6> grid.
std::vector<double> gaussian_events(int64_t rows, int64_t n, uint64_t seed, double sigma = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd(0.0, sigma);
  std::vector<double> x(size_t(rows * n));
  for (auto& v : x) v = std::clamp(std::round(nd(rng) * 1024) / 1024, -31.0, 31.0);
  return x;
}

void expect_same_runs(const Model& m, const std::vector<double>& x, int64_t rows) {
  Emulator one(m), many(m);
  one.set_threads(1);
  many.set_threads(4);  // more threads than cores is fine: each takes a row range
  EmulatorResult a = one.run(x.data(), rows), b = many.run(x.data(), rows);
  ASSERT_EQ(a.rows, b.rows);
  ASSERT_EQ(a.cols, b.cols);
  EXPECT_EQ(a.raw, b.raw);
  // values are compared bitwise through ==: identical codes give identical doubles
  EXPECT_EQ(a.values, b.values);
  // a row count that does not split evenly, and the default thread count
  Emulator dflt(m);
  EmulatorResult c = dflt.run(x.data(), rows - 7);
  EXPECT_TRUE(std::equal(c.raw.begin(), c.raw.end(), a.raw.begin()));
}

}  // namespace

TEST(EmulatorThreads, QkerasJetTaggerSameBitsOnLargeBatch) {
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/jet/qkeras_jettagging.onnx");
  const int64_t rows = 60000;
  expect_same_runs(m, gaussian_events(rows, 16, 1), rows);
}

TEST(EmulatorThreads, SaturatingNarrowTypesSameBitsOnLargeBatch) {
  Config cfg = parse_config(R"({"Model": {"Precision": "fixed<16,6>"},
      "LayerType": {"Dense": {"Precision": {"accum": "fixed<12,3,TRN,WRAP>", "result": "fixed<8,2,RND,SAT>"}}}})",
                            "cfg.json");
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/jet/three_layer_keras.onnx", cfg);
  const int64_t rows = 50000;
  expect_same_runs(m, gaussian_events(rows, 16, 2, 4.0), rows);
}

TEST(EmulatorThreads, FirmwareRunsSameBits) {
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/jet/qkeras_jettagging.onnx");
  Emulator one(m), many(m);
  one.set_threads(1);
  many.set_threads(3);
  const int64_t rows = 40000;
  std::mt19937_64 rng(3);
  std::vector<int64_t> raw(size_t(rows * 16));
  for (auto& v : raw) v = int64_t(rng() % 65536) - 32768;
  EXPECT_EQ(one.run_firmware(raw.data(), rows).raw, many.run_firmware(raw.data(), rows).raw);
}

TEST(EmulatorThreads, FirstBadEventIsReportedAsWithOneThread) {
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/jet/qkeras_jettagging.onnx");
  const int64_t rows = 40000;
  std::vector<double> x = gaussian_events(rows, 16, 4);
  x[size_t(23456 * 16 + 3)] = 40.0;  // outside fixed<16,6>, in the second half
  x[size_t(39000 * 16 + 5)] = -40.0;
  for (int t : {1, 2, 4}) {
    Emulator e(m);
    e.set_threads(t);
    try {
      e.run(x.data(), rows);
      FAIL() << "no error with " << t << " threads";
    } catch (const Error& err) {
      EXPECT_NE(std::string(err.what()).find("' event 23456,"), std::string::npos) << err.what();
    }
  }
}

TEST(EmulatorThreads, ConcurrentRunsOnOneEmulator) {
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/jet/qkeras_jettagging.onnx");
  Emulator e(m);
  e.set_threads(1);
  const int64_t rows = 5000;
  std::vector<double> x = gaussian_events(rows, 16, 5);
  std::vector<int64_t> want = e.run(x.data(), rows).raw;
  std::vector<std::vector<int64_t>> got(4);
  std::vector<std::thread> ts;
  for (int k = 0; k < 4; ++k) ts.emplace_back([&, k] { got[size_t(k)] = e.run(x.data(), rows).raw; });
  for (auto& t : ts) t.join();
  for (auto& g : got) EXPECT_EQ(g, want);
}

TEST(EmulatorThreads, BatchCastLoopsAgreeWithQuantize) {
  const Rounding rs[] = {Rounding::TRN, Rounding::TRN_ZERO, Rounding::RND, Rounding::RND_ZERO,
                         Rounding::RND_INF, Rounding::RND_MIN_INF, Rounding::RND_CONV};
  const Overflow os[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};
  std::mt19937_64 rng(6);
  std::vector<int64_t> src(517), dst(517), rel(517);
  for (int k = 0; k < 20000; ++k) {
    bool sg = rng() & 1;
    int w = 1 + int(rng() % (sg ? 64 : 63));
    int i = int(rng() % 40) - 8;
    Fixed t{sg, w, i, rs[rng() % 7], os[rng() % 4]};
    int from_frac = int(rng() % 80) - 20;
    int sh = int(rng() % 64);
    for (auto& v : src) v = int64_t(rng()) >> sh;
    CastPlan p(from_frac, t);
    p.apply(src.data(), dst.data(), int64_t(src.size()));
    p.apply_relu(src.data(), rel.data(), int64_t(src.size()));
    for (size_t j = 0; j < src.size(); ++j) {
      ASSERT_EQ(dst[j], quantize(i128(src[j]), from_frac, t)) << t.str() << " from " << from_frac << " v=" << src[j];
      ASSERT_EQ(rel[j], src[j] > 0 ? quantize(i128(src[j]), from_frac, t) : 0) << t.str() << " relu v=" << src[j];
    }
    p.apply(src.data(), src.data(), int64_t(src.size()));  // in place
    ASSERT_EQ(src, dst);
  }
}

TEST(EmulatorThreads, DoubleCastAgreesWithQuantize) {
  const Rounding rs[] = {Rounding::TRN, Rounding::TRN_ZERO, Rounding::RND, Rounding::RND_ZERO,
                         Rounding::RND_INF, Rounding::RND_MIN_INF, Rounding::RND_CONV};
  const Overflow os[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int k = 0; k < 300000; ++k) {
    bool sg = rng() & 1;
    int w = 1 + int(rng() % (sg ? 64 : 63));
    Fixed t{sg, w, int(rng() % 30) - 6, rs[rng() % 7], os[rng() % 4]};
    DoubleCast dc(t);
    double v;
    switch (rng() % 4) {
      case 0: v = std::ldexp(u(rng), int(rng() % 40) - 20); break;                  // anywhere
      case 1: v = std::ldexp(double(int64_t(rng() % 4001) - 2000) / 4, -t.frac_bits()); break;  // halves
      case 2: v = std::ldexp(double(int64_t(rng() >> 11)), int(rng() % 2100) - 1100); break;    // extremes
      default: v = (rng() & 1) ? -0.0 : std::ldexp(1.0, -1074);
    }
    ASSERT_EQ(dc(v), quantize(v, t)) << t.str() << " v=" << v;
  }
}

TEST(EmulatorThreads, DoubleCastBatchAgreesWithInRange) {
  // apply_fast (the inputs' vectorized cast) is true exactly when every value
  // takes in_range's fast path, and then gives its codes
  const Rounding rs[] = {Rounding::TRN, Rounding::TRN_ZERO, Rounding::RND, Rounding::RND_ZERO,
                         Rounding::RND_INF, Rounding::RND_MIN_INF, Rounding::RND_CONV};
  const Overflow os[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  int64_t fast_batches = 0;
  for (int k = 0; k < 20000; ++k) {
    bool sg = rng() & 1;
    int w = 1 + int(rng() % (sg ? 64 : 63));
    Fixed t{sg, w, int(rng() % 30) - 6, rs[rng() % 7], os[rng() % 4]};
    DoubleCast dc(t);
    const int n = 1 + int(rng() % 37);
    const bool odd_one = rng() % 3 == 0;  // else values on and near the type's grid
    std::vector<double> v(static_cast<size_t>(n));
    for (auto& x : v) {
      x = std::ldexp(double(int64_t(rng() % 4001) - 2000) / 4, -t.frac_bits());
      if (odd_one && rng() % 8 == 0) {
        switch (rng() % 5) {
          case 0: x = std::nan(""); break;
          case 1: x = (rng() & 1) ? INFINITY : -INFINITY; break;
          case 2: x = std::ldexp(u(rng), int(rng() % 2100) - 1100); break;
          case 3: x = std::ldexp(1.0, -1074); break;
          default: x = -0.0;
        }
      }
    }
    std::vector<int64_t> got(size_t(n), -7);
    bool all = true;
    std::vector<int64_t> want(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) all = dc.in_range(v[size_t(i)], want[size_t(i)]) && all;
    ASSERT_EQ(dc.apply_fast(v.data(), got.data(), n), all) << t.str();
    if (all) {
      ASSERT_EQ(got, want) << t.str();
      ++fast_batches;
    }
  }
  EXPECT_GT(fast_batches, 2000);
}
