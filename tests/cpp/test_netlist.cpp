// The operation netlist: op semantics of the netlist emulator on hand-computed
// values, the verifier, and lowering of real models — the netlist emulator must
// equal the layer emulator (Emulator::run_firmware) bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <unistd.h>

#include "graph_builder.hpp"
#include "netlist_fixture.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/model.hpp"
#include "nanogate/netlist/lower.hpp"
#include "nanogate/netlist/netlist_emulator.hpp"

using namespace nanogate;
using namespace nanogate::test;

// ---------------------------------------------------------------- op semantics

TEST(NetlistOps, AddWithShiftsAndSub) {
  Netlist n = with_input(fx("fixed<8,4>"), 2);  // values raw/16
  NetValue v;
  v.op = NetOp::Add;
  v.args = {0, 1};
  v.shift_a = 1;   // 2a
  v.shift_b = -2;  // b/4
  v.type = fx("fixed<14,7>");  // frac 7 >= 4+2, range 2*8 + 2 = 18 < 64
  int s = n.add(v);
  v.sub = true;
  int d = n.add(v);
  // a = 1.5 (24), b = -2.25 (-36): 2a + b/4 = 2.4375, 2a - b/4 = 3.5625 (raw at frac 7)
  auto y = run(n, {s, d}, {24, -36});
  EXPECT_EQ(y[0], int64_t(2.4375 * 128));
  EXPECT_EQ(y[1], int64_t(3.5625 * 128));
}

TEST(NetlistOps, NegMulReluMaxMin) {
  Netlist n = with_input(fx("fixed<6,3>"), 2);  // frac 3
  int neg = add_value(n, NetOp::Neg, fx("fixed<7,4>"), {0});
  int mul = add_value(n, NetOp::Mul, fx("fixed<12,6>"), {0, 1});
  int relu = add_value(n, NetOp::Relu, fx("ufixed<5,2>"), {0});
  int mx = add_value(n, NetOp::Max, fx("fixed<6,3>"), {0, 1});
  int mn = add_value(n, NetOp::Min, fx("fixed<6,3>"), {0, 1});
  auto y = run(n, {neg, mul, relu, mx, mn}, {-5, 7, 12, -3});
  // row 0: a = -5/8, b = 7/8
  EXPECT_EQ(y[0], 5);
  EXPECT_EQ(y[1], -35);  // (-5/8)(7/8) = -35/64, frac 6
  EXPECT_EQ(y[2], 0);
  EXPECT_EQ(y[3], 7);
  EXPECT_EQ(y[4], -5);
  EXPECT_EQ(y[5], -12);
  EXPECT_EQ(y[6], -36);
  EXPECT_EQ(y[7], 12);
  EXPECT_EQ(y[8], 12);
  EXPECT_EQ(y[9], -3);
}

TEST(NetlistOps, QuantizeRoundingOverflowAndShift) {
  Netlist n = with_input(fx("fixed<8,4>"), 1);  // frac 4
  int q1 = add_value(n, NetOp::Quantize, fx("fixed<4,3,RND,SAT>"), {0});       // frac 1
  int q2 = add_value(n, NetOp::Quantize, fx("fixed<4,3,TRN,WRAP>"), {0});
  int q3 = add_value(n, NetOp::Quantize, fx("ufixed<4,2,RND_CONV,SAT>"), {0});
  NetValue v;
  v.op = NetOp::Quantize;
  v.type = fx("fixed<8,8>");
  v.args = {0};
  v.shift_a = 3;  // x·8, integer
  int q4 = n.add(v);
  // x = 5.75 (92): RND/SAT to frac 1 = 6.0 -> saturates at 3.5 (7); TRN/WRAP: 5.5 -> raw 11 wraps to -5;
  // ufixed<4,2>: 3.75 max (15); x*8 = 46.
  auto y = run(n, {q1, q2, q3, q4}, {92, -13});
  EXPECT_EQ(y[0], 7);
  EXPECT_EQ(y[1], -5);
  EXPECT_EQ(y[2], 15);
  EXPECT_EQ(y[3], 46);
  // x = -0.8125 (-13): RND at frac 1: -1.0 (-2); TRN: -1.0; unsigned SAT: 0; x*8 = -6.5 -> floor -7
  EXPECT_EQ(y[4], -2);
  EXPECT_EQ(y[5], -2);
  EXPECT_EQ(y[6], 0);
  EXPECT_EQ(y[7], -7);
}

