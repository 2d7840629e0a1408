// nanogate — ONNX / QONNX frontend.
#pragma once

#include <string>

#include "nanogate/graph.hpp"

namespace nanogate {

/// Reads an ONNX or QONNX model file into a Graph of ONNX-level nodes.
///
/// Accepts the default-domain opsets 7..21 (as written by torch.onnx.export,
/// tf2onnx/keras2onnx, Brevitas and QONNX exporters) and the QONNX ops Quant,
/// BipolarQuant and Trunc under the domains qonnx.custom_op.general,
/// finn.custom_op.general and onnx.brevitas. Initializers and Constant nodes
/// become constant tensors (values as double); the first dimension of every
/// graph input is the batch (symbolic, 1, or any fixed number) and is dropped.
///
/// Throws nanogate::Error naming the file (and node) for: a missing or empty
/// file, bytes that are not an ONNX ModelProto (truncated, text, ...), an
/// opset outside 7..21, external tensor data, an unsupported tensor data type,
/// an op outside the supported set (the message lists it), or a graph input
/// with a symbolic non-batch dimension.
Graph load_onnx(const std::string& path);

/// As load_onnx, from the serialized ModelProto bytes; `source` names the
/// model in errors.
Graph load_onnx_bytes(const std::string& bytes, const std::string& source);

/// The standard ONNX ops the frontend accepts (for messages and docs).
const std::vector<std::string>& supported_onnx_ops();

}  // namespace nanogate
