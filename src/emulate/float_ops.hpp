// nanogate — ONNX-level reference kernels in double precision.
//
// One evaluator of every ONNX-level op, used for constant folding (all inputs
// constant, no batch dimension), for shape inference (activations evaluated on
// zeros), and by the float emulator (one event at a time). Semantics are those
// of the ONNX operator specification (onnx.ai/onnx/operators) and, for Quant,
// BipolarQuant and Trunc, qonnx.custom_op.general (quant.py, bipolar_quant.py,
// trunc.py), computed in double.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "nanogate/graph.hpp"

namespace nanogate {

/// A dense row-major array of doubles.
struct FArray {
  Shape shape;
  std::vector<double> v;
};

/// One input of a kernel call. `batched` arrays are per-event (their leading
/// batch dimension is implicit); attribute axes then count the batch as 0.
struct FArg {
  const FArray* a = nullptr;  ///< nullptr for an omitted optional input
  bool batched = false;
};

/// The node a float kernel evaluates, for its error messages.
struct FloatCtx {
  const Node& n;
  const std::string& src;  ///< the model file
  /// Throws nanogate::Error (src, node, op, why).
  [[noreturn]] void fail(const std::string& why) const;
};

/// Evaluates node `n` on its inputs and returns its outputs (per event when
/// any input is batched). Throws nanogate::Error (source file, node, reason)
/// for shapes or attributes the op does not accept, an op applied across the
/// batch dimension, or an op not implemented.
std::vector<FArray> eval_float(const Node& n, const std::vector<FArg>& in, const std::string& source);

/// Whether eval_qonnx implements op (Quant, BipolarQuant, Trunc, FixedQuant).
bool is_qonnx_op(const std::string& op);
/// The quantizers (float_qonnx.cpp), as eval_float; throws nanogate::Error
/// for non-constant or invalid parameters and unknown rounding modes.
std::vector<FArray> eval_qonnx(const Node& n, const std::vector<FArg>& in, const std::string& source);

/// The values of a constant input that must be integers (shapes, axes, pads,
/// sizes), as int64_t. kBatchDim (a folded Shape's batch) passes through when
/// `allow_batch`. Throws nanogate::Error (via c.fail, naming `what`) for a
/// value that is not finite, not an integer, or beyond ±2^30 — never a cast
/// of an out-of-range double.
std::vector<int64_t> int_values(const FloatCtx& c, const FArray& a, const std::string& what, bool allow_batch = false);

/// Elementwise f(x, y) with ONNX (numpy) broadcasting; a constant operand of a
/// batched op broadcasts over the batch (its leading 1 dropped). Throws
/// nanogate::Error when the shapes do not broadcast.
FArray broadcast_binary(const FloatCtx& c, const FArg& x, const FArg& y, const std::function<double(double, double)>& f);
/// Elementwise f(x).
FArray unary(const FArray& a, const std::function<double(double)>& f);

/// BatchNormalization (inputs x, gamma, beta, mean, var; epsilon) as a
/// per-channel affine y = x * scale[c] + offset[c], computed in double.
/// Throws nanogate::Error when the parameters are not constants.
void batchnorm_affine(const Graph& g, const Node& n, std::vector<double>& scale, std::vector<double>& offset);

/// qonnx integer bounds of a Quant: [min_int, max_int] for `bits` bits.
void quant_int_range(bool is_signed, bool narrow, double bits, double& lo, double& hi);

/// qonnx rounding function by name (ROUND/HALF_EVEN, CEIL, FLOOR, UP, DOWN,
/// ROUND_TO_ZERO, HALF_UP, HALF_DOWN); throws std::invalid_argument otherwise.
double qonnx_round(const std::string& mode, double x);
/// qonnx_round in long double (the Threshold layer's exact quantizer).
long double qonnx_round_l(const std::string& mode, long double x);

}  // namespace nanogate