TEST(NetlistOps, CmpMuxLutConst) {
  Netlist n = with_input(fx("fixed<3,3>"), 1);  // integers -4..3
  NetValue c;
  c.op = NetOp::Const;
  c.type = fx("fixed<4,2>");
  c.konst = 4;  // 1.0
  int one = n.add(c);
  NetValue cmp;
  cmp.op = NetOp::Cmp;
  cmp.type = fx("ufixed<1,1>");
  cmp.args = {0, one};
  int ge = n.add(cmp);
  cmp.cmp = CmpKind::GT;
  int gt = n.add(cmp);
  cmp.cmp = CmpKind::EQ;
  int eq = n.add(cmp);
  int mux = add_value(n, NetOp::Mux, fx("fixed<5,3>"), {ge, 0, one});  // x >= 1 ? x : 1
  NetValue l;
  l.op = NetOp::Lut;
  l.type = fx("fixed<6,6>");
  l.args = {0};
  for (int64_t r = -4; r <= 3; ++r) l.table.push_back(r * r);
  int lut = n.add(l);
  auto y = run(n, {ge, gt, eq, mux, lut, one}, {-3, 1, 3});
  // x = -3
  EXPECT_EQ((std::vector<int64_t>(y.begin(), y.begin() + 6)), (std::vector<int64_t>{0, 0, 0, 4, 9, 4}));
  EXPECT_EQ((std::vector<int64_t>(y.begin() + 6, y.begin() + 12)), (std::vector<int64_t>{1, 0, 1, 4, 1, 4}));
  EXPECT_EQ((std::vector<int64_t>(y.begin() + 12, y.end())), (std::vector<int64_t>{1, 1, 0, 12, 9, 4}));
}

TEST(NetlistOps, InputOutsideItsTypeIsAnError) {
  Netlist n = with_input(fx("fixed<4,4>"), 1);
  std::vector<int64_t> x{8};
  n.outputs = {NetPort{"out_y", "y", fx("fixed<4,4>"), {0}}};
  NetlistEmulator e(n);
  EXPECT_THROW(e.run(x.data(), 1), Error);
}

TEST(NetlistVerify, RejectsNarrowTypesAndBadOrder) {
  Netlist n = with_input(fx("fixed<8,4>"), 2);
  int ok = add_value(n, NetOp::Add, fx("fixed<9,5>"), {0, 1});
  n.outputs = {NetPort{"out_y", "y", fx("fixed<9,5>"), {ok}}};
  EXPECT_NO_THROW(n.verify());
  n.values[size_t(ok)].type = fx("fixed<8,4>");  // a + b can overflow fixed<8,4>
  n.outputs[0].type = fx("fixed<8,4>");
  EXPECT_THROW(n.verify(), Error);
  n.values[size_t(ok)].type = fx("fixed<10,5>");  // frac 5 is fine, 5 int bits too
  n.outputs[0].type = fx("fixed<10,5>");
  EXPECT_NO_THROW(n.verify());
  n.values[size_t(ok)].type = fx("fixed<9,6>");  // frac 3 < 4: inexact
  n.outputs[0].type = fx("fixed<9,6>");
  EXPECT_THROW(n.verify(), Error);
  n.values[size_t(ok)].type = fx("fixed<9,5>");
  n.outputs[0].type = fx("fixed<9,5>");
  n.values[size_t(ok)].args = {0, ok};  // not SSA
  EXPECT_THROW(n.verify(), Error);
  n.values[size_t(ok)].args = {0};  // arity
  EXPECT_THROW(n.verify(), Error);
  try {
    n.verify();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("v2"), std::string::npos) << e.what();
  }
}

