// The Vitis HLS backend: g++ C-simulation of the generated project equals the
// emulator bit for bit (Emulator::run_firmware, raw codes at the firmware
// ports) on every real model x {Latency, Resource, DA}; every generated
// project passes g++ -fsyntax-only -Wall -Wextra without a warning from the
// generated files; an invalid ReuseFactor is an error listing the valid values.
// Needs Xilinx's ap_types headers (find_ap_types(): $NANOGATE_AP_TYPES or the
// hls4ml package in .venv); skipped without them.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "nanogate/backend/hls.hpp"
#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/model.hpp"

using namespace nanogate;
namespace fs = std::filesystem;

namespace {

const std::string kModels = NANOGATE_MODELS_DIR;
const std::string kSource = NANOGATE_SOURCE_DIR;

fs::path scratch(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("nanogate_test_hls_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

/// Builds AXOL1TL v1 (QONNX + config) with examples/axol1tl/build_model.py once.
fs::path axol1tl_v1() {
  static fs::path dir;
  if (!dir.empty()) return dir;
  fs::path out = scratch("axol1tl_v1_model");
  std::string cmd = kSource + "/.venv/bin/python " + kSource + "/examples/axol1tl/build_model.py " + kModels +
                    "/axol1tl/axol1tl_v1.json " + out.string() + " > " + (out / "build.log").string() + " 2>&1";
  if (std::system(cmd.c_str()) != 0 || !fs::exists(out / "model.onnx")) return {};
  dir = out;
  return dir;
}

Model load(const std::string& name) {
  if (name == "qkeras_jettagging") return compile_model(kModels + "/jet/qkeras_jettagging.onnx");
  if (name == "three_layer_keras") return compile_model(kModels + "/jet/three_layer_keras.onnx");
  if (name == "TFC_2W2A") return compile_model(kModels + "/mnist/TFC_2W2A.onnx");
  if (name == "digits_qmlp") return compile_model(kSource + "/examples/default/digits_qmlp.onnx");
  fs::path a = axol1tl_v1();
  if (a.empty()) throw std::runtime_error("examples/axol1tl/build_model.py failed");
  return compile_model((a / "model.onnx").string(), load_config((a / "config.json").string()));
}

/// rows random raw codes per firmware port element, uniform over the full type range.
std::vector<int64_t> random_codes(const Emulator& emu, int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> raw;
  for (int64_t r = 0; r < rows; ++r)
    for (auto& p : emu.firmware_inputs())
      for (int64_t i = 0; i < p.size; ++i) {
        uint64_t span = uint64_t(p.type.max_raw() - p.type.min_raw());
        raw.push_back(int64_t(uint64_t(p.type.min_raw()) + (span == UINT64_MAX ? rng() : rng() % (span + 1))));
      }
  return raw;
}

/// Runs g++ -fsyntax-only -Wall -Wextra on the project's sources; returns the
/// diagnostics (empty when clean). ap_types come in as a system include.
std::string syntax_check(const fs::path& dir, const std::string& top, const std::string& ap) {
  fs::path log = dir / "syntax.log";
  std::string cmd = "g++ -std=c++17 -fsyntax-only -Wall -Wextra -I" + (dir / "firmware").string() + " -isystem " + ap +
                    " " + (dir / "firmware" / (top + ".cpp")).string() + " " + (dir / (top + "_test.cpp")).string() +
                    " > " + log.string() + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream f(log);
  std::stringstream ss;
  ss << f.rdbuf();
  return rc == 0 ? ss.str() : "exit status " + std::to_string(rc) + "\n" + ss.str();
}

/// Sets every Dense layer's ReuseFactor to its smallest valid value > 1 (<= 8),
/// so that Resource really time-shares.
void pick_reuse(Model& m) {
  for (auto& n : m.graph.nodes)
    if (n.op == "Dense") {
      const Tensor& w = m.graph.tensor(n.inputs[1]);
      for (int r : valid_reuse_factors(w.shape[0], w.shape[1]))
        if (r > 1 && r <= 8) {
          n.reuse_factor = r;
          break;
        }
    }
}

struct Case {
  std::string model, strategy;
};

class HlsCsim : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(HlsCsim, BitExactWithEmulatorAndWarningFree) {
  std::string ap = find_ap_types();
  if (ap.empty()) GTEST_SKIP() << "Xilinx ap_types headers not found (set NANOGATE_AP_TYPES or install hls4ml in .venv)";
  const Case& c = GetParam();
  Model m = load(c.model);
  HlsOptions o;
  o.strategy = c.strategy;
  if (c.strategy == "Resource") pick_reuse(m);
  fs::path dir = scratch(c.model + "_" + c.strategy);
  HlsProject p = write_hls_project(m, o, dir.string());
  if (c.strategy == "Resource") EXPECT_GT(p.ii, 1);

  EXPECT_EQ(syntax_check(dir, o.top, ap), "");

  Emulator emu(m);
  const int64_t rows = 2000;
  std::vector<int64_t> raw = random_codes(emu, rows, 7);
  // add the two corners of the input box: every code at its minimum / maximum
  for (int corner = 0; corner < 2; ++corner)
    for (auto& port : emu.firmware_inputs())
      for (int64_t i = 0; i < port.size; ++i) raw.push_back(corner ? port.type.max_raw() : port.type.min_raw());
  CsimOptions co;
  if (c.strategy == "DA") co.opt = "-O0";  // thousands of adder statements: -O0 builds twice as fast
  CsimResult r = run_csim(dir.string(), raw, rows + 2, co);
  EmulatorResult e = emu.run_firmware(raw.data(), rows + 2);
  ASSERT_EQ(r.raw.size(), e.raw.size());
  int64_t bad = 0;
  for (size_t k = 0; k < e.raw.size(); ++k) bad += r.raw[k] != e.raw[k];
  EXPECT_EQ(bad, 0) << c.model << " " << c.strategy << ": " << bad << " of " << e.raw.size() << " codes differ";
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    RealModels, HlsCsim,
    ::testing::Values(Case{"qkeras_jettagging", "Latency"}, Case{"qkeras_jettagging", "Resource"},
                      Case{"qkeras_jettagging", "DA"}, Case{"three_layer_keras", "Latency"},
                      Case{"three_layer_keras", "Resource"}, Case{"three_layer_keras", "DA"},
                      Case{"TFC_2W2A", "Latency"}, Case{"TFC_2W2A", "Resource"}, Case{"TFC_2W2A", "DA"},
                      Case{"digits_qmlp", "Latency"}, Case{"digits_qmlp", "Resource"}, Case{"digits_qmlp", "DA"},
                      Case{"axol1tl_v1", "Latency"}, Case{"axol1tl_v1", "Resource"}, Case{"axol1tl_v1", "DA"}),
    [](const ::testing::TestParamInfo<Case>& i) { return i.param.model + "_" + i.param.strategy; });

TEST(HlsProject, InvalidReuseFactorListsValidValues) {
  Model m = compile_model(kModels + "/jet/qkeras_jettagging.onnx");
  HlsOptions o;
  o.strategy = "Resource";
  o.reuse_factor = 7;  // 16x64: 7 divides nothing
  fs::path dir = scratch("bad_reuse");
  try {
    write_hls_project(m, o, dir.string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("MatMul_0"), std::string::npos) << w;
    EXPECT_NE(w.find("ReuseFactor 7 is invalid"), std::string::npos) << w;
    EXPECT_NE(w.find("valid values: 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024"), std::string::npos) << w;
  }
}

TEST(HlsProject, ValidReuseFactorsFollowHls4ml) {
  // hls4ml 1.3.0 FPGABackend.get_valid_reuse_factors(16, 64), (32, 5), (57, 32)
  EXPECT_EQ(valid_reuse_factors(16, 64), (std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}));
  EXPECT_EQ(valid_reuse_factors(32, 5), (std::vector<int>{1, 2, 4, 8, 16, 32, 160}));
  EXPECT_EQ(valid_reuse_factors(57, 32), (std::vector<int>{1, 3, 19, 57, 114, 228, 456, 912, 1824}));
}

TEST(HlsProject, LayoutAndOptionErrors) {
  Model m = compile_model(kSource + "/examples/default/digits_qmlp.onnx");
  HlsOptions o;
  o.top = "digits";
  o.part = "xc7z020clg400-1";
  o.clock_period_ns = 4;
  fs::path dir = scratch("layout");
  HlsProject p = write_hls_project(m, o, dir.string());
  for (const char* f : {"firmware/digits.cpp", "firmware/digits.h", "firmware/defines.h", "firmware/parameters.h",
                        "firmware/weights/Gemm_0.h", "digits_test.cpp", "build_prj.tcl", "tb_data/tb_input_codes.txt",
                        "tb_data/tb_output_codes.txt", "nanogate_project.json"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  std::ifstream t(dir / "build_prj.tcl");
  std::stringstream ss;
  ss << t.rdbuf();
  EXPECT_NE(ss.str().find("set part \"xc7z020clg400-1\""), std::string::npos);
  EXPECT_NE(ss.str().find("create_clock -period $clock_period"), std::string::npos);
  EXPECT_NE(ss.str().find("set clock_period 4"), std::string::npos);
  // the top function takes the firmware port (the first Quant's output), not the float input
  std::ifstream h(dir / "firmware/digits.h");
  std::stringstream hs;
  hs << h.rdbuf();
  EXPECT_NE(hs.str().find("void digits(const Quant_0_out0_input_t Quant_0_out0[64]"), std::string::npos) << hs.str();
  o.io_type = "io_serial";
  EXPECT_THROW(write_hls_project(m, o, dir.string()), Error);
  o.io_type = "io_parallel";
  o.top = "hls";  // reserved: the generated code uses the hls:: namespace
  EXPECT_THROW(write_hls_project(m, o, dir.string()), Error);
  o.top = "3bad";
  EXPECT_THROW(write_hls_project(m, o, dir.string()), Error);
  fs::remove_all(dir);
}
