// nanogate — Keras frontend: Keras 2 and 3 model files (and QKeras layers)
// → Graph of ONNX-level nodes, read natively (libhdf5, libzip, nlohmann-json;
// no TensorFlow, no Python).
#pragma once

#include <string>

#include "nanogate/graph.hpp"

namespace nanogate {

/// Reads a Keras model into a Graph: a Keras 3 `.keras` zip, a Keras 2
/// full-model HDF5 (`model.save("m.h5")`), or a Keras JSON architecture with
/// a weights HDF5 (`weights`; "" = `<stem>_weights.h5` beside the JSON, the
/// hls4ml example-models convention). The kind is detected from the content.
///
/// Sequential and Functional models (several inputs and outputs, merges,
/// layers called more than once). Layers: InputLayer, Dense, Activation
/// (linear, relu, sigmoid, softmax), ReLU (without max_value/threshold;
/// negative_slope → LeakyRelu), LeakyReLU, Softmax (last axis),
/// BatchNormalization (last axis of a vector), Dropout and the other
/// inference-time identities, Flatten, Reshape, Permute, Add, Subtract,
/// Multiply, Average, Concatenate; QKeras QDense and QActivation with
/// quantized_bits (alpha 1 or None) and quantized_relu, which become QONNX
/// Quant nodes (exact fixed-point types); HGQ2 QDense, QEinsumDense and
/// QEinsumDenseBatchnorm (dense equations) with per-element KIF/KBI
/// quantizers: weights quantized in float32 as HGQ2 does, the input
/// quantizer as FixedQuant casts per distinct element type (hgq2.cpp). Each
/// layer's output tensor is named after the layer; the Keras layer name is
/// the node name.
///
/// Throws nanogate::Error naming the file, the layer and its class for an
/// unsupported layer or option, and naming the file for unreadable
/// containers (truncated HDF5, a zip without config.json), a missing weights
/// file, or weights that do not match the architecture.
Graph load_keras(const std::string& path, const std::string& weights = "");

/// The model file kinds nanogate reads, detected from the first bytes.
enum class ModelKind { Onnx, KerasZip, KerasHdf5, KerasJson };

/// Detects the kind of a model file from its content (zip, HDF5 and JSON
/// signatures; anything else is taken as ONNX). Throws nanogate::Error when
/// the file cannot be opened.
ModelKind detect_model_kind(const std::string& path);

/// Reads any model file: ONNX/QONNX (load_onnx) or Keras (load_keras).
/// `weights` applies to a Keras JSON architecture only; given with another
/// kind it is an error.
Graph load_model_file(const std::string& path, const std::string& weights = "");

}  // namespace nanogate
