// nanogate — reference kernels of the QONNX quantizers and nanogate's FixedQuant,
// in double (float_ops.hpp): Quant, BipolarQuant, Trunc as
// qonnx.custom_op.general (quant.py, bipolar_quant.py, trunc.py) computes them.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "emulate/float_ops.hpp"
#include "nanogate/error.hpp"

namespace nanogate {

namespace {

using Ctx = FloatCtx;

FArray quant(const Ctx& c, const std::vector<FArg>& in) {
  if (in.size() < 4) c.fail("Quant needs 4 inputs (x, scale, zeropt, bitwidth)");
  for (int i = 1; i < 4; ++i)
    if (!in[i].a || in[i].batched) c.fail("Quant with a non-constant scale, zero point or bit width is not supported");
  const FArray &s = *in[1].a, &z = *in[2].a, &bw = *in[3].a;
  if (bw.v.size() != 1) c.fail("Quant bit width must be a scalar");
  if (!(bw.v[0] >= 1 && bw.v[0] <= 64) || bw.v[0] != std::floor(bw.v[0]))
    c.fail("Quant bit width " + std::to_string(bw.v[0]) + " is not an integer in 1..64");
  for (double v : s.v)
    if (!(v > 0) || !std::isfinite(v)) c.fail("Quant scale " + std::to_string(v) + " is not positive and finite");
  for (double v : z.v)
    if (!std::isfinite(v)) c.fail("Quant zero point " + std::to_string(v) + " is not finite");
  bool sgn = c.n.attr_int("signed", 1), narrow = c.n.attr_int("narrow", 0);
  std::string mode = c.n.attr_str("rounding_mode", "ROUND");
  double lo, hi;
  quant_int_range(sgn, narrow, bw.v[0], lo, hi);
  FArg sa{&s, false}, za{&z, false};
  // y = (clip(round(x/s + z)) - z) * s, with x/s + z broadcast like qonnx.
  FArray t = broadcast_binary(c, in[0], sa, [](double x, double sc) { return x / sc; });
  FArg ta{&t, in[0].batched};
  t = broadcast_binary(c, ta, za, [](double x, double zp) { return x + zp; });
  for (auto& v : t.v) {
    v = std::clamp(v, lo, hi);
    try {
      v = qonnx_round(mode, v);
    } catch (const std::invalid_argument& e) {
      c.fail(e.what());
    }
  }
  FArg tb{&t, in[0].batched};
  t = broadcast_binary(c, tb, za, [](double y, double zp) { return y - zp; });
  FArg tc{&t, in[0].batched};
  return broadcast_binary(c, tc, sa, [](double y, double sc) { return y * sc; });
}

}  // namespace

void quant_int_range(bool is_signed, bool narrow, double bits, double& lo, double& hi) {
  if (is_signed) {
    lo = -std::ldexp(1.0, int(bits) - 1) + (narrow ? 1 : 0);
    hi = std::ldexp(1.0, int(bits) - 1) - 1;
  } else {
    lo = 0;
    hi = std::ldexp(1.0, int(bits)) - 1 - (narrow ? 1 : 0);
  }
}

namespace {
template <class T>
T round_by_mode(const std::string& mode_in, T x) {
  std::string m = mode_in;
  std::transform(m.begin(), m.end(), m.begin(), ::toupper);
  if (m == "ROUND" || m == "HALF_EVEN") return std::nearbyint(x);  // default FE_TONEAREST: ties to even
  if (m == "CEIL") return std::ceil(x);
  if (m == "FLOOR") return std::floor(x);
  if (m == "UP") return x < 0 ? -std::ceil(-x) : std::ceil(x);
  if (m == "DOWN" || m == "ROUND_TO_ZERO") return std::trunc(x);
  if (m == "HALF_UP") return x < 0 ? -std::floor(-x + T(0.5)) : std::floor(x + T(0.5));
  if (m == "HALF_DOWN") return x < 0 ? -std::ceil(-x - T(0.5)) : std::ceil(x - T(0.5));
  throw std::invalid_argument("unknown rounding_mode '" + mode_in + "'");
}
}  // namespace

double qonnx_round(const std::string& mode, double x) { return round_by_mode(mode, x); }
long double qonnx_round_l(const std::string& mode, long double x) { return round_by_mode(mode, x); }

bool is_qonnx_op(const std::string& op) {
  return op == "Quant" || op == "FixedQuant" || op == "BipolarQuant" || op == "Trunc";
}

std::vector<FArray> eval_qonnx(const Node& n, const std::vector<FArg>& in, const std::string& src) {
  Ctx c{n, src};
  const std::string& op = n.op;
  if (in.empty() || !in[0].a) c.fail("input 0 is missing");
  const FArg& x = in[0];
  auto need = [&](size_t k) {
    if (in.size() < k) c.fail("expects at least " + std::to_string(k) + " inputs");
    for (size_t i = 0; i < k; ++i)
      if (!in[i].a) c.fail("input " + std::to_string(i) + " is missing");
  };
  if (op == "Quant") return {quant(c, in)};
  if (op == "FixedQuant") {  // nanogate's own quantizer: an ap_fixed cast to attribute `type`
    Fixed t;
    try {
      t = parse_fixed(n.attr_str("type", ""));
    } catch (const FixedTypeError& e) {
      c.fail(std::string("FixedQuant: ") + e.what());
    }
    return {unary(*x.a, [t](double v) { return t.value(quantize(v, t)); })};
  }
  if (op == "BipolarQuant") {
    need(2);
    if (in[1].a && !in[1].batched)
      for (double v : in[1].a->v)
        if (!(v > 0) || !std::isfinite(v)) c.fail("BipolarQuant scale " + std::to_string(v) + " is not positive and finite");
    // qonnx: the sign of x (x >= 0 → +1), times the scale
    FArray t = broadcast_binary(c, in[0], in[1], [](double v, double s) { return (v >= 0 ? 1.0 : -1.0) * s; });
    return {t};
  }
  if (op == "Trunc") {
    need(5);
    for (size_t i = 1; i < in.size(); ++i)
      if (in[i].a && in[i].batched) c.fail("Trunc parameters must be constants");
    std::string mode = n.attr_str("rounding_mode", "FLOOR");
    const FArray &s = *in[1].a, &z = *in[2].a;
    if (s.v.size() != 1 || z.v.size() != 1) c.fail("Trunc with per-channel scale or zero point is not supported");
    double sc = s.v[0], zp = z.v[0];
    FArray o = *x.a;
    try {
      if (in.size() >= 6 && in[5].a) {  // Trunc v2: (x, scale, zeropt, in_bits, out_scale, out_bits)
        double osc = in[4].a->v.at(0), obits = in[5].a->v.at(0);
        double ts = std::exp2(std::nearbyint(std::log2(osc / sc)));
        double lo, hi;
        quant_int_range(n.attr_int("signed", 1), n.attr_int("narrow", 0), obits, lo, hi);
        for (auto& v : o.v) {
          double y = std::nearbyint(v / sc + zp) / ts;
          y = qonnx_round(mode, std::clamp(y, lo, hi));
          v = (y - zp / ts) * osc;
        }
      } else {  // Trunc v1: (x, scale, zeropt, in_bits, out_bits)
        double ibits = in[3].a->v.at(0), obits = in[4].a->v.at(0);
        double ts = std::exp2(ibits - obits);
        for (auto& v : o.v) {
          double y = qonnx_round(mode, std::nearbyint(v / sc + zp) / ts);
          v = (y - zp) * sc;
        }
      }
    } catch (const std::invalid_argument& e) {
      c.fail(e.what());
    }
    return {o};
  }
  c.fail("not a quantizer");
}

}  // namespace nanogate