TEST(NetlistVerify, TextDumpNamesOps) {
  Netlist n = with_input(fx("fixed<8,4>"), 2);
  NetValue v;
  v.op = NetOp::Add;
  v.args = {0, 1};
  v.shift_a = 2;
  v.sub = true;
  v.type = fx("fixed<11,7>");
  v.layer = "L";
  n.add(v);
  std::string s = to_text(n);
  EXPECT_NE(s.find("v2 = Add v0<<2 - v1 : fixed<11,7> [L]"), std::string::npos) << s;
  EXPECT_STREQ(to_string(NetOp::Quantize), "Quantize");
}

// ------------------------------------------------------- lowering small graphs

namespace {

/// x (8 features, Quant 6-bit signed, scale 2^-2) -> MatMul(W) + b -> outputs,
/// W's column `zero_col` all zero; config given as JSON text.
Model small_dense(const std::vector<double>& W, int n_out, const std::vector<double>& b, const std::string& cfg_json) {
  nanogate::testing::GraphBuilder gb;
  auto x = gb.input("x", {8});
  auto q = gb.quant("qx", x, 0.25, 6, true);
  auto w = gb.constant("W", {8, n_out}, W);
  auto mm = gb.node("MatMul", "fc", {q, w});
  auto bb = gb.constant("B", {n_out}, b);
  auto y = gb.node("Add", "fc_bias", {mm, bb});
  Config cfg = parse_config(cfg_json, "cfg.json");
  return compile_graph(gb.done(y), cfg);
}

std::vector<int64_t> random_codes(const std::vector<FirmwarePort>& ports, int rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  int64_t cols = 0;
  for (auto& p : ports) cols += p.size;
  std::vector<int64_t> raw(size_t(rows * cols));
  for (int r = 0; r < rows; ++r) {
    int64_t c = 0;
    for (auto& p : ports)
      for (int64_t i = 0; i < p.size; ++i, ++c) {
        const int64_t lo = p.type.min_raw(), hi = p.type.max_raw();
        int64_t v;
        if (r == 0) v = lo;                                   // all minimum codes
        else if (r == 1) v = hi;                              // all maximum codes
        else if (r == 2) v = 0;
        else if (r < 40) v = (rng() & 1) ? lo : hi;           // corners
        else if (r < 80) v = lo + int64_t(rng() % 3) * ((hi - lo) / 2) + (rng() % 2);  // min / mid / max mixes
        else v = lo + int64_t(rng() % uint64_t(hi - lo + 1));  // uniform over the full range
        raw[size_t(r * cols + c)] = std::min(std::max(v, lo), hi);
      }
  }
  return raw;
}

/// Reference raw codes at the netlist's output ports: the layer emulator's
/// trace of each port tensor (a stripped Softmax's input included).
std::vector<int64_t> reference(const Model& m, const Netlist& net, const std::vector<int64_t>& raw, int64_t rows) {
  Emulator emu(m);
  std::vector<std::string> names;
  for (auto& p : net.outputs) names.push_back(p.tensor);
  EmulatorResult r = emu.run_firmware(raw.data(), rows, true, names);
  int64_t cols = 0;
  for (auto& p : net.outputs) cols += int64_t(p.values.size());
  std::vector<int64_t> out(size_t(rows * cols));
  int64_t c0 = 0;
  for (auto& p : net.outputs) {
    const auto& tv = r.trace_raw.at(p.tensor);
    const int64_t sz = int64_t(p.values.size());
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t k = 0; k < sz; ++k) out[size_t(row * cols + c0 + k)] = tv[size_t(row * sz + k)];
    c0 += sz;
  }
  return out;
}

