// nanogate — HGQ2 (hgq2 0.2, `hgq.layers`) layers → exact ONNX-level nodes
// (keras_builder.hpp). Semantics as in hgq2 0.2.0 / quantizers 1.2.2
// (quantizers/fixed_point/_fixed_point_ops.py, hgq/quantizer/internal/
// fixed_point_quantizer.py, hgq/layers/):
//   * bit widths are stored unrounded: k as stored, i = round_half_even(i),
//     f = round_half_even(f) (KIF) or f = round(b) - round(i) (KBI), then
//     i = max(i, -f); an element with k + i + f <= 0 is 0 (pruned);
//   * inference: SAT/SAT_SYM clip to [-k 2^i, 2^i - 2^-f] / [-k (2^i - 2^-f),
//     2^i - 2^-f] then round at 2^-f; WRAP rounds, then wraps into
//     [-k 2^(i+k-1), 2^(i+k) - k 2^(i+k-1)) — exactly ap_fixed<k+i+f, k+i, Q, O>;
//     trainable weight quantizers with WRAP only round (the bias quantizers);
//   * QEinsumDenseBatchnorm (dense equations) folds its BatchNorm first, in
//     float32: s = gamma / sqrt(moving_variance + 1e-7) (Keras' epsilon()),
//     W = kq(kernel * s), b = bq(bias - moving_mean * s); QDense: W = kq(kernel),
//     b = bq(bias); y = act(iq(x) W + b).
// Weights are quantized here, in float32 as HGQ2 does, into exact constants.
// A per-element input quantizer becomes one FixedQuant (an ap_fixed cast) per
// distinct element type on a Gather of those elements, concatenated, with the
// kernel's rows permuted to match; pruned inputs drop out with their rows.
#include <algorithm>
#include <cmath>
#include <map>

#include "frontend/keras/keras_builder.hpp"
#include "nanogate/fixed.hpp"

