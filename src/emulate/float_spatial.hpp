// nanogate — ONNX-level reference kernels of the spatial ops, in double:
// Conv, MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool, Pad, Resize
// and Upsample (nearest), ReduceMax. Semantics are the ONNX operator
// specification's (onnx.ai/onnx/operators) as onnxruntime implements them;
// the window geometry is core/window.hpp. Called by eval_float
// (float_ops.hpp) for constant folding, shape inference and the float emulator.
#pragma once

#include <string>
#include <vector>

#include "emulate/float_ops.hpp"

namespace nanogate {

/// Whether eval_spatial implements op `op`.
bool is_spatial_op(const std::string& op);

/// Evaluates a spatial op (is_spatial_op) on its inputs: per event when the
/// first input is batched (per-event shape [C, D1..Dn]), else over a leading
/// batch dimension [N, C, D1..Dn]. Weights, biases, pads, scales and sizes
/// must be constants. Throws nanogate::Error (source, node, reason) for bad
/// shapes or attributes, unsupported modes (Pad reflect/edge are supported;
/// Resize only mode "nearest"), and MaxPool's Indices output.
std::vector<FArray> eval_spatial(const Node& n, const std::vector<FArg>& in, const std::string& source);

/// A pure data-movement op as an index map on one event: output element i is
/// input element src[i], or `fill` where src[i] == -1.
struct GatherMap {
  Shape out;                 ///< per-event output shape
  std::vector<int64_t> src;  ///< per output element: flat input index, or -1
  double fill = 0;           ///< the value of the -1 elements (Pad's constant)
};

/// The index map of Pad (modes constant, reflect, edge; pads from the input
/// or, before opset 11, the attribute; negative pads crop) or Resize /
/// Upsample with mode nearest (every coordinate_transformation_mode but
/// half_pixel_symmetric, every nearest_mode; scales or sizes) on input shape
/// `x`: per event when `batched` (pads/scales then include the implicit batch
/// dimension, whose entries must be 0 / 1), else the full shape. `in` are the
/// node's inputs (in[0] the activation; its values are not read).
/// Throws nanogate::Error for non-constant parameters, wrong lengths, a
/// padded or scaled batch dimension, an empty output, or an unsupported mode.
GatherMap gather_map(const Node& n, const Shape& x, bool batched, const std::vector<FArg>& in,
                     const std::string& source);

}  // namespace nanogate
