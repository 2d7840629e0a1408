// nanogate — the fixed-point type a QONNX Quant node stands for.
#pragma once

#include <optional>
#include <string>

#include "nanogate/graph.hpp"

namespace nanogate {

/// What a Quant(x, scale, zeropt, bitwidth; signed, narrow, rounding_mode)
/// node means in fixed point. With a power-of-two scale 2^-F (one value, or
/// per-channel values that are all equal) and zero offset, Quant is exactly a
/// cast to fixed<bitwidth, bitwidth-F> (ufixed when unsigned) with overflow
/// SAT (SAT_SYM when narrow and signed) and rounding ROUND/HALF_EVEN →
/// RND_CONV, FLOOR → TRN, ROUND_TO_ZERO/DOWN → TRN_ZERO, HALF_UP → RND_INF,
/// HALF_DOWN → RND_ZERO (qonnx.custom_op.general.quant semantics).
struct QuantAnalysis {
  std::optional<Fixed> type;  ///< the exact type, when there is one
  std::string why_not;        ///< otherwise, why not (for error messages)
  bool scale_is_scalar = false;
  bool only_scale_not_po2 = false;  ///< everything fits but the scale is not a power of two
  double scale = 1.0;         ///< the scale when it is one value
};

/// Analyses a Quant node whose scale, zero point and bit width are constants.
/// Throws nanogate::Error (naming the node) when they are not constants.
QuantAnalysis analyze_quant(const Graph& g, const Node& n);

/// analyze_quant(g, n).type.
std::optional<Fixed> quant_fixed_type(const Graph& g, const Node& n);

}  // namespace nanogate
