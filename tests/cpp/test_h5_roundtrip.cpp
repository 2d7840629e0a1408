// The isolated Keras reader (src/frontend/keras/h5_isolated.cpp) serializes
// the Model by hand from its forked child: every real Keras model of
// ../shared/models and examples/ must come back from the child identical to
// an in-process read (keras::read_model_in_process), field by field, and
// give the identical layer graph, before and after compilation (every
// tensor, value, type, attribute, precision).
//
// Completeness: keras::Model and keras::Layer compare with defaulted ==
// (every field, also one added later); the Graph comparison below names the
// fields through structured bindings, which must list all of a struct's
// members, so a field added to Tensor, Node, Precision or Graph stops this
// file compiling until it is compared too.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "frontend/keras/keras_builder.hpp"
#include "frontend/keras/keras_file.hpp"
#include "nanogate/frontend/keras.hpp"
#include "nanogate/model.hpp"

using namespace nanogate;
namespace fs = std::filesystem;

namespace {

/// The real Keras files: hls4ml's jet Keras JSON + H5 and its QKeras twin,
/// the toy-car autoencoder (Keras 2 full-model .h5), the HGQ2 .keras models
/// and examples/cicada/*.keras.
std::vector<std::string> real_keras_models() {
  const std::string models = NANOGATE_MODELS_DIR;
  std::vector<std::string> out = {models + "/jet/KERAS_3layer.json", models + "/jet/qkeras_3layer.json",
                                  models + "/toycar_ad/ad01.h5"};
  std::vector<std::string> globbed;
  for (const std::string& dir : {models + "/hgq2/jsc_openml", std::string(NANOGATE_SOURCE_DIR) + "/examples/cicada"})
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".keras") globbed.push_back(e.path().string());
  std::sort(globbed.begin(), globbed.end());
  out.insert(out.end(), globbed.begin(), globbed.end());
  return out;
}

// ---- every field of the layer graph (structured bindings: see the file comment)

auto fields(const Precision& p) {
  const auto& [weight, bias, accum, result, result_auto, accum_auto] = p;
  return std::tie(weight, bias, accum, result, result_auto, accum_auto);
}

auto fields(const Tensor& t) {
  const auto& [name, shape, known_shape, is_const, values, type, code_scale, dequant_scale, dequant_offset] = t;
  return std::tie(name, shape, known_shape, is_const, values, type, code_scale, dequant_scale, dequant_offset);
}

auto fields(const Node& n) {
  const auto& [name, op, domain, inputs, outputs, attrs, precision, reuse_factor, parallelization_factor, strategy,
               exactness, exactness_note] = n;
  return std::pair(std::tie(name, op, domain, inputs, outputs, attrs, reuse_factor, parallelization_factor, strategy,
                            exactness, exactness_note),
      fields(precision));
}

/// "" when the graphs are identical, else what differs first.
std::string graph_difference(const Graph& a, const Graph& b) {
  const auto& [source, inputs, outputs, tensors, nodes, quantized, channels_last] = a;
  if (std::tie(source, inputs, outputs, quantized, channels_last) !=
      std::tie(b.source, b.inputs, b.outputs, b.quantized, b.channels_last))
    return "source, inputs, outputs or flags";
  if (tensors.size() != b.tensors.size()) return "tensor count";
  for (const auto& [name, t] : tensors) {
    auto it = b.tensors.find(name);
    if (it == b.tensors.end() || fields(t) != fields(it->second)) return "tensor '" + name + "'";
  }
  if (nodes.size() != b.nodes.size()) return "node count";
  for (size_t i = 0; i < nodes.size(); ++i)
    if (fields(nodes[i]) != fields(b.nodes[i])) return "node '" + nodes[i].name + "'";
  return "";
}

/// The compiled models' graphs (both compiled with the default Config).
std::string model_difference(const Model& a, const Model& b) {
  const auto& [source, reference, graph, config] = a;
  (void)config;  // the same default Config on both sides
  if (source != b.source) return "source";
  if (std::string d = graph_difference(reference, b.reference); !d.empty()) return "reference graph: " + d;
  if (std::string d = graph_difference(graph, b.graph); !d.empty()) return "typed graph: " + d;
  return "";
}

}  // namespace

TEST(H5Roundtrip, TheChildsModelIsTheInProcessModelForEveryRealKerasFile) {
  const std::vector<std::string> files = real_keras_models();
  ASSERT_GE(files.size(), 9u);  // 3 + the five HGQ2 models + CICADA
  size_t weights = 0, sub_weights = 0, keras3 = 0, functional = 0;
  for (const std::string& path : files) {
    SCOPED_TRACE(path);
    const keras::Model child = keras::read_model(path, "");
    const keras::Model here = keras::read_model_in_process(path, "");
    ASSERT_FALSE(here.layers.empty());
    ASSERT_EQ(child.layers.size(), here.layers.size());
    for (size_t i = 0; i < here.layers.size(); ++i) EXPECT_TRUE(child.layers[i] == here.layers[i]) << here.layers[i].name;
    EXPECT_TRUE(child == here);  // every field of the Model
    for (const auto& l : here.layers) {
      weights += l.weights.size();
      sub_weights += l.sub_weights.size();
    }
    keras3 += here.keras_major == 3;
    functional += !here.inputs.empty();

    // The same layer graph from either Model, and through the public loader.
    const Graph from_here = keras::build_graph(here, path);
    EXPECT_EQ(graph_difference(keras::build_graph(child, path), from_here), "");
    EXPECT_EQ(graph_difference(load_model_file(path, ""), from_here), "");
    EXPECT_EQ(model_difference(compile_model(path), compile_graph(from_here)), "");
  }
  // The fields were exercised: weights, HGQ2's nested quantizer variables,
  // Keras 3 files and Functional graphs are among the models.
  EXPECT_GT(weights, 0u);
  EXPECT_GT(sub_weights, 0u);
  EXPECT_GE(keras3, 6u);
  EXPECT_GT(functional, 0u);
}

TEST(H5Roundtrip, AChangedFieldIsSeenByTheComparison) {
  // The comparison itself can fail: one weight value, one tensor value and
  // one node precision changed are all differences.
  const std::string path = std::string(NANOGATE_MODELS_DIR) + "/jet/KERAS_3layer.json";
  const keras::Model here = keras::read_model_in_process(path, "");
  keras::Model changed = here;
  changed.layers.back().weights.at(0).values.at(0) += 1.0;
  EXPECT_FALSE(changed == here);
  const Graph g = keras::build_graph(here, path);
  Graph h = g;
  for (auto& [name, t] : h.tensors)
    if (t.is_const && !t.values.empty()) {
      t.values[0] += 1.0;
      EXPECT_EQ(graph_difference(h, g), "tensor '" + name + "'");
      break;
    }
  Model m = compile_graph(g), n = m;
  ASSERT_FALSE(n.graph.nodes.empty());
  n.graph.nodes[0].precision.result_auto = !n.graph.nodes[0].precision.result_auto;
  EXPECT_EQ(model_difference(n, m), "typed graph: node '" + m.graph.nodes[0].name + "'");
}
