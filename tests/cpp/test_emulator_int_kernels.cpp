// The Dense int32-lane kernels (src/emulate/dense_int_kernels.hpp): every path
// against the scalar reference and a plain 64-bit sum, on random layers whose
// interval bound sits at the edge of the int32 proof, and on real models with
// each path forced through NANOGATE_DENSE_KERNEL (every output code and every
// traced tensor's codes equal; untraced runs, with fused Relu → Cast steps,
// give the same outputs). A path this CPU lacks is skipped, naming it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <unistd.h>

#include "emulate/dense_int_kernels.hpp"
#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/model.hpp"

using namespace nanogate;

namespace {

const std::string kModels = NANOGATE_MODELS_DIR;
constexpr int64_t kLim = (int64_t(1) << 31) - 1;

/// Sets NANOGATE_DENSE_KERNEL for the guard's lifetime (the previous value back after).
struct KernelEnv {
  explicit KernelEnv(const char* v) {
    const char* old = std::getenv("NANOGATE_DENSE_KERNEL");
    had = old != nullptr;
    if (had) prev = old;
    if (v) setenv("NANOGATE_DENSE_KERNEL", v, 1);
    else unsetenv("NANOGATE_DENSE_KERNEL");
  }
  ~KernelEnv() {
    if (had) setenv("NANOGATE_DENSE_KERNEL", prev.c_str(), 1);
    else unsetenv("NANOGATE_DENSE_KERNEL");
  }
  bool had = false;
  std::string prev;
};

/// The layer's truth: bias_j + sum_i t(x_i, w_ij) in 64 bits (t = x·w, or
/// floor(x·w / 2^shift)).
std::vector<int64_t> reference(const std::vector<int64_t>& X, int64_t rows, const std::vector<int64_t>& w,
                               int64_t n_in, int64_t n_out, const std::vector<int64_t>& b, int shift) {
  std::vector<int64_t> y;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < n_out; ++j) {
      int64_t s = b[size_t(j)];
      for (int64_t i = 0; i < n_in; ++i) s += (X[size_t(r * n_in + i)] * w[size_t(i * n_out + j)]) >> shift;
      y.push_back(s);
    }
  return y;
}

/// Random weights scaled per column so that the bound of dense_int_kernels.hpp
/// is exactly 2^31 - 1 (the bias takes the rest, random sign); `zero` of the
/// weights are 0, and inputs 4 to 7 have only zero weights (skipped lanes).
/// Every third column (column 0 among them) has weights >= 0 and a bias of the
/// sign of the inputs' extreme code: there the bound is reached exactly.
struct EdgeLayer {
  int64_t n_in, n_out, x_lo, x_hi;
  int shift;
  std::vector<int64_t> w, b;
};

EdgeLayer edge_layer(int64_t n_in, int64_t n_out, int64_t x_lo, int64_t x_hi, int64_t w_max, int shift,
                     double zero, uint64_t seed) {
  std::mt19937_64 rng(seed);
  EdgeLayer L{n_in, n_out, x_lo, x_hi, shift, std::vector<int64_t>(size_t(n_in * n_out)), {}};
  const int64_t mx = std::max(-x_lo, x_hi);
  std::uniform_real_distribution<double> u(0, 1);
  for (int64_t j = 0; j < n_out; ++j) {
    for (int64_t i = 0; i < n_in; ++i)
    {
      int64_t wv = (u(rng) < zero || (i >= 4 && i < 8)) ? 0 : int64_t(rng() % uint64_t(2 * w_max + 1)) - w_max;
      wv = std::clamp(wv, -kLim / mx, kLim / mx);  // every product exact in int32
      L.w[size_t(i * n_out + j)] = j % 3 == 0 ? std::abs(wv) : wv;
    }
    auto term = [&](int64_t wv) {  // the bound's term for one weight, in 128 bits
      i128 p = i128(mx) * (wv < 0 ? -wv : wv);
      return shift ? (p + (i128(1) << shift) - 1) >> shift : p;
    };
    i128 s = 0;
    for (int64_t i = 0; i < n_in; ++i) s += term(L.w[size_t(i * n_out + j)]);
    while (s > kLim) {  // halve the largest weights until the bound holds
      s = 0;
      for (int64_t i = 0; i < n_in; ++i) {
        int64_t& wv = L.w[size_t(i * n_out + j)];
        wv /= 2;
        s += term(wv);
      }
    }
    int64_t rest = int64_t(kLim - s);
    bool neg = j % 3 == 0 ? -x_lo >= x_hi : (rng() & 1);
    L.b.push_back(neg ? -rest : rest);
  }
  return L;
}

