// nanogate — the fixed-point type of a QONNX Quant node (quant_type.hpp).
#include "passes/quant_type.hpp"

#include <algorithm>
#include <cmath>

#include "nanogate/error.hpp"

namespace nanogate {

QuantAnalysis analyze_quant(const Graph& g, const Node& n) {
  QuantAnalysis r;
  if (n.inputs.size() < 4) throw Error(g.source, n.name, n.op, "Quant needs 4 inputs (x, scale, zeropt, bitwidth)");
  const char* what[] = {"", "scale", "zero point", "bit width"};
  for (int i = 1; i < 4; ++i)
    if (n.inputs[i].empty() || !g.tensor(n.inputs[i]).is_const)
      throw Error(g.source, n.name, n.op, std::string("Quant with a non-constant ") + what[i] + " is not supported");
  const auto& s = g.tensor(n.inputs[1]).values;
  const auto& z = g.tensor(n.inputs[2]).values;
  const auto& b = g.tensor(n.inputs[3]).values;
  if (s.empty() || b.size() != 1) throw Error(g.source, n.name, n.op, "Quant scale must be non-empty and bit width a scalar");
  double bits = b[0];
  r.scale_is_scalar = std::all_of(s.begin(), s.end(), [&](double v) { return v == s[0]; });
  r.scale = s[0];
  bool is_signed = n.attr_int("signed", 1) != 0, narrow = n.attr_int("narrow", 0) != 0;
  std::string mode = n.attr_str("rounding_mode", "ROUND");
  std::transform(mode.begin(), mode.end(), mode.begin(), ::toupper);
  if (bits != std::floor(bits) || bits < 1 || bits > 64) {
    r.why_not = "bit width " + std::to_string(bits) + " is not an integer in 1..64";
    return r;
  }
  if (std::any_of(z.begin(), z.end(), [](double v) { return v != 0; })) {
    r.why_not = "non-zero zero point";
    return r;
  }
  if (!r.scale_is_scalar) {
    r.why_not = "per-channel scales";
    return r;
  }
  int e;
  double m = std::frexp(r.scale, &e);
  if (!(r.scale > 0) || m != 0.5) {
    r.why_not = "scale " + std::to_string(r.scale) + " is not a power of two";
    r.only_scale_not_po2 = true;
    return r;
  }
  int frac = -(e - 1);
  Fixed t;
  t.is_signed = is_signed;
  t.width = int(bits);
  t.int_bits = t.width - frac;
  if (mode == "ROUND" || mode == "HALF_EVEN") t.rounding = Rounding::RND_CONV;
  else if (mode == "FLOOR") t.rounding = Rounding::TRN;
  else if (mode == "ROUND_TO_ZERO" || mode == "DOWN") t.rounding = Rounding::TRN_ZERO;
  else if (mode == "HALF_UP") t.rounding = Rounding::RND_INF;
  else if (mode == "HALF_DOWN") t.rounding = Rounding::RND_ZERO;
  else {
    r.why_not = "rounding_mode " + mode + " has no ap_fixed equivalent";
    return r;
  }
  if (narrow && !is_signed) {
    r.why_not = "narrow unsigned range [0, 2^b-2] has no ap_fixed equivalent";
    return r;
  }
  if (is_signed && t.width == 1) {
    r.why_not = "1-bit signed Quant (bipolar) has no ap_fixed equivalent; use BipolarQuant";
    return r;
  }
  if (!is_signed && t.width > 63) {
    r.why_not = "unsigned width over 63 bits";
    return r;
  }
  t.overflow = (narrow && is_signed) ? Overflow::SAT_SYM : Overflow::SAT;
  r.type = t;
  return r;
}

std::optional<Fixed> quant_fixed_type(const Graph& g, const Node& n) { return analyze_quant(g, n).type; }

}  // namespace nanogate
