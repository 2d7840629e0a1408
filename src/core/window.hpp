// nanogate — sliding-window geometry of convolutions and pooling (ONNX Conv,
// MaxPool, AveragePool): kernel, strides, dilations, padding (explicit pads or
// auto_pad), ceil_mode, and the input element every kernel tap reads at every
// output position. One definition serves the float reference kernels
// (emulate/float_spatial.cpp) and the lowering to im2col + Dense
// (passes/lower_spatial.cpp), so both agree on every index by construction.
//
// Layout: an activation is channels-first per event, [C, D1, ..., Dn]
// (ONNX's NCHW without the batch); spatial rank n is 1..3.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nanogate/graph.hpp"

namespace nanogate {

/// Geometry of one sliding-window op over per-event input [C, D1..Dn].
struct Window {
  int64_t channels = 0;           ///< C
  Shape in;                       ///< spatial input dims D1..Dn
  Shape kernel;                   ///< kernel dims (taps per spatial dim)
  Shape stride, dilation;         ///< per spatial dim, >= 1
  Shape pad_begin, pad_end;       ///< zero/ignored padding per spatial dim, >= 0
  Shape out;                      ///< spatial output dims

  int rank() const { return int(in.size()); }
  int64_t in_positions() const { return num_elements(in); }
  int64_t positions() const { return num_elements(out); }  ///< output positions
  int64_t taps() const { return num_elements(kernel); }    ///< kernel taps
  /// Flat spatial input index (row-major over D1..Dn) that tap `t` (row-major
  /// over the kernel) reads at output position `p` (row-major over `out`),
  /// or -1 when it falls in the padding (or beyond the input in ceil mode).
  int64_t source(int64_t p, int64_t t) const;
  /// Taps of output position `p` that lie inside the input or the explicit
  /// padding (AveragePool's divisor with count_include_pad, as onnxruntime
  /// counts it: a ceil-mode window is clipped at the end padding).
  int64_t padded_taps(int64_t p) const;
};

/// The window of node `n` (Conv, MaxPool, AveragePool) on per-event input
/// shape `x` = [C, D1..Dn]; `kernel` is the kernel's spatial shape (Conv: from
/// its weight; pools: attribute kernel_shape). Reads strides, dilations, pads,
/// auto_pad (NOTSET, VALID, SAME_UPPER, SAME_LOWER) and, for pools, ceil_mode
/// with the rule of onnxruntime / PyTorch (the last window must start inside
/// the input or the leading padding), as the ONNX operator specification
/// defines them. Throws nanogate::Error (source, node, reason) for a spatial
/// rank outside 1..3, attribute lists of the wrong length, non-positive
/// strides/dilations/kernel dims, negative pads, pads not smaller than the
/// dilated kernel, or an empty output.
Window window_of(const Node& n, const Shape& x, const Shape& kernel, const std::string& source);

}  // namespace nanogate