/// Rows of extreme codes (each column's largest positive and negative sums,
/// all min, all max, alternating) then random codes in [x_lo, x_hi].
std::vector<int64_t> edge_rows(const EdgeLayer& L, int64_t random_rows, uint64_t seed) {
  std::vector<int64_t> X;
  for (int64_t j = 0; j < L.n_out; ++j)
    for (int sign : {1, -1})
      for (int64_t i = 0; i < L.n_in; ++i) {
        int64_t wv = L.w[size_t(i * L.n_out + j)] * sign;
        X.push_back(wv > 0 ? L.x_hi : wv < 0 ? L.x_lo : 0);
      }
  for (int64_t i = 0; i < L.n_in; ++i) X.push_back(L.x_lo);
  for (int64_t i = 0; i < L.n_in; ++i) X.push_back(L.x_hi);
  for (int64_t i = 0; i < L.n_in; ++i) X.push_back(i % 2 ? L.x_hi : L.x_lo);
  std::mt19937_64 rng(seed);
  for (int64_t k = 0; k < random_rows * L.n_in; ++k) {
    int64_t v = L.x_lo + int64_t(rng() % uint64_t(L.x_hi - L.x_lo + 1));
    X.push_back(rng() % 4 == 0 ? 0 : v);  // a quarter zeros: the zero-lane skipping
  }
  return X;
}

const DenseKernel kIntPaths[] = {DenseKernel::Scalar, DenseKernel::Avx2, DenseKernel::Avx512, DenseKernel::Vnni};

class EmulatorIntPath : public ::testing::TestWithParam<DenseKernel> {
 protected:
  void SetUp() override {
    if (!dense_kernel_supported(GetParam()))
      GTEST_SKIP() << "this CPU lacks the instructions of Dense kernel path '" << dense_kernel_name(GetParam()) << "'";
  }
};

std::string path_name(const ::testing::TestParamInfo<DenseKernel>& i) { return dense_kernel_name(i.param); }

}  // namespace

TEST_P(EmulatorIntPath, RandomLayersAtTheInt32Bound) {
  struct Shape {
    int64_t n_in, n_out, x_lo, x_hi, w_max;
    int shift;
    bool pairs;
  };
  // pairs (int16 codes and weights; byte quads on vnni when codes are u8 and
  // weights s8), int32 lanes (wider codes, and floored products); n_in not a
  // multiple of 4, n_out across the 1-4 register blocks of every ISA
  const Shape shapes[] = {
      {37, 21, -32768, 32767, 32767, 0, true},  {16, 64, 0, 63, 31, 0, true},  {45, 19, 0, 255, 127, 0, true},
      {70, 36, 0, 255, 127, 0, true},           {67, 5, 0, 255, 300, 0, true},
      {64, 5, -32768, 32767, 32767, 0, true},   {9, 70, 0, 32767, 32767, 0, true},
      {33, 17, 0, 65535, 32767, 0, false},      {12, 48, -(1 << 20), (1 << 20) - 1, 40000, 0, false},
      {31, 33, -(1 << 20), (1 << 20) - 1, 2047, 7, false}, {8, 1, -32768, 32767, 65535, 3, false},
  };
  uint64_t seed = 1;
  for (const Shape& sh : shapes) {
    for (double zero : {0.0, 0.6}) {
      SCOPED_TRACE("n_in " + std::to_string(sh.n_in) + ", n_out " + std::to_string(sh.n_out) + ", shift " +
                   std::to_string(sh.shift) + ", zeros " + std::to_string(zero));
      EdgeLayer L = edge_layer(sh.n_in, sh.n_out, sh.x_lo, sh.x_hi, sh.w_max, sh.shift, zero, seed++);
      std::vector<int64_t> X = edge_rows(L, 40, seed++);
      int64_t rows = int64_t(X.size()) / L.n_in;
      std::vector<int64_t> want = reference(X, rows, L.w, L.n_in, L.n_out, L.b, L.shift);
      DenseIntLayer P, S;
      ASSERT_TRUE(plan_dense_int(GetParam(), L.x_lo, L.x_hi, L.w, L.n_in, L.n_out, L.b, L.shift, P));
      ASSERT_TRUE(plan_dense_int(DenseKernel::Scalar, L.x_lo, L.x_hi, L.w, L.n_in, L.n_out, L.b, L.shift, S));
      const bool u8 = sh.x_lo >= 0 && sh.x_hi <= 255 && sh.w_max <= 127 && sh.shift == 0;
      EXPECT_EQ(P.quads, u8 && GetParam() == DenseKernel::Vnni);
      EXPECT_EQ(P.pairs, sh.pairs && !P.quads);
      EXPECT_LT(P.active, P.n_lanes);  // inputs 4-7: zero weights, never loaded
      std::vector<int64_t> got(want.size()), ref(want.size());
      dense_int_run(P, X.data(), rows, got.data());
      dense_int_run(S, X.data(), rows, ref.data());
      EXPECT_EQ(ref, want);  // the scalar path is exact
      EXPECT_EQ(got, ref);   // and this path gives its bits
      // the extreme rows of column 0 reach the bound: a sum of +-(2^31 - 1)
      int64_t top = 0;
      for (int64_t v : want) top = std::max(top, v < 0 ? -v : v);
      EXPECT_EQ(top, kLim);
      // one more unit of bias breaks the proof: the plan is refused
      std::vector<int64_t> b2 = L.b;
      b2[0] += b2[0] < 0 ? -1 : 1;
      EXPECT_FALSE(plan_dense_int(GetParam(), L.x_lo, L.x_hi, L.w, L.n_in, L.n_out, b2, L.shift, P));
    }
  }
}