/// Lowers m, verifies, and compares with the layer emulator on `rows` random
/// vectors (+ `extra` raw rows); checks that corrupting a constant shows.
Netlist check_model(const Model& m, int rows = 2000, const std::vector<int64_t>& extra = {},
                    const LowerOptions& options = {}) {
  Netlist net = lower_to_netlist(m, options);
  EXPECT_NO_THROW(net.verify());
  Emulator emu(m);
  auto ports = emu.firmware_inputs();
  EXPECT_EQ(net.inputs.size(), ports.size());
  for (size_t p = 0; p < ports.size() && p < net.inputs.size(); ++p) {
    EXPECT_EQ(net.inputs[p].tensor, ports[p].tensor);
    EXPECT_EQ(net.inputs[p].type, ports[p].type);
    EXPECT_EQ(int64_t(net.inputs[p].values.size()), ports[p].size);
  }
  std::vector<int64_t> raw = random_codes(ports, rows, 12345);
  raw.insert(raw.end(), extra.begin(), extra.end());
  NetlistEmulator ne(net);
  const int64_t n = int64_t(raw.size()) / ne.input_size();
  std::vector<int64_t> got = ne.run(raw.data(), n), want = reference(m, net, raw, n);
  EXPECT_EQ(got.size(), want.size());
  int64_t bad = 0, first = -1;
  for (size_t i = 0; i < got.size() && i < want.size(); ++i)
    if (got[i] != want[i]) {
      if (first < 0) first = int64_t(i);
      ++bad;
    }
  EXPECT_EQ(bad, 0) << "first mismatch at flat index " << first << " (row " << first / ne.output_size() << ", col "
                    << first % ne.output_size() << "): netlist " << got[size_t(first)] << " vs emulator "
                    << want[size_t(first)];
  // a corrupted constant must change some output (the comparison can fail)
  bool changed = false;
  for (size_t i = 0, tried = 0; i < net.values.size() && tried < 30 && !changed; ++i) {
    const NetValue& v = net.values[i];
    if (v.op != NetOp::Const || v.type.width < 2) continue;
    ++tried;
    Netlist bad_net = net;
    int64_t& k = bad_net.values[i].konst;
    k = k == v.type.max_raw() ? k - 1 : k + 1;
    NetlistEmulator be(bad_net);
    changed = be.run(raw.data(), n) != got;
  }
  EXPECT_TRUE(changed) << "no corrupted constant changed an output";
  return net;
}

}  // namespace

TEST(NetlistLower, ZeroWeightColumnsAreConstantsWithoutAdders) {
  // columns 1 and 3 of W are zero; column 3 has a bias
  std::vector<double> W(8 * 4, 0.0);
  for (int i = 0; i < 8; ++i) {
    W[size_t(i * 4 + 0)] = (i % 3 - 1) * 0.5;
    W[size_t(i * 4 + 2)] = 0.25 * (i - 4);
  }
  const char* cfg = R"({"LayerName": {"fc": {"Precision": {"weight": "fixed<6,2>", "bias": "fixed<6,2>",
                       "accum": "fixed<20,8>", "result": "fixed<12,6>"}}}})";
  Model m = small_dense(W, 4, {0.5, 0.0, -1.0, 1.25}, cfg);
  Netlist net = check_model(m, 500);
  ASSERT_EQ(net.outputs.size(), 1u);
  const auto& y = net.outputs[0].values;
  EXPECT_EQ(net.values[size_t(y[1])].op, NetOp::Const);
  EXPECT_EQ(net.values[size_t(y[1])].konst, 0);
  EXPECT_EQ(net.values[size_t(y[3])].op, NetOp::Const);
  EXPECT_EQ(net.values[size_t(y[3])].konst, 1.25 * 64);  // fixed<12,6>: frac 6
  EXPECT_NE(net.values[size_t(y[0])].op, NetOp::Const);

  std::vector<double> Z(8 * 3, 0.0);
  Model mz = small_dense(Z, 3, {0.0, 0.75, -0.5}, cfg);
  Netlist nz = lower_to_netlist(mz);
  EXPECT_EQ(count_values(nz, NetOp::Add), 0);
  for (int v : nz.outputs[0].values) EXPECT_EQ(nz.values[size_t(v)].op, NetOp::Const);
  check_model(mz, 200);
}

