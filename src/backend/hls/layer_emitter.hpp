// nanogate HLS backend — per-layer emitters.
//
// Each emitter turns one typed-graph node into one C++ function: it declares
// the layer's types (typedefs into defines.h), its constants (into the
// layer's weights header) and the function body, statement by statement,
// from the node's types and constants. The semantics are the layer
// emulator's (emulate/emulator.hpp), bit for bit.
#pragma once

#include <string>
#include <vector>

#include "backend/hls/cpp_writer.hpp"
#include "nanogate/graph.hpp"

namespace nanogate::hls {

/// One array argument of a layer function.
struct ArrayArg {
  std::string tensor;  ///< graph tensor name
  std::string var;     ///< C++ parameter name
  std::string ctype;   ///< C++ element type (a typedef)
  Fixed type;
  Shape shape;         ///< per-event shape
  int64_t size = 0;
};

/// Everything an emitter needs for one layer.
struct LayerCtx {
  const Graph& graph;
  const Node& node;
  std::string source;           ///< model file, for errors
  std::string id;               ///< C identifier of the layer (prefix of its names)
  std::string strategy;         ///< Latency | Resource | DA (effective)
  int reuse = 1;                ///< effective ReuseFactor
  int da_dc = 2;                ///< DA delay constraint
  std::vector<ArrayArg> inputs;  ///< activation inputs (constants are not arguments)
  ArrayArg output;
  CppWriter& defines;           ///< typedefs (defines.h)
  CppWriter& weights;           ///< constants (weights/<id>.h)
  CppWriter& body;              ///< the function body (already opened)
  std::vector<std::string>& notes;  ///< deliberate deviations, one line each
  int ii = 1;                   ///< set by the emitter: the layer's initiation interval

  /// Declares `typedef <ap type of t> <id>_<role>_t;` and returns the name.
  std::string typedef_for(const std::string& role, const Fixed& t);
  /// Writes a constant table into the weights header as raw codes (compact
  /// and fast to compile) plus an accessor `T name(int k)` returning entry k
  /// as ctype (type t); returns the accessor's name. `what` is its comment.
  std::string table(const std::string& name, const std::string& ctype, const Fixed& t,
                    const std::vector<int64_t>& codes, const std::string& what);
  /// Throws nanogate::Error naming the model file, this layer and the reason.
  [[noreturn]] void fail(const std::string& why) const;
};

/// Dense: Latency, Resource or DA (emit_dense.cpp).
void emit_dense(LayerCtx& c);
/// Relu, LeakyRelu, Cast, BipolarQuant, Add, Sub, Mul, BatchNorm, Threshold,
/// Sigmoid, Softmax (emit_elementwise.cpp).
void emit_elementwise(LayerCtx& c);
/// Move (reshape/transpose/gather/concat/im2col/padding), ReduceSum and ReduceMax (emit_data.cpp).
void emit_data(LayerCtx& c);

/// Dispatches on the node's op; throws (via c.fail) for an op without an emitter.
void emit_layer(LayerCtx& c);

/// The ops emit_layer handles.
const std::vector<std::string>& hls_supported_ops();

}  // namespace nanogate::hls