namespace nanogate::keras {

namespace {

using json = nlohmann::json;
using Ins = std::vector<std::string>;

/// Round half to even in float32 (keras.ops.round).
float round_conv(float v) { return std::nearbyint(v); }

/// The sub-object variables under `path` ("kq/quantizer").
const std::vector<h5::Dataset>& sub_vars(Builder& b, const Layer& l, const std::string& path) {
  for (auto& [p, v] : l.sub_weights)
    if (p == path) return v;
  b.fail(l, "quantizer variables '" + path + "' are missing from the weights file");
}

/// One quantizer's per-element (k, i, f) and modes.
struct Kif {
  std::vector<int> k, i, f;  // per element (after broadcasting to `n` elements)
  Rounding rounding = Rounding::RND;
  Overflow overflow = Overflow::WRAP;
  bool trainable = true;
  bool pruned(size_t j) const { return k[j] + i[j] + f[j] <= 0; }
  /// ap_fixed<k+i+f, k+i, Q, O> of element j (not pruned).
  Fixed type(size_t j) const {
    return Fixed{k[j] != 0, k[j] + i[j] + f[j], k[j] + i[j], rounding, overflow};
  }
};

/// Broadcasts a stored variable (shape [1, n], [n], [1] or scalar) to n elements.
std::vector<double> per_element(Builder& b, const Layer& l, const h5::Dataset& d, size_t n, const std::string& what) {
  if (d.values.size() == n) return d.values;
  if (d.values.size() == 1) return std::vector<double>(n, d.values[0]);
  b.fail(l, what + " has " + std::to_string(d.values.size()) + " values for " + std::to_string(n) +
                " elements (heterogeneous axes other than the element axis are not supported)");
}

Kif read_quantizer(Builder& b, const Layer& l, const std::string& conf_key, const std::string& path, size_t n) {
  if (!l.config.contains(conf_key) || !l.config[conf_key].is_object())
    b.fail(l, "'" + conf_key + "' (the quantizer configuration) is missing");
  const json& c = l.config[conf_key].value("config", json::object());
  std::string qt = c.value("q_type", ""), rm = c.value("round_mode", "TRN"), om = c.value("overflow_mode", "WRAP");
  Kif q;
  q.trainable = c.value("trainable", true);
  if (rm == "RND") q.rounding = Rounding::RND;
  else if (rm == "TRN") q.rounding = Rounding::TRN;
  else if (rm == "RND_CONV") q.rounding = Rounding::RND_CONV;
  else b.fail(l, conf_key + ": round_mode '" + rm + "' is not supported (RND, TRN, RND_CONV)");
  if (om == "WRAP") q.overflow = Overflow::WRAP;
  else if (om == "SAT") q.overflow = Overflow::SAT;
  else if (om == "SAT_SYM") q.overflow = Overflow::SAT_SYM;
  else b.fail(l, conf_key + ": overflow_mode '" + om + "' is not supported (WRAP, SAT, SAT_SYM)");
  const auto& v = sub_vars(b, l, path);
  std::vector<double> k, i, f;
  if (qt == "kif") {  // vars: f, k, i, i_decay_speed
    if (v.size() < 3) b.fail(l, conf_key + ": a KIF quantizer needs f, k, i");
    f = per_element(b, l, v[0], n, conf_key + ".f");
    k = per_element(b, l, v[1], n, conf_key + ".k");
    i = per_element(b, l, v[2], n, conf_key + ".i");
    for (size_t j = 0; j < n; ++j) {
      f[j] = round_conv(float(f[j]));
      i[j] = round_conv(float(i[j]));
    }
  } else if (qt == "kbi") {  // vars: b, then i and k in either order (seen: b, i, k and b, k, i); k is uint8
    if (v.size() < 3) b.fail(l, conf_key + ": a KBI quantizer needs b, i, k");
    bool k_second = v[1].integer != v[2].integer ? v[1].integer : path.starts_with("bq");
    const auto& bd = v[0];
    const auto& kd = k_second ? v[1] : v[2];
    const auto& id = k_second ? v[2] : v[1];
    std::vector<double> bb = per_element(b, l, bd, n, conf_key + ".b");
    k = per_element(b, l, kd, n, conf_key + ".k");
    i = per_element(b, l, id, n, conf_key + ".i");
    f.resize(n);
    for (size_t j = 0; j < n; ++j) {
      i[j] = round_conv(float(i[j]));
      f[j] = round_conv(float(bb[j])) - i[j];
    }
  } else {
    b.fail(l, conf_key + ": quantizer type '" + qt + "' is not supported (kif, kbi)");
  }
  for (size_t j = 0; j < n; ++j) {
    if (!std::isfinite(k[j]) || !std::isfinite(i[j]) || !std::isfinite(f[j]) || std::abs(i[j]) > 60 || std::abs(f[j]) > 60 ||
        (k[j] != 0 && k[j] != 1))
      b.fail(l, conf_key + ": element " + std::to_string(j) + " has an invalid bit width");
    i[j] = std::max(i[j], -f[j]);
    q.k.push_back(int(k[j]));
    q.i.push_back(int(i[j]));
    q.f.push_back(int(f[j]));
    if (!q.pruned(j) && q.k.back() + q.i.back() + q.f.back() > 64)
      b.fail(l, conf_key + ": element " + std::to_string(j) + " needs more than 64 bits");
  }
  return q;
}

/// HGQ2's quantization of a float32 weight (FixedPointQuantizer.forward), in float32.
float quantize_weight(float x, const Kif& q, size_t j) {
  const float fe = std::ldexp(1.0f, -q.f[j]);
  if (q.overflow != Overflow::WRAP) {
    float hi = std::ldexp(1.0f, q.i[j]) - fe;
    float lo = q.overflow == Overflow::SAT_SYM ? -hi * float(q.k[j]) : -std::ldexp(1.0f, q.i[j]) * float(q.k[j]);
    x = x > hi ? hi : (x < lo ? lo : x);
  }
  float s = std::ldexp(1.0f, q.f[j]), y = x * s;
  float r = q.rounding == Rounding::TRN ? std::floor(y) : q.rounding == Rounding::RND ? std::floor(y + 0.5f) : round_conv(y);
  float v = r / s;
  if (q.overflow == Overflow::WRAP && !q.trainable) {  // trainable weight quantizers with WRAP only round
    int bk = q.i[j] + q.k[j];
    float bias = float(q.k[j]) * std::ldexp(1.0f, bk - 1), m = std::ldexp(1.0f, bk);
    float t = v + bias;
    v = t - std::floor(t / m) * m - bias;
  }
  return v + 0.0f;  // -0 → +0
}

/// iq(x) of a vector x: per-element casts; returns the quantized tensor and
/// the order of its elements (indices into x; pruned elements absent). Sets
/// the graph input's exact type when `origin` (x itself, or the tensor x
/// flattens) is a graph input.
std::string input_quantizer(Builder& b, const Layer& l, const std::string& x, std::vector<int64_t>& order,
                            const std::string& origin) {
  const Shape& sh = b.shape(x);
  if (sh.size() != 1) b.fail(l, "HGQ2 dense layers on tensors of rank > 1 per event are not supported yet");
  size_t n = size_t(sh[0]);
  Kif q = read_quantizer(b, l, "iq_conf", "iq/quantizer", n);
  std::vector<std::pair<Fixed, std::vector<int64_t>>> groups;
  for (size_t j = 0; j < n; ++j) {
    if (q.pruned(j)) continue;
    Fixed t = q.type(j);
    auto it = std::find_if(groups.begin(), groups.end(), [&](auto& g) { return g.first == t; });
    if (it == groups.end()) groups.push_back({t, {int64_t(j)}});
    else it->second.push_back(int64_t(j));
  }
  if (groups.empty()) b.fail(l, "every input of the layer is pruned (0 bits)");
  bool is_input = std::find(b.g.inputs.begin(), b.g.inputs.end(), origin) != b.g.inputs.end();
  if (is_input) {
    // Host float → a type from which every element's cast is exact: TRN at one
    // fractional bit more than any element (then RND/TRN at an element's LSB
    // equals rounding the float), the widest wrap modulus (WRAP) or range (SAT).
    if (q.rounding == Rounding::RND_CONV) b.fail(l, "RND_CONV on the model input is not supported (RND, TRN)");
    int F = -1000, I = 1;
    for (size_t j = 0; j < n; ++j)
      if (!q.pruned(j)) {
        F = std::max(F, q.f[j] + 1);
        I = std::max(I, q.k[j] + q.i[j] + (q.overflow == Overflow::WRAP ? 0 : 1));
      }
    if (I + F > 64 || I + F < 1) b.fail(l, "the input quantizer needs an input type over 64 bits");
    Fixed t{true, I + F, I, Rounding::TRN, q.overflow == Overflow::WRAP ? Overflow::WRAP : Overflow::SAT};
    if (b.g.tensor(origin).type && *b.g.tensor(origin).type != t)
      b.fail(l, "input '" + origin + "' feeds two HGQ2 input quantizers that need different input types");
    b.g.tensor(origin).type = t;
  }
  b.g.quantized = true;
  order.clear();
  std::vector<std::string> parts;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    auto& [t, idx] = groups[gi];
    std::string src = x;
    bool all_in_order = groups.size() == 1 && idx.size() == n;
    if (!all_in_order) {
      std::vector<double> iv(idx.begin(), idx.end());
      std::string ic = b.constant(l.name + "/iq_index_" + std::to_string(gi), {int64_t(idx.size())}, iv);
      src = b.node("Gather", l.name + "_iq_gather_" + std::to_string(gi), {x, ic}, {{"axis", int64_t(1)}},
                   l.name + "_iq_in_" + std::to_string(gi), {int64_t(idx.size())});
    }
    parts.push_back(b.node("FixedQuant", l.name + "_iq" + (groups.size() > 1 ? "_" + std::to_string(gi) : ""), {src},
                           {{"type", t.str()}}, l.name + "_iq_" + std::to_string(gi), {int64_t(idx.size())}));
    order.insert(order.end(), idx.begin(), idx.end());
  }
  if (parts.size() == 1) return parts[0];
  return b.node("Concat", l.name + "_iq_concat", parts, {{"axis", int64_t(1)}}, l.name + "_iq", {int64_t(order.size())});
}

/// The dense-like HGQ2 layers: QDense and QEinsumDenseBatchnorm / QEinsumDense
/// with the equation "...c,cC->...C".
Ins hgq_dense(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  const std::string& x = in[0];
  const Shape& sh = b.shape(x);
  if (sh.size() != 1) b.fail(l, "HGQ2 layers on tensors of rank > 1 per event are not supported yet");
  const bool einsum = l.class_name != "QDense", bn = l.class_name == "QEinsumDenseBatchnorm";
  if (einsum) {
    std::string eq = l.config.value("equation", "");
    if (eq != "bc,cC->bC" && eq != "...c,cC->...C" && eq != "ab,bc->ac")
      b.fail(l, "equation '" + eq + "' is not a dense product (bc,cC->bC)");
    if (l.config.contains("bias_axes") && l.config["bias_axes"].is_string() && l.config["bias_axes"] != "C" &&
        l.config["bias_axes"] != "c" && !l.config["bias_axes"].get<std::string>().empty())
      b.fail(l, "bias_axes '" + l.config["bias_axes"].get<std::string>() + "' is not supported");
  }
  if (l.config.value("enable_oq", false)) b.fail(l, "HGQ2 output quantizers (enable_oq) are not supported yet");
  const int64_t n_in = sh[0];
  if (l.weights.empty()) b.fail(l, "kernel is missing from the weights file");
  const int64_t n_out = l.weights[0].shape.size() == 2 ? l.weights[0].shape[1] : -1;
  const auto& kern = b.weight(l, 0, "kernel", {n_in, n_out});
  const bool has_bias = l.weights.size() > 1 && l.weights[1].shape == Shape{n_out};
  std::vector<float> w(kern.values.begin(), kern.values.end()), bias(size_t(n_out), 0.0f);
  if (has_bias) bias.assign(l.weights[1].values.begin(), l.weights[1].values.end());
  if (bn) {  // vars: kernel, bias, gamma, beta (EBOPs), ebops, moving_mean, moving_variance
    bool scale = l.config.value("scale", true);
    size_t base = scale ? 5 : 4;
    std::vector<double> gamma(size_t(n_out), 1.0);
    if (scale) gamma = b.weight(l, 2, "bn_gamma", {n_out}).values;
    const auto& mean = b.weight(l, base, "moving_mean", {n_out}).values;
    const auto& var = b.weight(l, base + 1, "moving_variance", {n_out}).values;
    for (int64_t c = 0; c < n_out; ++c) {
      float s = float(gamma[size_t(c)]) / std::sqrt(float(var[size_t(c)]) + 1e-7f);
      for (int64_t r = 0; r < n_in; ++r) w[size_t(r * n_out + c)] = w[size_t(r * n_out + c)] * s;
      bias[size_t(c)] = bias[size_t(c)] + (-float(mean[size_t(c)]) * s);
    }
  }
  Kif kq = read_quantizer(b, l, "kq_conf", "kq/quantizer", size_t(n_in * n_out));
  for (size_t j = 0; j < w.size(); ++j) w[j] = kq.pruned(j) ? 0.0f : quantize_weight(w[j], kq, j);
  std::string bias_c;
  if (has_bias || bn) {
    Kif bq = read_quantizer(b, l, "bq_conf", "bq/quantizer", size_t(n_out));
    for (size_t j = 0; j < bias.size(); ++j) bias[j] = bq.pruned(j) ? 0.0f : quantize_weight(bias[j], bq, j);
    bias_c = b.constant(l.name + "/qbias", {n_out}, std::vector<double>(bias.begin(), bias.end()));
  }
  std::string xq = x;
  std::vector<int64_t> order;
  if (l.config.value("enable_iq", true)) {
    xq = input_quantizer(b, l, x, order, x);
  } else {
    for (int64_t j = 0; j < n_in; ++j) order.push_back(j);
  }
  std::vector<double> wk;
  for (int64_t r : order)
    for (int64_t c = 0; c < n_out; ++c) wk.push_back(double(w[size_t(r * n_out + c)]));
  std::string kernel = b.constant(l.name + "/qkernel", {int64_t(order.size()), n_out}, wk);
  std::string act = l.config.contains("activation") && l.config["activation"].is_string() ? l.config["activation"].get<std::string>()
                                                                                            : "linear";
  if (act == "linear") return {dense_core(b, l, xq, kernel, bias_c, out)};
  std::string y = dense_core(b, l, xq, kernel, bias_c, l.name + "_linear");
  return {b.activation(l, act, y, out, l.name + "_" + act)};
}

/// iq(x) of a feature map: the per-element input quantizer on the flattened
/// input, its elements put back in place (a Move; pruned elements are 0).
std::string map_input_quantizer(Builder& b, const Layer& l, const std::string& x) {
  const Shape xs = b.shape(x);
  const int64_t n = num_elements(xs);
  std::string flat = b.node("Flatten", l.name + "_iq_flatten", {x}, {{"axis", int64_t(1)}}, l.name + "_iq_flat", {n});
  std::vector<int64_t> order;
  std::string q = input_quantizer(b, l, flat, order, x);
  std::vector<int64_t> map(size_t(n), -1);  // element j of x = element k of q (order[k] == j), or 0 when pruned
  for (size_t k = 0; k < order.size(); ++k) map[size_t(order[k])] = int64_t(k);
  return b.node("Move", l.name + "_iq_unflatten", {q}, {{"map", map}, {"shape", xs}}, l.name + "_iq", xs);
}

/// HGQ2 pooling layers (QMaxPooling*, QAveragePooling*, QGlobal*Pooling*): the
/// input quantizer, then the Keras pooling (keras_conv.cpp) on the float
/// values as HGQ2 computes it.
Ins hgq_pool(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  if (l.config.value("enable_oq", false)) b.fail(l, "HGQ2 output quantizers (enable_oq) are not supported yet");
  const std::string xq = l.config.value("enable_iq", true) ? map_input_quantizer(b, l, in[0]) : in[0];
  return pool_layer(b, l, {xq}, out);
}

/// HGQ2 QConv1D / QConv2D: y = act(conv(iq(x), kq(kernel)) + bq(bias)), the
/// weights quantized here in float32; the per-element input quantizer on the
/// flattened input, its elements put back in place (a Move; pruned ones 0).
Ins hgq_conv(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  if (l.config.value("enable_oq", false)) b.fail(l, "HGQ2 output quantizers (enable_oq) are not supported yet");
  const std::string& x = in[0];
  const Shape xs = b.shape(x);
  if (l.weights.empty()) b.fail(l, "kernel is missing from the weights file");
  const Shape ks = l.weights[0].shape;
  if (ks.size() != xs.size() + 1) b.fail(l, "kernel " + shape_str(ks) + " does not match the input " + shape_str(xs));
  const size_t nk = size_t(num_elements(ks));
  Kif kq = read_quantizer(b, l, "kq_conf", "kq/quantizer", nk);
  std::vector<double> w(nk);
  for (size_t j = 0; j < nk; ++j) w[j] = kq.pruned(j) ? 0.0 : double(quantize_weight(float(l.weights[0].values[j]), kq, j));
  const std::string kernel = b.constant(l.name + "/qkernel", ks, w);
  std::string bias;
  const int64_t filters = ks.back();
  if (l.config.value("use_bias", true)) {
    const auto& bb = b.weight(l, 1, "bias", {filters});
    Kif bq = read_quantizer(b, l, "bq_conf", "bq/quantizer", size_t(filters));
    std::vector<double> bv(static_cast<size_t>(filters));
    for (size_t j = 0; j < bv.size(); ++j) bv[j] = bq.pruned(j) ? 0.0 : double(quantize_weight(float(bb.values[j]), bq, j));
    bias = b.constant(l.name + "/qbias", {filters}, bv);
  }
  const std::string xq = l.config.value("enable_iq", true) ? map_input_quantizer(b, l, x) : x;
  std::string act = l.config.contains("activation") && l.config["activation"].is_string()
                        ? l.config["activation"].get<std::string>() : "linear";
  if (act == "linear") return {conv_core(b, l, xq, kernel, bias, false, out)};
  std::string y = conv_core(b, l, xq, kernel, bias, false, l.name + "_linear");
  return {b.activation(l, act, y, out, l.name + "_" + act)};
}

}  // namespace

const std::map<std::string, LayerFn>& hgq2_layers() {
  static const std::map<std::string, LayerFn> t = {
      {"QDense", hgq_dense}, {"QEinsumDense", hgq_dense}, {"QEinsumDenseBatchnorm", hgq_dense},
      {"QConv1D", hgq_conv}, {"QConv2D", hgq_conv},
      {"QMaxPooling1D", hgq_pool}, {"QMaxPooling2D", hgq_pool}, {"QAveragePooling1D", hgq_pool},
      {"QAveragePooling2D", hgq_pool}, {"QGlobalMaxPooling1D", hgq_pool}, {"QGlobalMaxPooling2D", hgq_pool},
      {"QGlobalAveragePooling1D", hgq_pool}, {"QGlobalAveragePooling2D", hgq_pool}};
  return t;
}

}  // namespace nanogate::keras