TEST(EmulatorIntPlan, RefusesWhatItCannotProve) {
  DenseIntLayer P;
  std::vector<int64_t> w = {1 << 16, 3}, b = {0};
  // one product of 2^16 · 2^15 = 2^31: past the bound
  EXPECT_FALSE(plan_dense_int(DenseKernel::Scalar, -32768, 32767, w, 2, 1, b, 0, P));
  EXPECT_TRUE(plan_dense_int(DenseKernel::Scalar, -16384, 16383, w, 2, 1, b, 0, P));
  EXPECT_FALSE(P.pairs);  // a weight past int16: int32 lanes
  // floored products must be exact before the shift, even when the shifted sum is small
  EXPECT_FALSE(plan_dense_int(DenseKernel::Scalar, -32768, 32767, w, 2, 1, b, 20, P));
  // codes or weights past 64-bit products are no problem for the checked bound
  std::vector<int64_t> huge = {INT64_MIN, INT64_MAX};
  EXPECT_FALSE(plan_dense_int(DenseKernel::Scalar, INT64_MIN, INT64_MAX, huge, 2, 1, b, 0, P));
  EXPECT_FALSE(plan_dense_int(DenseKernel::Scalar, 0, 1, w, 2, 1, {INT64_MIN}, 0, P));
  // mismatched sizes
  EXPECT_FALSE(plan_dense_int(DenseKernel::Scalar, 0, 1, w, 3, 1, b, 0, P));
}

TEST(EmulatorIntPlan, EnvironmentVariableNamesAPath) {
  {
    KernelEnv e("f64");
    EXPECT_EQ(dense_kernel_requested(), DenseKernel::F64);
  }
  {
    KernelEnv e("");
    EXPECT_EQ(dense_kernel_requested(), DenseKernel::Auto);
  }
  {
    KernelEnv e("sse9");
    EXPECT_THROW(dense_kernel_requested(), Error);
    Model m = compile_model(kModels + "/jet/qkeras_jettagging.onnx");
    try {
      Emulator em(m);
      FAIL() << "no error for NANOGATE_DENSE_KERNEL=sse9";
    } catch (const Error& err) {
      EXPECT_NE(std::string(err.what()).find("NANOGATE_DENSE_KERNEL=sse9"), std::string::npos) << err.what();
    }
  }
}

namespace {

/// AXOL1TL version v (QONNX + config) built by examples/axol1tl/build_model.py
/// into a temp folder, as test_netlist.cpp builds it.
Model axol1tl(int version) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() /
                 ("nanogate_test_int_kernels_axol1tl_v" + std::to_string(version) + "_" + std::to_string(::getpid()));
  std::string cmd = std::string(NANOGATE_SOURCE_DIR) + "/.venv/bin/python " + NANOGATE_SOURCE_DIR +
                    "/examples/axol1tl/build_model.py " + kModels + "/axol1tl/axol1tl_v" + std::to_string(version) +
                    ".json " + dir.string() + " > /dev/null";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  Model m = compile_model((dir / "model.onnx").string(), load_config((dir / "config.json").string()));
  fs::remove_all(dir);
  return m;
}

