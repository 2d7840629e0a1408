// nanogate — a Keras model's layer calls → the layer graph (keras.hpp).
#include <fstream>
#include <map>

#include "frontend/keras/keras_builder.hpp"
#include "io/hdf5_file.hpp"
#include "io/zip_archive.hpp"
#include "nanogate/error.hpp"
#include "nanogate/frontend/keras.hpp"
#include "nanogate/frontend/onnx.hpp"

namespace nanogate {

namespace keras {
namespace {

using json = nlohmann::json;

/// The layer's translation: HGQ2 and QKeras share class names (QDense), so
/// a layer from an `hgq` module is looked up among HGQ2's layers only.
LayerFn find_layer_fn(const Layer& l) {
  if (l.module.starts_with("hgq")) {
    auto it = hgq2_layers().find(l.class_name);
    return it == hgq2_layers().end() ? nullptr : it->second;
  }
  for (auto* table : {&core_layers(), &conv_layers(), &qkeras_layers()})
    if (auto it = table->find(l.class_name); it != table->end()) return it->second;
  return nullptr;
}

std::string supported_list() {
  std::string s = "InputLayer";
  for (auto* table : {&core_layers(), &conv_layers(), &qkeras_layers()})
    for (auto& [k, _] : *table) s += ", " + k;
  s += "; HGQ2:";
  for (auto& [k, _] : hgq2_layers()) s += " " + k;
  return s;
}

/// Per-event shape from batch_input_shape (Keras 2) / batch_shape (Keras 3).
Shape input_shape(const Builder& b, const Layer& l) {
  const json* s = nullptr;
  for (const char* key : {"batch_shape", "batch_input_shape"})
    if (l.config.contains(key) && l.config[key].is_array()) s = &l.config[key];
  if (!s || s->empty()) b.fail(l, "input layer without batch_input_shape / batch_shape");
  Shape sh;
  for (size_t i = 1; i < s->size(); ++i) {
    const json& d = (*s)[i];
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > (int64_t(1) << 24))
      b.fail(l, "input dimension " + std::to_string(i) + " is " + d.dump() +
                    " (every dimension but the batch must be a positive number)");
    sh.push_back(d.get<int64_t>());
  }
  if (num_elements(sh) > (int64_t(1) << 24)) b.fail(l, "input has more than 2^24 values per event");
  return sh;
}

std::string add_input(Builder& b, const Layer& l, const std::string& name) {
  Tensor t;
  t.name = name;
  t.shape = input_shape(b, l);
  t.known_shape = true;
  if (b.g.has_tensor(name)) b.fail(l, "duplicate input name");
  b.g.tensors[name] = t;
  b.g.inputs.push_back(name);
  b.g.channels_last = true;  // Keras' data_format default; its layers' own channels_first is relaid per layer
  return name;
}

std::vector<std::string> call(Builder& b, const Layer& l, const std::vector<std::string>& ins, const std::string& out) {
  LayerFn fn = find_layer_fn(l);
  if (!fn)
    b.fail(l, "Keras layer class '" + l.class_name + "'" + (l.module.empty() ? "" : " (" + l.module + ")") +
                  " is not supported (supported: " + supported_list() + ")");
  return fn(b, l, ins, out);
}

void build_sequential(Builder& b) {
  const Model& m = b.model;
  std::string cur;
  size_t first = 0;
  if (m.layers[0].class_name == "InputLayer") {
    cur = add_input(b, m.layers[0], m.layers[0].name);
    first = 1;
  } else {
    cur = add_input(b, m.layers[0], m.layers[0].name + "_input");
  }
  for (size_t i = first; i < m.layers.size(); ++i) {
    const Layer& l = m.layers[i];
    if (l.class_name == "InputLayer") b.fail(l, "InputLayer in the middle of a Sequential model");
    auto outs = call(b, l, {cur}, l.name);
    cur = outs.at(0);
  }
  b.g.outputs = {cur};
}

void build_functional(Builder& b) {
  const Model& m = b.model;
  std::map<std::string, std::vector<std::vector<std::string>>> produced;  // layer → per call → outputs
  auto resolve = [&](const TensorRef& r, const Layer* user) -> std::string {
    auto it = produced.find(r.layer);
    if (it == produced.end() || r.node < 0 || size_t(r.node) >= it->second.size() || r.tensor < 0 ||
        size_t(r.tensor) >= it->second[size_t(r.node)].size()) {
      std::string why = "input " + r.layer + "[" + std::to_string(r.node) + "][" + std::to_string(r.tensor) +
                        "] is not produced by an earlier layer";
      if (user) b.fail(*user, why);
      throw Error(m.source, why);
    }
    return it->second[size_t(r.node)][size_t(r.tensor)];
  };
  for (const Layer& l : m.layers) {
    if (produced.count(l.name)) b.fail(l, "duplicate layer name");
    auto& calls = produced[l.name];
    if (l.class_name == "InputLayer") {
      calls.push_back({add_input(b, l, l.name)});
      continue;
    }
    if (l.calls.empty()) continue;  // a layer never called does not contribute
    for (size_t c = 0; c < l.calls.size(); ++c) {
      std::vector<std::string> ins;
      for (auto& r : l.calls[c]) ins.push_back(resolve(r, &l));
      if (ins.empty()) b.fail(l, "a layer call without inputs");
      std::string out = l.calls.size() == 1 ? l.name : l.name + ":" + std::to_string(c);
      calls.push_back(call(b, l, ins, out));
    }
  }
  for (auto& r : m.outputs) b.g.outputs.push_back(resolve(r, nullptr));
  // Inputs in the model's declared order, then any other InputLayer.
  std::vector<std::string> ordered;
  for (auto& r : m.inputs) {
    std::string t = resolve(r, nullptr);
    if (std::find(b.g.inputs.begin(), b.g.inputs.end(), t) == b.g.inputs.end())
      throw Error(m.source, "model input '" + r.layer + "' is not an InputLayer");
    ordered.push_back(t);
  }
  for (auto& t : b.g.inputs)
    if (std::find(ordered.begin(), ordered.end(), t) == ordered.end()) ordered.push_back(t);
  b.g.inputs = ordered;
}

}  // namespace

Graph build_graph(const Model& m, const std::string& path) {
  Graph g;
  g.source = path;
  Builder b{g, m};
  if (m.class_name == "Sequential") build_sequential(b);
  else build_functional(b);
  if (g.outputs.empty()) throw Error(path, "the Keras model has no outputs");
  return g;
}

}  // namespace keras

Graph load_keras(const std::string& path, const std::string& weights) {
  return keras::build_graph(keras::read_model(path, weights), path);
}

ModelKind detect_model_kind(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, "cannot open file");
  std::string head(4096, '\0');
  f.read(head.data(), std::streamsize(head.size()));
  head.resize(size_t(f.gcount()));
  if (zip::has_zip_signature(head)) return ModelKind::KerasZip;
  if (h5::has_hdf5_signature(head)) return ModelKind::KerasHdf5;
  if (keras::looks_like_keras_json(head)) return ModelKind::KerasJson;
  return ModelKind::Onnx;
}

Graph load_model_file(const std::string& path, const std::string& weights) {
  ModelKind k = detect_model_kind(path);
  if (k == ModelKind::Onnx) {
    if (!weights.empty()) throw Error(path, "--weights applies to a Keras JSON architecture, not to an ONNX model");
    return load_onnx(path);
  }
  if (!weights.empty() && k != ModelKind::KerasJson)
    throw Error(path, "--weights applies to a Keras JSON architecture; this file holds its own weights");
  return naming_file(path, [&] { return load_keras(path, weights); });
}

}  // namespace nanogate
