// nanogate — shared state of the netlist lowering (lower.cpp, lower_layers.cpp,
// lower_dense.cpp). Not a public interface.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nanogate/error.hpp"
#include "nanogate/model.hpp"
#include "nanogate/netlist/lower.hpp"
#include "netlist/builder.hpp"

namespace nanogate {

/// The netlist under construction and the value of every element of every
/// lowered tensor. Invariant: each element value of tensor t has exactly t's
/// format (signedness, width, int bits), so a layer can read its input's
/// binary point from the tensor type.
struct LowerContext {
  LowerContext(const Model& m, const LowerOptions& o, Netlist& n) : model(m), g(m.graph), opt(o), b(n) { b.expand_products = o.expand_products; }

  const Model& model;
  const Graph& g;
  const LowerOptions& opt;
  NetBuilder b;
  std::map<std::string, std::vector<int>> tensors;  ///< tensor → element values (row-major)

  /// Element values of input `name` of node n: a lowered activation, or a
  /// constant quantized to the node's weight type (as the layer emulator reads
  /// constant operands). Throws nanogate::Error when neither.
  std::vector<int> operand(const Node& n, const std::string& name);
  /// The node's result type (precision inference set it).
  const Fixed& result(const Node& n) const { return *n.precision.result; }
  [[noreturn]] void fail(const Node& n, const std::string& why) const {
    throw Error(model.source, n.name, n.op, why);
  }
};

/// Lowers a Dense node (lower_dense.cpp): CMVM adder graph when the
/// accumulator is exact and wraps, else per-product casts as hls4ml.
void lower_dense(LowerContext& cx, const Node& n);

/// Lowers a Threshold layer on the element values x (lower_threshold.cpp):
/// per channel (chan[i] of element i), comparators summed, or one exact
/// constant multiply + floor + clamp when cheaper; the same codes as the
/// layer emulator's step table on every input code.
std::vector<int> lower_threshold(LowerContext& cx, const Node& n, const std::vector<int>& x,
                                 const std::vector<int64_t>& chan);

/// Lowers one non-Dense layer op (lower_layers.cpp): Add, Sub, Mul, Relu,
/// LeakyRelu, Cast, Move, ReduceSum, ReduceMax, Threshold, BatchNorm, BipolarQuant,
/// Sigmoid. Throws nanogate::Error for any other op.
void lower_layer(LowerContext& cx, const Node& n);

}  // namespace nanogate