TEST(NetlistLower, PerProductPathWithSaturatingAccumulator) {
  std::vector<double> W(8 * 3);
  for (size_t i = 0; i < W.size(); ++i) W[i] = (double(int(i * 7 % 13)) - 6.0) / 8.0;
  // accum coarser than the products (per-product truncation) and saturating
  const char* cfg = R"({"LayerName": {"fc": {"Precision": {"weight": "fixed<6,3>", "bias": "fixed<6,3>",
                       "accum": "fixed<7,4,RND,SAT>", "result": "fixed<6,4,RND_CONV,SAT>"}}}})";
  check_model(small_dense(W, 3, {0.125, -0.5, 2.0}, cfg), 2000);
  const char* wrap = R"({"LayerName": {"fc": {"Precision": {"weight": "fixed<6,3>", "bias": "fixed<6,3>",
                       "accum": "fixed<6,3>", "result": "fixed<6,4>"}}}})";
  check_model(small_dense(W, 3, {0.125, -0.5, 2.0}, cfg), 2000);
  check_model(small_dense(W, 3, {0.125, -0.5, 2.0}, wrap), 2000);
}

TEST(NetlistLower, SoftmaxInsideTheGraphIsAnError) {
  nanogate::testing::GraphBuilder gb;
  auto x = gb.input("x", {4});
  auto q = gb.quant("qx", x, 0.25, 6, true);
  auto s = gb.node("Softmax", "sm", {q}, {{"axis", int64_t(-1)}});
  auto r = gb.node("Relu", "act", {s});
  Model m = compile_graph(gb.done(r));
  try {
    lower_to_netlist(m);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'sm'"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------------ real models

TEST(NetlistModels, QkerasJetTaggerSoftmaxStripped) {
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/jet/qkeras_jettagging.onnx");
  Netlist net = check_model(m);
  ASSERT_EQ(net.stripped.size(), 1u);
  ASSERT_EQ(net.outputs.size(), 1u);
  EXPECT_EQ(net.outputs[0].tensor, "Add_3_out0");
  for (const Node& n : m.graph.nodes)
    if (n.op == "Dense") {
      int64_t bias_adds = 0;
      for (const NetValue& v : net.values)
        if (v.op == NetOp::Add && v.layer == n.name)
          bias_adds += net.values[size_t(v.args[0])].op == NetOp::Const || net.values[size_t(v.args[1])].op == NetOp::Const;
      std::cout << "[ jet dense ] " << n.name << ": " << count_values(net, NetOp::Add, n.name) << " adders ("
                << bias_adds << " of them bias adds), " << count_values(net, NetOp::Quantize, n.name)
                << " quantizes\n";
      EXPECT_GT(count_values(net, NetOp::Add, n.name), 0);
    }
  LowerOptions keep;
  keep.strip_final_softmax = false;
  EXPECT_THROW(lower_to_netlist(m, keep), Error);
}

TEST(NetlistModels, ThreeLayerKerasFloatModel) {
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/jet/three_layer_keras.onnx");
  Netlist net = check_model(m);
  EXPECT_GT(count_values(net, NetOp::Quantize), 0);
}

TEST(NetlistModels, MnistTfcThresholds) {
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/mnist/TFC_2W2A.onnx");
  Netlist net = check_model(m);
  EXPECT_GT(count_values(net, NetOp::Cmp), 0);
}

TEST(NetlistLower, FloatScaleQuantizersAreExactOnEveryInputCode) {
  // x: 9-bit codes of scale 2^-4. Three quantizers of float-scaled values:
  //   a = Quant(x * -0.37 + 0.11, s = 0.21, 3 bits signed)        (decreasing thresholds)
  //   b = Quant(Relu(x * 0.53), s = 0.173, 2 bits unsigned, zero point 1, HALF_UP)
  //   c = BipolarQuant(x * 0.9 - 0.3, s = 0.7)                      (the sign)
  nanogate::testing::GraphBuilder gb;
  auto x = gb.quant("qx", gb.input("x", {8}), 0.0625, 9, true);
  auto k = [&](const char* n, double v) { return gb.constant(n, {}, {v}); };
  auto a = gb.quant("qa", gb.node("Add", "a_add", {gb.node("Mul", "a_mul", {x, k("ka", -0.37)}), k("oa", 0.11)}),
                    0.21, 3, true);
  auto r = gb.node("Relu", "b_relu", {gb.node("Mul", "b_mul", {x, k("kb", 0.53)})});
  auto b = gb.node("Quant", "qb", {r, k("sb", 0.173), k("zb", 1.0), k("bb", 2.0)},
                   {{"signed", int64_t(0)}, {"rounding_mode", std::string("HALF_UP")}}, "qonnx.custom_op.general");
  auto c = gb.node("BipolarQuant", "qc", {gb.node("Sub", "c_sub", {gb.node("Mul", "c_mul", {x, k("kc", 0.9)}),
                                                                 k("oc", 0.3)}), k("sc", 0.7)},
                   {}, "qonnx.custom_op.general");
  Graph g = gb.g;
  g.outputs = {a, b, c};
  Model m = compile_graph(g, Config{});
  for (const char* q : {"qa", "qb", "qc"}) {
    const Node* n = m.graph.find_node(q);
    ASSERT_TRUE(n) << q;
    EXPECT_EQ(n->op, "Threshold") << q;
  }
  // every code of x (one per event, in all 8 elements) against the formulas in real
  // arithmetic on the double constants (long double here)
  using L = long double;
  std::vector<double> xs;
  for (int v = -256; v < 256; ++v) xs.insert(xs.end(), 8, std::ldexp(double(v), -4));
  const int64_t rows = 512;
  EmulatorResult res = Emulator(m).run(xs.data(), rows);
  for (int64_t e = 0; e < rows; ++e) {
    const L xv = xs[size_t(e * 8)];
    const L ra = std::clamp<L>(std::nearbyint((xv * L(-0.37) + L(0.11)) / L(0.21)), -4, 3);
    const L rb = std::clamp<L>(std::floor(std::max<L>(0, xv * L(0.53)) / L(0.173) + 1 + L(0.5)), 0, 3) - 1;
    const L rc = xv * L(0.9) - L(0.3) >= 0 ? 1 : -1;
    for (int j = 0; j < 8; ++j) {
      EXPECT_EQ(res.raw[size_t(e * 24 + j)], int64_t(ra)) << "a at x=" << double(xv);
      EXPECT_EQ(res.raw[size_t(e * 24 + 8 + j)], int64_t(rb)) << "b at x=" << double(xv);
      EXPECT_EQ(res.raw[size_t(e * 24 + 16 + j)], int64_t(rc)) << "c at x=" << double(xv);
      EXPECT_DOUBLE_EQ(res.values[size_t(e * 24 + j)], double(ra) * 0.21);
    }
  }
  check_model(m);  // the netlist's comparators give the same codes
}

TEST(NetlistLower, WideThresholdsBecomeOneExactMultiplyOnEveryInputCode) {
  // 8-bit quantizers (255 thresholds) of a 12-bit code: increasing, decreasing and with
  // a Relu + zero point; the netlist's multiply-floor-clamp equals the table everywhere.
  nanogate::testing::GraphBuilder gb;
  auto x = gb.quant("qx", gb.input("x", {3}), 0.125, 12, true);
  auto k = [&](const char* n, double v) { return gb.constant(n, {}, {v}); };
  auto slope = gb.constant("slope", {3}, {0.0731, -0.0417, 0.0593});
  auto off = gb.constant("off", {3}, {0.37, -1.1, 0.05});
  auto a = gb.node("Relu", "r", {gb.node("Add", "add", {gb.node("Mul", "mul", {x, slope}), off})});
  auto q = gb.node("Quant", "q8", {a, k("s8", 0.0113), k("z8", 3.0), k("b8", 8.0)},
                   {{"signed", int64_t(0)}}, "qonnx.custom_op.general");
  auto q2 = gb.quant("q8s", gb.node("Mul", "mul2", {x, slope}), 0.0291, 8, true, true);
  Graph g = gb.g;
  g.outputs = {q, q2};
  Model m = compile_graph(g, Config{});
  Netlist net = lower_to_netlist(m);
  EXPECT_LT(count_values(net, NetOp::Cmp), 100);  // not 6 x 255 comparators
  std::vector<int64_t> codes;
  for (int64_t v = -2048; v < 2048; ++v) codes.insert(codes.end(), 3, v);
  const int64_t rows = 4096;
  std::vector<int64_t> got = NetlistEmulator(net).run(codes.data(), rows);
  EmulatorResult want = Emulator(m).run_firmware(codes.data(), rows);
  ASSERT_EQ(got.size(), want.raw.size());
  int64_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) bad += got[i] != want.raw[i];
  EXPECT_EQ(bad, 0);
}

TEST(NetlistModels, DefaultDigitsModel) {
  Model m = compile_model(std::string(NANOGATE_SOURCE_DIR) + "/examples/default/digits_qmlp.onnx");
  check_model(m);
}

namespace {

/// AXOL1TL version v built into a temp folder (removed once compiled).
Model axol1tl(int version) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("nanogate_test_netlist_axol1tl_v" + std::to_string(version) + "_" +
                                             std::to_string(::getpid()));
  if (!fs::exists(dir / "model.onnx")) {
    std::string cmd = std::string(NANOGATE_SOURCE_DIR) + "/.venv/bin/python " + NANOGATE_SOURCE_DIR +
                      "/examples/axol1tl/build_model.py " + NANOGATE_MODELS_DIR + "/axol1tl/axol1tl_v" +
                      std::to_string(version) + ".json " + dir.string() + " > /dev/null";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
  }
  Model m = compile_model((dir / "model.onnx").string(), load_config((dir / "config.json").string()));
  fs::remove_all(dir);
  return m;
}

/// The 3,000 CMS input vectors as raw codes of fixed<18,13> (value · 32).
std::vector<int64_t> cms_vectors() {
  std::ifstream f(std::string(NANOGATE_MODELS_DIR) + "/axol1tl/vectors/axol1tl_inputs.csv");
  std::string line;
  std::getline(f, line);  // header
  std::vector<int64_t> raw;
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) raw.push_back(std::llround(std::stod(cell) * 32));
  }
  return raw;
}

}  // namespace

