// nanogate — lowering a typed layer graph to the operation netlist.
#pragma once

#include "nanogate/model.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Options of lower_to_netlist.
struct LowerOptions {
  int dc = 2;                   ///< CMVM delay constraint: adder depth ≤ minimal balanced depth + dc (-1: none)
  bool strip_final_softmax = true;  ///< a Softmax feeding a graph output is dropped (argmax-preserving); reported
};

/// Lowers Model::graph to a Netlist that computes, bit for bit, what the layer
/// emulator computes at the firmware ports (Emulator::firmware_inputs() → the
/// graph outputs). Dense layers whose products and bias land exactly in a
/// wrapping accumulator become CMVM adder graphs (src/cmvm); other Dense layers
/// keep hls4ml's per-product casts and ordered accumulation. Throws
/// nanogate::Error (file, layer, reason) for a layer with no exact hardware
/// lowering (e.g. a Softmax inside the graph).
Netlist lower_to_netlist(const Model& model, const LowerOptions& options = {});

}  // namespace nanogate
