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

/// ReduceSum grouping: the terms of output o are input elements
/// map[start[o] .. start[o+1]-1], in input (row-major) order.
struct ReduceGroups {
  std::vector<int64_t> map;
  std::vector<int64_t> start;  ///< outputs + 1 entries
};

/// Groups of ReduceSum node `n` (attribute `axes`, batch excluded) over an
/// input of per-event shape `in_shape`. Throws nanogate::Error (source, node)
/// for a reduction over the batch dimension or without axes.
ReduceGroups reduce_groups(const Node& n, const Shape& in_shape, const std::string& source);

/// Channel (first per-event dimension) of every element of a tensor of shape
/// `shape` with `channels` channels (BatchNorm, Threshold). Throws
/// nanogate::Error (source, node) when shape[0] != channels.
std::vector<int64_t> channel_map(const Node& n, const Shape& shape, int64_t channels, const std::string& source);

/// The Threshold layer's exact step function: output code of element x of
/// channel c is base + #{t in thr[c] : dir[c] > 0 ? x >= t : x <= t}, which
/// equals quantize(value(x) * scale[c] + offset[c], ty) for every raw code x of
/// tx (the function is monotonic in x). Thresholds never reached are
/// tx.max_raw() + 1 (increasing) or tx.min_raw() - 1 (decreasing).
struct ThresholdTable {
  int64_t base = 0;                         ///< ty.min_raw()
  std::vector<int> dir;                     ///< per channel: +1 increasing, -1 decreasing
  std::vector<std::vector<int64_t>> thr;    ///< per channel: one input raw code per output level above base
};

/// Computes the thresholds by binary search over tx's raw codes.
ThresholdTable compute_thresholds(const Fixed& tx, const Fixed& ty, const std::vector<double>& scale,
                                  const std::vector<double>& offset);

}  // namespace nanogate