TEST(NetlistModels, Axol1tlV1AndV4WithCmsVectors) {
  auto cms = cms_vectors();
  ASSERT_EQ(cms.size(), 3000u * 57u);
  for (int version : {1, 4}) {
    SCOPED_TRACE("AXOL1TL v" + std::to_string(version));
    Model m = axol1tl(version);
    auto ports = Emulator(m).firmware_inputs();
    ASSERT_EQ(ports.size(), 1u);
    EXPECT_EQ(ports[0].tensor, "inputs");
    EXPECT_EQ(ports[0].type, fx("fixed<18,13>"));
    Netlist net = check_model(m, 2000, cms);
    EXPECT_GT(count_values(net, NetOp::Mul), 0);  // the score's square
  }
}

TEST(NetlistLower, ElementwiseTableAndReductionLayers) {
  // one quantized input feeding every non-Dense layer kind, all graph outputs
  nanogate::testing::GraphBuilder gb;
  auto x = gb.input("x", {4});
  auto q = gb.quant("qx", x, 0.25, 6, true);
  auto x2 = gb.input("x2", {4});
  auto q2 = gb.quant("qx2", x2, 0.5, 4, false);
  std::vector<std::string> outs;
  outs.push_back(gb.node("LeakyRelu", "lrelu", {q}, {{"alpha", 0.1}}));
  outs.push_back(gb.node("Sigmoid", "sigm", {q}));
  auto sc = gb.constant("bn_s", {4}, {1.5, -0.75, 0.3, 2.0});
  auto bb = gb.constant("bn_b", {4}, {0.1, 0.0, -1.0, 0.5});
  auto mu = gb.constant("bn_m", {4}, {0.0, 0.5, -0.25, 1.0});
  auto va = gb.constant("bn_v", {4}, {1.0, 2.0, 0.5, 1.0});
  outs.push_back(gb.node("BatchNormalization", "bn", {q, sc, bb, mu, va}, {{"epsilon", 1e-3}}));
  auto one = gb.constant("bq_s", {}, {1.0});
  outs.push_back(gb.node("BipolarQuant", "bq", {q, one}, {}, "qonnx.custom_op.general"));
  outs.push_back(gb.node("ReduceSum", "rsum", {q}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t(1)}}));
  outs.push_back(gb.node("Mul", "prod", {q, q2}));
  outs.push_back(gb.node("Sub", "diff", {q2, q}));
  auto k = gb.constant("k", {4}, {0.75, -1.5, 3.0, 0.0});
  outs.push_back(gb.node("Mul", "scale", {q, k}));
  outs.push_back(gb.node("Add", "shift", {q, k}));
  auto cat = gb.node("Concat", "cat", {q2, q}, {{"axis", int64_t(1)}});
  outs.push_back(gb.node("Relu", "act", {cat}));
  Graph g = gb.g;
  g.outputs = outs;
  Config cfg = parse_config(R"({"LayerName": {"act": {"Precision": {"result": "ufixed<5,3,RND_CONV,SAT>"}},
                                  "rsum": {"Precision": {"accum": "fixed<6,3,RND,SAT>", "result": "fixed<6,4>"}},
                                  "scale": {"Precision": {"result": "fixed<6,2,RND,SAT_SYM>"}},
                                  "bn": {"Precision": {"weight": "fixed<12,3>", "bias": "fixed<12,4>"}}}})",
                            "cfg.json");
  Model m = compile_graph(g, cfg);
  std::set<std::string> ops;
  for (const Node& n : m.graph.nodes) ops.insert(n.op);
  for (const char* op : {"LeakyRelu", "Sigmoid", "BatchNorm", "BipolarQuant", "ReduceSum", "Mul", "Sub", "Add",
                         "Move", "Relu"})
    EXPECT_TRUE(ops.count(op)) << op;
  Netlist net = check_model(m, 3000);
  EXPECT_GT(count_values(net, NetOp::Lut), 0);
  EXPECT_GT(count_values(net, NetOp::Mux), 0);
}