/// The real models of the issue, compiled once.
const std::map<std::string, Model>& real_models() {
  static const std::map<std::string, Model> models = [] {
    std::map<std::string, Model> m;
    m.emplace("jet_qkeras", compile_model(kModels + "/jet/qkeras_jettagging.onnx"));
    m.emplace("jet_fixed16_6", compile_model(kModels + "/jet/three_layer_keras.onnx"));
    m.emplace("tfc_2w2a", compile_model(kModels + "/mnist/TFC_2W2A.onnx"));
    m.emplace("axol1tl_v1", axol1tl(1));
    m.emplace("axol1tl_v4", axol1tl(4));
    for (const char* e : {"530", "1572", "2571", "7229", "13285"})
      m.emplace(std::string("hgq2_ebops") + e,
                compile_model(kModels + "/hgq2/jsc_openml/jsc_openml_ebops" + std::string(e) + ".keras"));
    return m;
  }();
  return models;
}

/// rows events of firmware codes: each port's min and max codes, then random codes in its type.
std::vector<int64_t> firmware_codes(const Emulator& e, int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> raw;
  auto ports = e.firmware_inputs();
  for (int64_t r = 0; r < rows; ++r)
    for (const FirmwarePort& p : ports) {
      int64_t lo = p.type.min_raw(), hi = p.type.max_raw();
      for (int64_t i = 0; i < p.size; ++i) {
        if (r == 0) raw.push_back(lo);
        else if (r == 1) raw.push_back(hi);
        else if (r == 2) raw.push_back(i % 2 ? lo : hi);
        else raw.push_back(lo + int64_t(rng() % uint64_t(hi - lo + 1)));
      }
    }
  return raw;
}

constexpr int64_t kModelRows = 700;

/// The scalar path's run of every real model (outputs and all traced codes).
const std::map<std::string, EmulatorResult>& scalar_runs() {
  static const std::map<std::string, EmulatorResult> runs = [] {
    KernelEnv env("scalar");
    std::map<std::string, EmulatorResult> r;
    for (const auto& [name, m] : real_models()) {
      Emulator e(m);
      r.emplace(name, e.run_firmware(firmware_codes(e, kModelRows, 7).data(), kModelRows, true));
    }
    return r;
  }();
  return runs;
}

class EmulatorIntModels : public ::testing::TestWithParam<DenseKernel> {};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Paths, EmulatorIntPath, ::testing::ValuesIn(kIntPaths), path_name);

TEST_P(EmulatorIntModels, RealModelsSameCodesAsScalar) {
  const DenseKernel k = GetParam();
  if (!dense_kernel_supported(k))
    GTEST_SKIP() << "this CPU lacks the instructions of Dense kernel path '" << dense_kernel_name(k) << "'";
  const auto& want = scalar_runs();
  KernelEnv env(dense_kernel_name(k));
  int64_t on_path = 0;
  for (const auto& [name, m] : real_models()) {
    SCOPED_TRACE(name + ", path " + dense_kernel_name(k));
    Emulator e(m);
    for (const auto& [layer, path] : e.dense_kernels()) on_path += path == dense_kernel_name(k);
    const std::vector<int64_t> codes = firmware_codes(e, kModelRows, 7);
    EmulatorResult got = e.run_firmware(codes.data(), kModelRows, true);
    const EmulatorResult& ref = want.at(name);
    EXPECT_EQ(got.raw, ref.raw);
    // without tracing, fused steps (fuse_relu_casts) give the same outputs
    EXPECT_EQ(e.run_firmware(codes.data(), kModelRows).raw, ref.raw);
    ASSERT_EQ(got.trace_raw.size(), ref.trace_raw.size());
    for (const auto& [t, codes] : ref.trace_raw) EXPECT_EQ(got.trace_raw.at(t), codes) << "tensor " << t;
  }
  EXPECT_GT(on_path, 0) << "no Dense layer of the real models ran on path " << dense_kernel_name(k);
}

INSTANTIATE_TEST_SUITE_P(Paths, EmulatorIntModels,
                         ::testing::Values(DenseKernel::Scalar, DenseKernel::F64, DenseKernel::Avx2,
                                           DenseKernel::Avx512, DenseKernel::Vnni),
                         path_name);

TEST(EmulatorIntPlan, JetTaggerRunsEveryDenseOnTheBestIntegerPath) {
  KernelEnv env(nullptr);
  Emulator e(real_models().at("jet_qkeras"));
  auto paths = e.dense_kernels();
  ASSERT_EQ(paths.size(), 4u);
  for (const auto& [layer, path] : paths) EXPECT_EQ(path, dense_kernel_name(best_int_kernel())) << layer;
}
