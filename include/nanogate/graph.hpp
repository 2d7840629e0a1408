// nanogate — the layer graph: the IR between frontends, passes and the emulator.
//
// A Graph is a list of nodes in topological order over named tensors. Frontends
// produce ONNX-like nodes (op names as in ONNX, QONNX ops under their own
// names); passes fold constants, fuse layers and give every tensor an exact
// fixed-point type; the layer emulator executes the typed graph.
//
// Shapes are per event: the leading batch dimension of every activation is
// implicit and never stored (a model input [N,16] has shape {16}). Constants
// (initializers, folded sub-graphs) have no batch dimension.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "nanogate/fixed.hpp"

namespace nanogate {

/// Per-event shape (batch dimension excluded). {} is a scalar.
using Shape = std::vector<int64_t>;

/// Number of elements of a shape (1 for a scalar).
int64_t num_elements(const Shape& s);
/// Most elements a tensor of the model may have (2^24 values per event or
/// per constant); frontends refuse larger shapes.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 24;  // 2^28 let one Pad with a pad of
// 4 million take minutes and a gigabyte (fuzz finding); trigger models are far below either
/// The element count of `s` when every dimension is >= 0 and the product is
/// at most kMaxTensorElements (checked, no overflow), else -1.
int64_t checked_num_elements(const Shape& s);
/// "[64,32]"-style rendering for messages and reports.
std::string shape_str(const Shape& s);

/// Value of the symbolic batch dimension inside folded shape constants
/// (e.g. the output of Shape(x)[0]); Reshape treats it as "the batch".
inline constexpr double kBatchDim = -1e15;

/// A node attribute: int, float, string, or a list of ints or floats.
using Attr = std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;

/// A named tensor. Activations carry a batch dimension at run time;
/// constants hold their values (row-major) in `values`.
struct Tensor {
  std::string name;
  Shape shape;                   ///< per-event shape (constants: full shape)
  bool known_shape = false;      ///< set by shape inference
  bool is_const = false;
  std::vector<double> values;    ///< constant values, row-major (is_const only)
  std::optional<Fixed> type;     ///< exact fixed-point type, set by precision inference / Quant
  /// A constant quantized with a float scale (QONNX Quant/BipolarQuant whose
  /// scale is not one power of two): values[i] = code_i * code_scale[i] with
  /// integer codes of type `type` (row-major, one scale per element; empty
  /// when `type` holds the values themselves). Set by fold_constants.
  std::vector<double> code_scale;
  /// An activation whose model value is not the firmware's fixed-point value
  /// (the output of a Quant with a float scale or a zero point, a Dense on
  /// such codes, a graph output left in codes): model value of element i =
  /// value_i * dequant_scale[i] + dequant_offset[i] (per-event elements,
  /// row-major), applied host-side by the emulator's outputs and traces.
  /// Empty: the value is the model's value. Set by absorb_scales.
  std::vector<double> dequant_scale, dequant_offset;
  int64_t size() const { return num_elements(shape); }
};

/// Per-node precision: types for weights, bias, accumulator and result, as
/// given by the configuration or inferred. Unset means "not given".
struct Precision {
  std::optional<Fixed> weight, bias, accum, result;
  bool result_auto = false;  ///< "auto": exact result by interval analysis
  bool accum_auto = false;   ///< "auto": exact accumulator by interval analysis
};

/// Whether a layer's integer form reproduces the source model
/// (mark_exactness, passes.hpp).
enum class Exactness {
  Exact,       ///< bit-exact with the model's quantized semantics
  FloatModel,  ///< a float model: hls4ml-style configured types, no exact reference
  Table,       ///< a float function (Sigmoid, Softmax) evaluated per input code, rounded to its result type
  Configured,  ///< float constants rounded to types the configuration gives this layer
  Inexact,     ///< float constants rounded to default types: refused unless allowed
};

/// One operation. `op` is the ONNX op type (or a nanogate layer op after
/// fusion: Dense, Threshold, ...). inputs/outputs name tensors; an empty input
/// name is an omitted optional input.
struct Node {
  std::string name;
  std::string op;
  std::string domain;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, Attr> attrs;
  Precision precision;
  int reuse_factor = 1;        ///< kept for the backends
  int parallelization_factor = 1;  ///< output positions per cycle of a time-multiplexed convolution (RTL)
  std::string strategy;        ///< "Latency", "Resource", "DA" (kept for the backends)
  Exactness exactness = Exactness::Exact;  ///< set by mark_exactness
  std::string exactness_note;  ///< why a layer is not Exact (messages, inspect)

  bool has_attr(const std::string& k) const { return attrs.count(k) != 0; }
  /// Integer attribute or `dflt` when absent. Throws nanogate::Error (naming
  /// the node) when present with another kind.
  int64_t attr_int(const std::string& k, int64_t dflt) const;
  double attr_float(const std::string& k, double dflt) const;
  std::string attr_str(const std::string& k, const std::string& dflt) const;
  std::vector<int64_t> attr_ints(const std::string& k, const std::vector<int64_t>& dflt) const;
};

/// The layer graph. `source` is the model file name used in every error.
struct Graph {
  std::string source;
  std::vector<std::string> inputs;   ///< graph input tensors (activations)
  std::vector<std::string> outputs;  ///< graph output tensors
  std::map<std::string, Tensor> tensors;
  std::vector<Node> nodes;           ///< topological order
  bool quantized = false;            ///< the model contains QONNX Quant/BipolarQuant/Trunc nodes
  /// The inputs of rank >= 2 are channels-last, [D1..Dn, C] (Keras' default
  /// layout; set by the Keras frontend). The HLS io_stream backend streams
  /// one token per position with the C channels as lanes.
  bool channels_last = false;

  /// Tensor by name; throws nanogate::Error when missing.
  Tensor& tensor(const std::string& name);
  const Tensor& tensor(const std::string& name) const;
  bool has_tensor(const std::string& name) const { return tensors.count(name) != 0; }
  /// The node producing `tensor`, or nullptr (graph input / initializer).
  const Node* producer(const std::string& tensor) const;
  /// Nodes consuming `tensor`.
  std::vector<const Node*> consumers(const std::string& tensor) const;
  /// Node by name or nullptr.
  Node* find_node(const std::string& name);
  /// Adds a constant tensor (full shape, row-major values) named `name`, or
  /// `name` + "_"... when that name is taken; returns the name used.
  std::string add_constant(const std::string& name, Shape shape, std::vector<double> values);
  /// Adds an activation tensor of per-event shape `shape` (no type yet) named
  /// `name`, or `name` + "_"... when that name is taken; returns the name used.
  std::string add_activation(const std::string& name, Shape shape);
};

}  // namespace nanogate
