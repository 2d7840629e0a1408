// nanogate — index maps and tables compiled from layer-graph nodes, shared by
// the layer emulator (src/emulate/layer_emulator.cpp) and the netlist lowering
// (src/netlist/) so that both read a layer the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nanogate/graph.hpp"

namespace nanogate {

/// Numpy-style broadcast: for each element of `out_shape` (row-major), the
/// index of the element of an operand of shape `in_shape` it reads.
std::vector<int64_t> broadcast_map(const Shape& in_shape, const Shape& out_shape);

/// Broadcast map of an elementwise operand tensor onto `out_shape`; a constant
/// with one more dimension than the output has a leading batch 1, dropped.
std::vector<int64_t> operand_map(const Tensor& t, const Shape& out_shape);

/// ReduceSum / ReduceMax grouping: the terms of output o are input elements
/// map[start[o] .. start[o+1]-1], in input (row-major) order.
struct ReduceGroups {
  std::vector<int64_t> map;
  std::vector<int64_t> start;  ///< outputs + 1 entries
};

/// Groups of ReduceSum / ReduceMax node `n` (attribute `axes`, batch excluded) over an
/// input of per-event shape `in_shape`. Throws nanogate::Error (source, node)
/// for a reduction over the batch dimension or without axes.
ReduceGroups reduce_groups(const Node& n, const Shape& in_shape, const std::string& source);

/// Channel (first per-event dimension) of every element of a tensor of shape
/// `shape` with `channels` channels (BatchNorm, Threshold). Throws
/// nanogate::Error (source, node) when shape[0] != channels.
std::vector<int64_t> channel_map(const Node& n, const Shape& shape, int64_t channels, const std::string& source);

/// The Threshold layer (FINN's MultiThreshold, made exact): node inputs
/// {x, scale, offset} with per-channel constants (one per channel or one per
/// element), attributes `mode` (a QONNX rounding_mode, or "SIGN"), `lo`, `hi`,
/// `zero`. For v = value(x) * scale[c] + offset[c] in real arithmetic
/// (evaluated in long double: 64-bit significands, exact for power-of-two
/// constants), the quantizer code is clamp(round_mode(v), lo, hi) ("SIGN":
/// v >= 0 ? hi : lo) and the output raw code is code - zero. As a step
/// function: raw = base + step * #{t in thr[c] : dir[c] > 0 ? x >= t : x <= t}
/// over the input raw codes x; thresholds never reached are tx.max_raw() + 1
/// (increasing) or tx.min_raw() - 1 (decreasing).
struct ThresholdTable {
  int64_t base = 0;                         ///< lo - zero
  int64_t step = 1;                         ///< output codes per threshold (2 for SIGN: -1 → +1)
  std::vector<int> dir;                     ///< per channel: +1 increasing, -1 decreasing
  std::vector<std::vector<int64_t>> thr;    ///< per channel: one input raw code per output level above base
};

/// The thresholds of Threshold node `n` on an input of type `tx`, by binary
/// search over tx's raw codes (the function is monotonic in x). Throws
/// nanogate::Error (source, node) for malformed attributes or parameters.
ThresholdTable compute_thresholds(const Graph& g, const Node& n, const Fixed& tx);

/// The per-channel scale and offset constants of Threshold node `n`.
void threshold_affine(const Graph& g, const Node& n, std::vector<double>& scale, std::vector<double>& offset);

}  // namespace nanogate
