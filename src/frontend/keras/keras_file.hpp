// nanogate — a Keras model file read into its architecture and weights,
// before any translation to the layer graph. Private to the frontend.
//
// Three containers hold the same thing (the Keras saving formats):
//   * Keras 3 `.keras`: a zip of config.json, model.weights.h5 (variables
//     under layers/<path>/vars/<index>, the vars group's `name` attribute is
//     the layer's name) and metadata.json;
//   * Keras 2 full-model HDF5: the `model_config` attribute (JSON) and the
//     `model_weights/<layer>` groups whose `weight_names` list the datasets;
//   * a Keras JSON architecture file with a weights HDF5 (the same groups at
//     the root), the hls4ml example-models convention.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "io/hdf5_file.hpp"

namespace nanogate::keras {

/// A reference to a tensor produced by a layer call: the layer, which call of
/// it (node index) and which of its outputs (tensor index).
struct TensorRef {
  std::string layer;
  int node = 0;
  int tensor = 0;
  bool operator==(const TensorRef&) const = default;
};

/// One layer of the architecture with its weights, in the file's order
/// (kernel, bias, ... as the layer created them).
struct Layer {
  std::string name;
  std::string class_name;          ///< "Dense", "QDense", "QEinsumDenseBatchnorm", ...
  std::string module;              ///< Keras 3 `module` ("keras.layers", "hgq.layers...") or ""
  nlohmann::json config;           ///< the layer's `config` object
  std::vector<std::vector<TensorRef>> calls;  ///< inputs of each call (Functional); empty: Sequential
  std::vector<h5::Dataset> weights;           ///< the layer's variables, in order
  std::vector<std::string> weight_names;      ///< their names ("kernel:0", "vars/0", ...)
  /// Sub-objects' variables (Keras 3 nested quantizers: "iq", "kq", "bq"),
  /// by the sub-path under the layer: "kq/quantizer" → its vars in order.
  std::vector<std::pair<std::string, std::vector<h5::Dataset>>> sub_weights;
  /// Every field (defaulted: a field added later is compared too; the
  /// isolated reader's round-trip test relies on it).
  bool operator==(const Layer&) const = default;
};

/// A whole model: layers in topological order (as Keras lists them).
struct Model {
  std::string source;               ///< the file named in every error
  std::string class_name;           ///< "Sequential", "Functional", "Model"
  int keras_major = 2;              ///< 2 or 3 (from the format / version attributes)
  std::vector<Layer> layers;
  std::vector<TensorRef> inputs, outputs;  ///< Functional graphs only
  std::vector<int64_t> sequential_input_shape;  ///< Sequential: batch_input_shape without the batch
  /// Every field, as Layer's.
  bool operator==(const Model&) const = default;
};

/// Reads a Keras file. `weights` is the weights HDF5 for a JSON architecture
/// file ("" = `<stem>_weights.h5` beside it; ignored for the other kinds).
/// Throws nanogate::Error naming the file (and the layer) for: unreadable
/// containers, a zip without config.json or model.weights.h5, invalid JSON,
/// a missing weights file, a layer whose weights are missing from it.
/// Runs read_model_in_process in a forked child with a wall-clock/CPU limit
/// (NANOGATE_H5_TIMEOUT s, default 10) and an address-space limit
/// (NANOGATE_H5_MEMORY_MB, default 2048) (h5_isolated.cpp): a child that
/// dies, hangs or runs out of memory (libhdf5 on a corrupt file) becomes
/// Error(path, "HDF5 reader failed: <why> (corrupt or hostile file?)").
Model read_model(const std::string& path, const std::string& weights);

/// read_model in the calling process, without limits (libhdf5 runs here).
/// Only h5_isolated.cpp's child calls it, and the round-trip test
/// (tests/cpp/test_h5_roundtrip.cpp: child read == in-process read).
Model read_model_in_process(const std::string& path, const std::string& weights);

/// True when the first bytes look like a Keras JSON architecture (an object
/// with "class_name" and "config").
bool looks_like_keras_json(const std::string& head);

}  // namespace nanogate::keras
