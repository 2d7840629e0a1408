// nanogate — a compiled model: the pipeline from a model file to the typed
// layer graph the emulator and the backends consume.
#pragma once

#include <string>

#include "nanogate/config.hpp"
#include "nanogate/graph.hpp"

namespace nanogate {

/// A model after the frontend and all passes.
struct Model {
  std::string source;  ///< the model file
  Graph reference;     ///< ONNX-level graph after constant folding (float semantics)
  Graph graph;         ///< typed layer graph (every tensor has an exact type)
  Config config;
};

/// Runs the pipeline: load_model_file (ONNX/QONNX or Keras, by content) →
/// fold_constants → fold_input_preprocessing → lower_layers →
/// infer_precision(cfg). `weights` is the weights HDF5 of a Keras JSON
/// architecture ("" = the configuration's KerasH5, else `<stem>_weights.h5`
/// beside it). Throws nanogate::Error
/// naming the file, node and reason for anything it cannot compile.
Model compile_model(const std::string& model_path, const Config& cfg = Config{}, const std::string& weights = "");

/// As above on an already loaded ONNX-level graph.
Model compile_graph(Graph g, const Config& cfg = Config{});

}  // namespace nanogate
