// nanogate — graph passes, in pipeline order. Each pass does one thing and
// lives in its own file under src/passes/.
#pragma once

#include "nanogate/config.hpp"
#include "nanogate/graph.hpp"

namespace nanogate {

/// Shape inference and constant folding (src/passes/fold_constants.cpp).
/// Walks the nodes in order: a node whose inputs are all constant is
/// evaluated (double precision, ONNX semantics) and removed, its outputs
/// becoming constants; Shape of an activation folds to its per-event shape
/// with the symbolic batch (kBatchDim) in front, so whole shape sub-graphs
/// (Shape → Gather → Unsqueeze → Concat → Reshape) disappear. A Quant on a
/// constant with a power-of-two scale and zero offset also gives the folded
/// constant its exact fixed-point type; any other positive scale (per tensor
/// or per element), a zero point or a BipolarQuant gives its integer codes
/// their exact type and keeps the scales (Tensor::code_scale), moved along by
/// Transpose/Reshape/... of the constant. Every remaining tensor gets its
/// per-event shape. Dead nodes are removed.
/// Throws nanogate::Error for shape mismatches and unsupported attributes.
void fold_constants(Graph& g);

/// Host-side input preprocessing (src/passes/input_preprocess.cpp). A chain
/// of elementwise ops with constant operands (Mul, Div, Add, Sub) from a graph
/// input into a Quant node is what Brevitas exports put in front of the first
/// quantizer (e.g. x*2-1). The chain is moved into the "InputQuant" node that
/// replaces the Quant: the emulator evaluates it in float32 (as ONNX runtimes
/// do) on the user's float input and then quantizes; the firmware's input port
/// is the Quant's fixed-point type. A chain the configuration gives types to
/// (LayerName names the input or one of the chain's nodes) is firmware and
/// stays in the graph.
void fold_input_preprocessing(Graph& g, const Config& cfg);

/// Spatial ops as data movement, Dense and reductions
/// (src/passes/lower_spatial.cpp). Layout: activations stay channels-first
/// per event, [C, D1..Dn], as ONNX defines them (the Keras frontend wraps its
/// channels-last layers in Transposes). Conv (1-3 spatial dims; strides,
/// dilations, groups incl. depthwise, pads / auto_pad, bias) → per group a
/// Move "<conv>_im2col" [P, C/group·T] (P output positions, T kernel taps;
/// zero where the window is in the padding) → MatMul named after the Conv
/// (group k: "<conv>_g<k>") by the [C/group·T, M/group] weight matrix, keeping
/// its exact type and float scales (Tensor::code_scale) → Add of the bias →
/// one Move "<conv>_to_chw" to [M, O1..On]. A following BatchNormalization
/// folds into float weights. MaxPool → Move of the windows [C, O.., T] (a
/// padded tap repeats a valid tap of its window) → ReduceMax over the taps;
/// AveragePool → windows with zeros → ReduceSum → Mul by 1/divisor
/// (count_include_pad as onnxruntime counts it; one constant per position
/// when the divisors differ); GlobalMax/GlobalAveragePool → ReduceMax /
/// ReduceSum + Mul over the spatial axes; Pad (constant 0, reflect, edge),
/// Resize / Upsample (nearest) → one Move. Throws nanogate::Error for
/// non-constant weights, bad attributes (core/window.hpp), MaxPool's Indices
/// output, a window entirely in the padding, or a non-zero constant pad.
void lower_spatial(Graph& g);

/// Float scales absorbed into exact integer layers
/// (src/passes/absorb_scales.cpp). Tracks every activation as model value =
/// A ⊙ firmware value + B (per-element real constants):
///  - a MatMul/Gemm whose weights carry float scales (Tensor::code_scale, a
///    Quant/BipolarQuant with a non-power-of-two or per-channel scale) keeps
///    their integer codes and takes A_i * scale_ij = d_j * 2^k_ij as one scale
///    d_j per output column (else refused: no exact integer form);
///  - Mul/Div/Add/Sub by constants and BatchNormalization update (A, B);
///  - Moves (im2col, pooling windows, padding) carry (A, B) with the
///    elements (a padding zero: code 0, any A, B = 0); a MatMul over several
///    rows (a convolution's positions) needs A, B equal in every row; a
///    ReduceMax (MaxPool) passes (A, B) through when they are equal within
///    each window and A > 0;
///  - a Quant (any positive scale, per tensor or per channel, integer zero
///    point, 1-bit signed = bipolar) or BipolarQuant of such a value, also
///    behind a Relu, becomes a Threshold layer (FINN's MultiThreshold) whose
///    thresholds reproduce clamp(round((A x + B)/s + z)) exactly; its output
///    is the integer code, A = s. A typed activation starts such a chain when
///    it reaches a quantizer through a BatchNorm, a float constant or a
///    float-scale quantizer (unconfigured nodes only);
///  - graph outputs keep their codes: Tensor::dequant_scale/offset = (A, B),
///    applied host-side; other consumers get an exact fixed-point multiply
///    when A and B are short binary fractions, else a one-line refusal.
/// Float-scaled constants that reach no MatMul become plain float constants.
void absorb_scales(Graph& g, const Config& cfg);

/// Layer lowering (src/passes/lower_layers.cpp): rewrites ONNX-level nodes to
/// nanogate layers (Move and ReduceMax/ReduceSum from lower_spatial pass through). MatMul/Gemm with a constant matrix (+ a following Add of
/// a constant bias) → Dense named after the MatMul/Gemm; QONNX Quant with a
/// power-of-two scale and zero offset → Cast to its exact type (absorb_scales
/// has turned every other Quant into a Threshold); Trunc → Cast;
/// FixedQuant (a frontend's exact ap_fixed cast, attribute `type`, e.g. an
/// HGQ2 quantizer) → Cast to that type;
/// BatchNormalization after a Dense with float weights → folded into it;
/// other BatchNormalization → an affine BatchNorm layer (absorb_scales has
/// turned BatchNorm + Quant into a Threshold);
/// Div by a constant → Mul by its reciprocal; Pow(x, 2) → Mul(x, x);
/// data movement (Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Gather,
/// Concat, Identity, Dropout) → Move with a precomputed index map.
/// Throws nanogate::Error for a Quant with a non-zero zero point, a narrow
/// unsigned Quant, an unsupported rounding mode, or a non-constant Pow exponent.
void lower_layers(Graph& g);

/// Precision inference (src/passes/precision.cpp): applies the configuration
/// (Model < LayerType < LayerName) and gives every tensor its exact
/// fixed-point type. Quant nodes fix their tensors exactly; "auto" gives
/// accumulators and results the exact type that interval analysis over the
/// input types and constant values proves can never overflow; functions with
/// no exact fixed-point result (Sigmoid, Softmax, affine with float
/// constants) and every tensor of a float model default to the Model
/// precision (fixed<16,6> unless configured), as in hls4ml.
/// Throws nanogate::Error for a configuration naming a missing layer, a
/// config type that conflicts with a Quant node, or a type over 64 bits.
void infer_precision(Graph& g, const Config& cfg);

/// Exactness (src/passes/exactness.cpp): marks every layer of a typed graph
/// (Node::exactness). In a quantized model a layer is Inexact when a float
/// constant (weights, biases, affine constants, BatchNorm scale/offset,
/// LeakyRelu alpha) is not held exactly by the type it was given by default,
/// Configured when the configuration names the layer (LayerName/LayerType),
/// Table for Sigmoid/Softmax; every layer of a float model is FloatModel.
void mark_exactness(Graph& g, const Config& cfg);

/// "exact", "INEXACT", "configured", "table" or "-" (float model).
std::string exactness_str(const Node& n);

/// The refusal of inexact layers: throws nanogate::Error naming the first
/// Inexact layer and the reason unless `allow_inexact`; returns one warning
/// line per allowed Inexact layer and per Table layer (for stderr).
std::vector<std::string> require_exact(const Graph& g, bool allow_inexact);

}  // namespace nanogate
