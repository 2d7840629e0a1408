// nanogate — lowering a typed layer graph to the operation netlist.
#pragma once

#include "nanogate/model.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Options of lower_to_netlist.
struct LowerOptions {
  int dc = 2;                   ///< CMVM delay constraint: adder depth ≤ minimal balanced depth + dc (-1: none)
  bool strip_final_softmax = true;  ///< a Softmax feeding a graph output is dropped (argmax-preserving); reported
  /// Products of two variables (e.g. a score's squares) as shift-and-add
  /// rows (NetBuilder::mul) instead of one Mul op, so that pipelining can
  /// place registers inside a product wider than one clock period allows.
  bool expand_products = false;
  /// Budget of the CMVM common-subexpression search, in initial two-term
  /// patterns (Σ over columns of C(#CSD digits, 2); its time and memory grow
  /// with it): a larger matrix (e.g. a 784x64 binary layer: 19.7 M) gets
  /// plain CSD balanced adder trees, recorded in Netlist::notes. < 0: no limit.
  int64_t cse_budget = int64_t(1) << 22;
};

/// Lowers Model::graph to a Netlist that computes, bit for bit, what the layer
/// emulator computes at the firmware ports (Emulator::firmware_inputs() → the
/// graph outputs). Dense layers whose products and bias land exactly in a
/// wrapping accumulator become CMVM adder graphs (src/cmvm); other Dense layers
/// keep hls4ml's per-product casts and ordered accumulation. Throws
/// nanogate::Error (file, layer, reason) for a layer with no exact hardware
/// lowering (e.g. a Softmax inside the graph).
///
/// Ports: one input port per firmware input (an InputQuant layer is host-side
/// and not lowered: its output tensor is the port), named "in_<tensor>"; one
/// output port per graph output, named "out_<tensor>" (characters outside
/// [A-Za-z0-9_] become '_'), element values of exactly the tensor's type. A
/// stripped final Softmax (options.strip_final_softmax) is listed in
/// Netlist::stripped and its port carries the Softmax's input tensor.
/// Every value's NetValue::layer names the layer-graph node it implements
/// ("input" / "output" for port values and the casts at the output ports).
/// Constants are folded, identical values shared, dead values removed, and
/// the result passes Netlist::verify().
Netlist lower_to_netlist(const Model& model, const LowerOptions& options = {});

}  // namespace nanogate
