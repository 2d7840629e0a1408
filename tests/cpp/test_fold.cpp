// Time-multiplexed convolutions (nanogate/netlist/fold.hpp) without a
// simulator: the folded design's emulation (segments, frames, taps, kernels)
// equals the fully parallel netlist and the layer emulator on every event;
// the frame-schedule check and the chain check refuse what they must.
#include <gtest/gtest.h>

#include <random>

#include "graph_builder.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/emulate/test_vectors.hpp"
#include "nanogate/error.hpp"
#include "nanogate/model.hpp"
#include "nanogate/netlist/fold.hpp"
#include "nanogate/netlist/lower.hpp"
#include "nanogate/netlist/netlist_emulator.hpp"

namespace nanogate {
namespace {

using testing::GraphBuilder;

struct ConvSpec {
  Shape w;                              // [M, C, k...]
  std::map<std::string, Attr> attrs;
  bool bias;
};

std::vector<double> normal(int64_t n, std::mt19937& rng, double scale) {
  std::normal_distribution<double> d(0.0, scale);
  std::vector<double> v(static_cast<size_t>(n));
  for (double& x : v) x = d(rng);
  return v;
}

/// x → Conv → Relu → Conv → ... (a float model: the default fixed<16,6> types).
Model conv_chain(const Shape& x_shape, const std::vector<ConvSpec>& convs) {
  std::mt19937 rng(11);
  GraphBuilder b;
  std::string x = b.input("x", x_shape);
  for (size_t k = 0; k < convs.size(); ++k) {
    const ConvSpec& c = convs[k];
    std::vector<std::string> ins{x, b.constant("w" + std::to_string(k), c.w, normal(num_elements(c.w), rng, 0.3))};
    if (c.bias) ins.push_back(b.constant("b" + std::to_string(k), {c.w[0]}, normal(c.w[0], rng, 1.0)));
    x = b.node("Conv", "conv" + std::to_string(k), ins, c.attrs);
    if (k + 1 < convs.size()) x = b.node("Relu", "relu" + std::to_string(k), {x});
  }
  return compile_graph(b.done(x));
}

/// Folded emulation == parallel netlist == layer emulator on `rows` generated vectors.
void expect_fold_exact(const Model& m, size_t folds, int64_t rows = 300) {
  const std::vector<std::string> layers = folded_layers(m, 2);
  ASSERT_EQ(layers.size(), folds);
  const FoldedDesign d = fold_to_netlists(m, {}, layers);
  ASSERT_EQ(d.folds.size(), folds);
  const Netlist par = lower_to_netlist(m);
  std::vector<Fixed> types;
  for (const auto& p : par.inputs)
    for (size_t k = 0; k < p.values.size(); ++k) types.push_back(p.type);
  const std::vector<int64_t> x = firmware_test_vectors(types, rows, 3);
  const std::vector<int64_t> a = emulate_folded(d, x.data(), rows);
  const std::vector<int64_t> b = NetlistEmulator(par).run(x.data(), rows);
  const EmulatorResult r = Emulator(m).run_firmware(x.data(), rows, false);
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, r.raw);
  for (const FoldedConv& f : d.folds) {
    EXPECT_GE(f.cycles(), int64_t(f.positions.size()));
    EXPECT_EQ(f.kernel.inputs.size(), 1u);
    EXPECT_EQ(f.kernel.inputs[0].values.size(), f.taps.size());
  }
}

TEST(Fold, TwoDimensionalGeometriesEqualTheParallelDesign) {
  expect_fold_exact(
      conv_chain({2, 12, 11}, {{{3, 2, 3, 3}, {{"dilations", std::vector<int64_t>{2, 1}}, {"pads", std::vector<int64_t>{2, 1, 2, 1}}}, true},
                               {{3, 3, 4, 3}, {{"auto_pad", std::string("SAME_LOWER")}, {"strides", std::vector<int64_t>{2, 1}}}, false},
                               {{2, 3, 3, 2}, {{"pads", std::vector<int64_t>{1, 0, 2, 1}}, {"strides", std::vector<int64_t>{2, 3}}}, true},
                               {{2, 2, 1, 1}, {}, true}}),
      4);
}

TEST(Fold, OneAndThreeDimensionalConvolutions) {
  expect_fold_exact(conv_chain({3, 12}, {{{4, 3, 3}, {{"pads", std::vector<int64_t>{2, 1}}, {"strides", std::vector<int64_t>{2}}}, true},
                                          {{2, 4, 3}, {{"dilations", std::vector<int64_t>{3}}}, false}}),
                    2);
  expect_fold_exact(conv_chain({2, 4, 5, 4}, {{{2, 2, 2, 3, 2}, {{"pads", std::vector<int64_t>{1, 0, 1, 0, 1, 1}}}, true}}), 1);
}

TEST(Fold, ScheduleThatDoesNotReproduceTheIm2colMapIsRefused) {
  Model m = conv_chain({1, 5, 5}, {{{2, 1, 3, 3}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}, false}});
  for (Node& n : m.graph.nodes)
    if (n.has_attr("frame")) {
      auto f = n.attr_ints("frame", {});
      std::swap(f[7], f[8]);  // two neighbouring pixels of the frame exchanged
      n.attrs["frame"] = f;
    }
  try {
    fold_to_netlists(m, {}, folded_layers(m, 2));
    FAIL() << "a wrong frame schedule was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not reproduce the im2col map"), std::string::npos) << e.what();
  }
}

TEST(Fold, GroupedConvolutionIsRefusedAsACrossing) {
  Model m = conv_chain({4, 5, 5}, {{{4, 2, 3, 3}, {{"group", int64_t(2)}}, false}});
  const auto layers = folded_layers(m, 2);
  ASSERT_EQ(layers.size(), 2u);  // one Dense per group
  try {
    fold_to_netlists(m, {}, layers);
    FAIL() << "a grouped convolution was folded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("across a time-multiplexed convolution"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fold_to_netlists(m, {}, {}).segments.size(), 1u);  // folding nothing: one segment, the parallel design
}

TEST(Fold, OnlyConvolutionsFoldAndReuseOneSelectsNothing) {
  Model m = conv_chain({1, 4, 4}, {{{2, 1, 2, 2}, {}, true}});
  EXPECT_TRUE(folded_layers(m, 1).empty());
  EXPECT_TRUE(folded_layers(m).empty());  // the model's ReuseFactor is 1
  EXPECT_EQ(folded_layers(m, 3).size(), 1u);
}

}  // namespace
}  // namespace nanogate
