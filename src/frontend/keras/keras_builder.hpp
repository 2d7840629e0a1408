// nanogate — translating Keras layers into ONNX-level layer-graph nodes.
// Private to the frontend. Keras tensors are channels-last; Dense acts on the
// last axis as ONNX MatMul does, so no layout change is needed for the layers
// read today (convolutions convert their layout themselves, keras_conv.cpp). Every layer's final output tensor is named after the layer
// (a layer called more than once: "<layer>:<call>"), so `--tensor fc1` and
// the configuration's LayerName use Keras names, as in hls4ml.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "frontend/keras/keras_file.hpp"
#include "nanogate/graph.hpp"

namespace nanogate::keras {

/// Appends nodes and constants to the graph being built.
struct Builder {
  Graph& g;
  const Model& model;

  [[noreturn]] void fail(const Layer& l, const std::string& why) const;
  /// A constant tensor; the name is made unique.
  std::string constant(const std::string& name, Shape shape, std::vector<double> values);
  /// A node with one output tensor named `out` (made unique) of per-event
  /// shape `shape` (the frontend's own shape tracking, for the layers'
  /// checks; fold_constants infers and checks it again). Node names are made
  /// unique too. Returns the output tensor's name.
  std::string node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                   std::map<std::string, Attr> attrs, const std::string& out, Shape shape);
  /// A QONNX Quant node (domain qonnx.custom_op.general): scale, zero point 0,
  /// bit width; marks the graph quantized.
  std::string quant(const std::string& name, const std::string& x, double scale, int bits, bool is_signed, bool narrow,
                    const std::string& out, const std::string& rounding = "ROUND");
  /// Per-event shape of a tensor built so far.
  const Shape& shape(const std::string& t) const { return g.tensor(t).shape; }

  /// The layer's i-th variable with the expected shape; fails naming the
  /// layer when it is missing or has another shape. `what` names it ("kernel").
  const h5::Dataset& weight(const Layer& l, size_t i, const std::string& what, const Shape& expect) const;
  /// Keras activation name → a node `node_name` applied to x ("linear" is
  /// the identity); the result is named `out`. Fails for activations the
  /// graph has no op for.
  std::string activation(const Layer& l, const std::string& act, const std::string& x, const std::string& out,
                         const std::string& node_name);
};

/// MatMul with `kernel` (+ Add of `bias` unless "") on the last axis of x,
/// the result named `out` (keras_layers.cpp; shared by Dense, QDense and the
/// HGQ2 dense layers, whose quantizers prepare the constants first).
std::string dense_core(Builder& b, const Layer& l, const std::string& x, const std::string& kernel,
                       const std::string& bias, const std::string& out);
/// Kernel [in, units] and bias [units] constants of a Dense-like layer
/// (variables 0 and 1; bias "" when use_bias is false).
std::pair<std::string, std::string> dense_weights(Builder& b, const Layer& l, const std::string& x);

/// Transpose of a per-event channels_last tensor [D.., C] to channels-first
/// [C, D..] (to_first) or back, named `name`, into tensor `out` (keras_conv.cpp).
std::string relayout(Builder& b, const std::string& name, const std::string& x, bool to_first, const std::string& out);

/// A convolution on x with a Keras-layout kernel constant [k.., C_in/groups,
/// C_out] (depthwise: [k.., C, multiplier]) and optional bias: the layer's
/// strides, dilation_rate, padding, groups and data_format; channels_last
/// inputs are transposed to channels-first and the result back
/// (keras_conv.cpp; shared by Conv*, QKeras QConv* and SeparableConv's parts).
std::string conv_core(Builder& b, const Layer& l, const std::string& x, const std::string& kernel, const std::string& bias,
                      bool depthwise, const std::string& out);

/// How a quantized convolution layer (QKeras QConv*) prepares its constants
/// and applies its activation (conv_layer).
struct ConvHooks {
  /// The constant after its quantizer; role: kernel, depthwise_kernel, pointwise_kernel, bias.
  std::function<std::string(const std::string& role, const std::string& constant)> quantize;
  /// Whether the layer has no activation.
  std::function<bool()> linear;
  /// The layer's activation on y, the result named `out`.
  std::function<std::string(const std::string& y, const std::string& out)> activation;
};

/// A Conv1D/2D/3D, DepthwiseConv1D/2D or SeparableConv1D/2D layer call (its
/// variables read, then conv_core and the activation); `hooks` (may be null)
/// quantize the constants and apply the activation (keras_conv.cpp).
std::vector<std::string> conv_layer(Builder& b, const Layer& l, const std::vector<std::string>& in,
                                    const std::string& out, const ConvHooks* hooks);

/// A pooling layer call by its class name (Max/Average/GlobalMax/GlobalAverage
/// Pooling 1D/2D/3D, also with a prefix such as HGQ2's "Q"; keras_conv.cpp).
std::vector<std::string> pool_layer(Builder& b, const Layer& l, const std::vector<std::string>& in, const std::string& out);

/// Translates one call of a layer: its input tensors → its output tensors.
/// `out` is the name to give the (first) output tensor.
using LayerFn = std::vector<std::string> (*)(Builder&, const Layer&, const std::vector<std::string>& inputs,
                                             const std::string& out);

/// Keras core layers (keras_layers.cpp): InputLayer is handled by the graph
/// walk; Dense, Activation, ReLU, LeakyReLU, Softmax, BatchNormalization,
/// Dropout, Flatten, Reshape, Permute, Add, Subtract, Multiply, Average,
/// Concatenate.
const std::map<std::string, LayerFn>& core_layers();
/// Convolution, pooling, padding and resizing layers (keras_conv.cpp):
/// Conv1D/2D/3D, DepthwiseConv1D/2D, SeparableConv1D/2D, Max/AveragePooling,
/// GlobalMax/GlobalAveragePooling, ZeroPadding, Cropping, UpSampling.
const std::map<std::string, LayerFn>& conv_layers();
/// QKeras layers (qkeras.cpp): QDense, QActivation, QConv1D, QConv2D,
/// QDepthwiseConv2D, QSeparableConv1D/2D.
const std::map<std::string, LayerFn>& qkeras_layers();
/// HGQ2 layers (hgq2.cpp; module hgq.*): QDense, QConv1D, QConv2D, the pooling layers, QEinsumDense,
/// QEinsumDenseBatchnorm (dense equations).
const std::map<std::string, LayerFn>& hgq2_layers();

/// The layer graph of a Keras model read by read_model (keras_graph.cpp):
/// Sequential or Functional, every layer translated; `path` becomes the
/// graph's source. Throws nanogate::Error naming `path` (and the layer) for
/// unsupported layers, bad wiring, a model without outputs. load_keras is
/// build_graph(read_model(path, weights), path).
Graph build_graph(const Model& m, const std::string& path);

/// Keras' `axis` of a per-event tensor of rank r (batch included in Keras'
/// numbering: axis 1 is the first per-event axis; negative counts from the
/// end) → ONNX axis with the batch (same numbering), validated.
int64_t keras_axis(const Builder& b, const Layer& l, int64_t axis, size_t event_rank);

}  // namespace nanogate::keras