TEST(NetlistLower, ProductsOfVariablesAsShiftAndAddRowsAreExact) {
  // signed x signed (a square), signed x unsigned, unsigned x unsigned, with
  // the narrower operand on either side: every product as Mux-selected rows
  nanogate::testing::GraphBuilder gb;
  auto q = gb.quant("qx", gb.input("x", {3}), 0.25, 6, true);
  auto q2 = gb.quant("qx2", gb.input("x2", {3}), 0.5, 4, false);
  std::vector<std::string> outs = {gb.node("Mul", "sq", {q, q}), gb.node("Mul", "su", {q, q2}),
                                   gb.node("Mul", "us", {q2, q}), gb.node("Mul", "uu", {q2, q2}),
                                   // a constant for check_model's corrupted-constant check
                                   gb.node("Add", "shift", {q, gb.constant("k", {3}, {0.75, -1.5, 3.0})})};
  Graph g = gb.g;
  g.outputs = outs;
  Model m = compile_graph(g, parse_config("{}", "cfg.json"));
  EXPECT_GT(count_values(lower_to_netlist(m), NetOp::Mul), 0);
  LowerOptions o;
  o.expand_products = true;
  std::vector<int64_t> extra;  // rows of extreme codes (x: 3 x fixed<6,4>, then x2: 3 x ufixed<4,3>), after random rows
  for (int64_t a : {-32, -31, -1, 0, 1, 31})
    for (int64_t b : {0, 1, 14, 15}) extra.insert(extra.end(), {a, a, a, b, b, b});
  Netlist net = check_model(m, 3000, extra, o);
  EXPECT_EQ(count_values(net, NetOp::Mul), 0);
  EXPECT_GT(count_values(net, NetOp::Mux), 0);
}
