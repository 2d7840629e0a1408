// ONNX/QONNX frontend and the passes on the real models in ../shared/models.
#include <gtest/gtest.h>

#include <onnx/onnx_pb.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "graph_builder.hpp"
#include "error_text.hpp"
#include "nanogate/error.hpp"
#include "nanogate/frontend/onnx.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/model.hpp"
#include "nanogate/passes/passes.hpp"

using namespace nanogate;
using nanogate::testing::error_of;
using nanogate::testing::GraphBuilder;

namespace {
const std::string kModels = NANOGATE_MODELS_DIR;

std::string read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}


int count_op(const Graph& g, const std::string& op) {
  int n = 0;
  for (auto& node : g.nodes) n += node.op == op;
  return n;
}
}  // namespace

TEST(Frontend, TfcShapeSubgraphFoldsAway) {
  // TFC_2W2A computes its Reshape target with Shape → Gather → Unsqueeze → Concat.
  Graph g = load_onnx(kModels + "/mnist/TFC_2W2A.onnx");
  EXPECT_EQ(count_op(g, "Shape"), 1);
  fold_constants(g);
  for (const char* op : {"Shape", "Gather", "Unsqueeze", "Concat"}) EXPECT_EQ(count_op(g, op), 0) << op;
  EXPECT_EQ(g.tensor("31").shape, (Shape{784}));  // the Reshape output, per event
  EXPECT_TRUE(g.quantized);
}

TEST(Frontend, QuantizedWeightsGetTheirExactType) {
  Model m = compile_model(kModels + "/jet/qkeras_jettagging.onnx");
  const Node* fc = nullptr;
  for (auto& n : m.graph.nodes)
    if (n.name == "MatMul_0") fc = &n;
  ASSERT_NE(fc, nullptr);
  EXPECT_EQ(fc->op, "Dense");
  // Quant(scale 2^-5, 6 bits, signed, ROUND) = fixed<6,1,RND_CONV,SAT>
  EXPECT_EQ(*fc->precision.weight, (Fixed{true, 6, 1, Rounding::RND_CONV, Overflow::SAT}));
  // the activation Quant after ReLU: unsigned 6 bits, scale 2^-6
  EXPECT_EQ(*m.graph.find_node("Quant_8")->precision.result, (Fixed{false, 6, 0, Rounding::RND_CONV, Overflow::SAT}));
}

TEST(Frontend, BatchNormAfterQuantizedDenseBecomesThreshold) {
  Model m = compile_model(kModels + "/mnist/TFC_2W2A.onnx");
  EXPECT_EQ(count_op(m.graph, "Threshold"), 3);
  EXPECT_EQ(count_op(m.graph, "InputQuant"), 1);  // x*2-1 then the 2-bit input Quant
}

TEST(Frontend, FloatModelDefaultsToFixed16_6) {
  Model m = compile_model(kModels + "/jet/three_layer_keras.onnx");
  for (auto& n : m.graph.nodes) EXPECT_EQ(*n.precision.result, (Fixed{true, 16, 6})) << n.name;
  EXPECT_EQ(count_op(m.graph, "Dense"), 4);
}

TEST(Frontend, BadFilesGiveOneLineErrors) {
  std::string e = error_of([] { load_onnx_bytes("", "empty.onnx"); });
  EXPECT_NE(e.find("empty.onnx"), std::string::npos);
  EXPECT_NE(e.find("empty"), std::string::npos);
  std::string good = read(kModels + "/jet/qkeras_jettagging.onnx");
  e = error_of([&] { load_onnx_bytes(good.substr(0, good.size() / 3), "cut.onnx"); });
  EXPECT_NE(e.find("cut.onnx: not a valid ONNX model"), std::string::npos) << e;
  e = error_of([] { load_onnx_bytes(std::string(300, 'a'), "text.onnx"); });
  EXPECT_NE(e.find("text.onnx"), std::string::npos);
  EXPECT_FALSE(e.empty());
  e = error_of([] { load_onnx("/nonexistent/model.onnx"); });
  EXPECT_NE(e.find("cannot open"), std::string::npos);
}

TEST(Frontend, OpsetOutsideSupportedRangeIsRejected) {
  onnx::ModelProto m;
  m.ParseFromString(read(kModels + "/jet/three_layer_keras.onnx"));
  m.mutable_opset_import(0)->set_version(22);
  std::string e = error_of([&] { load_onnx_bytes(m.SerializeAsString(), "new.onnx"); });
  EXPECT_NE(e.find("opset 22"), std::string::npos) << e;
}

TEST(Frontend, BatchDimensionMayBeAnyNumber) {
  // One exporter wrote 789444 as the batch dimension.
  onnx::ModelProto m;
  m.ParseFromString(read(kModels + "/jet/three_layer_keras.onnx"));
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(789444);
  Graph g = load_onnx_bytes(m.SerializeAsString(), "big_batch.onnx");
  EXPECT_EQ(g.tensor(g.inputs[0]).shape, (Shape{16}));
}

TEST(Passes, QuantWithNonPowerOfTwoScaleBecomesAnExactThreshold) {
  // qonnx: y = clamp(round_half_even(x / 0.3), -8, 7) * 0.3; the firmware holds the code.
  GraphBuilder gb;
  auto x = gb.input("x", {4});
  Config cfg;
  cfg.by_name["x"].precision.result = TypeSpec{false, parse_fixed("fixed<12,4>")};
  auto q = gb.quant("q", gb.node("Relu", "r", {x}), 0.3, 4, true);
  Model m = compile_graph(gb.done(q), cfg);
  EXPECT_EQ(count_op(m.graph, "Threshold"), 1);
  EXPECT_EQ(count_op(m.graph, "Mul"), 0);
  // 0.4375 / 0.3 = 1.458 → 1; 0.6875 → 2.292 → 2; 0.8125 → 2.708 → 3; 7.5 → 25 → clamped to 7
  std::vector<double> in = {0.4375, 0.6875, 0.8125, 7.5};
  EmulatorResult r = Emulator(m).run(in.data(), 1);
  std::vector<int64_t> want_codes = {1, 2, 3, 7};
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(r.raw[size_t(k)], want_codes[size_t(k)]) << k;
    EXPECT_DOUBLE_EQ(r.values[size_t(k)], 0.3 * double(want_codes[size_t(k)])) << k;
  }
}

TEST(Passes, QuantWithAZeroPointIsExact) {
  // y = (clamp(round(x / 0.25 + 3), 0, 255) - 3) * 0.25: codes q - 3 in [-3, 252]
  GraphBuilder gb;
  auto x = gb.input("x", {4});
  Config cfg;
  cfg.by_name["x"].precision.result = TypeSpec{false, parse_fixed("fixed<14,8>")};
  auto s = gb.constant("s", {}, {0.25});
  auto z = gb.constant("z", {}, {3.0});
  auto b = gb.constant("b", {}, {8.0});
  auto r0 = gb.node("Relu", "r0", {x});
  auto q = gb.node("Quant", "q_zp", {gb.node("Sub", "shift", {r0, gb.constant("one", {}, {1.0})}), s, z, b},
                   {{"signed", int64_t(0)}}, "qonnx.custom_op.general");
  Model m = compile_graph(gb.done(q), cfg);
  EXPECT_EQ(count_op(m.graph, "Threshold"), 1);
  // -1 → -4 + 3 → clamped to 0 → -3; 0.125 → 0.5 + 3 = 3.5 → 4 (half to even) → 1; 99 → 399 → 255 → 252
  std::vector<double> in = {0.0, 1.125, 40.0, 100.0};
  EmulatorResult r = Emulator(m).run(in.data(), 1);
  std::vector<double> want = {-0.75, 0.25, 39.0, 63.0};
  for (int k = 0; k < 4; ++k) EXPECT_DOUBLE_EQ(r.values[size_t(k)], want[size_t(k)]) << k;
}

TEST(Passes, BatchNormFoldsIntoAFloatDense) {
  GraphBuilder gb;
  auto x = gb.input("x", {2});
  auto mm = gb.node("MatMul", "fc", {x, gb.constant("W", {2, 2}, {1, 2, 3, 4})});
  auto bn = gb.node("BatchNormalization", "bn",
                    {mm, gb.constant("g", {2}, {2, 1}), gb.constant("be", {2}, {0.5, 0}), gb.constant("mu", {2}, {1, 0}),
                     gb.constant("var", {2}, {1, 4})},
                    {{"epsilon", 0.0}});
  Model m = compile_graph(gb.done(bn), Config{});
  ASSERT_EQ(m.graph.nodes.size(), 1u);
  const Node& d = m.graph.nodes[0];
  EXPECT_EQ(d.op, "Dense");
  EXPECT_EQ(m.graph.tensor(d.inputs[1]).values, (std::vector<double>{2, 1, 6, 2}));  // W * gamma/sqrt(var)
  EXPECT_EQ(m.graph.tensor(d.inputs[2]).values, (std::vector<double>{-1.5, 0}));     // (0 - mu)*a + beta
}

TEST(Passes, ConfigNamingAMissingLayerIsAnError) {
  Config cfg;
  cfg.source = "cfg.json";
  cfg.by_name["fc_typo"] = LayerConfig{};
  std::string e = error_of([&] { compile_model(kModels + "/jet/qkeras_jettagging.onnx", cfg); });
  EXPECT_NE(e.find("cfg.json"), std::string::npos);
  EXPECT_NE(e.find("fc_typo"), std::string::npos);
  EXPECT_NE(e.find("MatMul_0"), std::string::npos);  // lists the layers that exist
}

TEST(Passes, ExactTypeBeyond64BitsIsAClearError) {
  // Two 40-bit values multiplied: the exact product needs 80 bits.
  GraphBuilder gb;
  auto x = gb.input("x", {2});
  auto q = gb.quant("q", x, std::ldexp(1.0, -20), 40, true);
  auto y = gb.node("Mul", "square", {q, q});
  std::string e = error_of([&] { compile_graph(gb.done(y), Config{}); });
  EXPECT_NE(e.find("square"), std::string::npos) << e;
  EXPECT_NE(e.find("needs 79"), std::string::npos) << e;
  EXPECT_NE(e.find("configure"), std::string::npos) << e;
}
