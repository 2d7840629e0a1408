// nanogate — QKeras layers and quantizers → QONNX Quant nodes
// (keras_builder.hpp). Semantics as in QKeras 0.9 (qkeras/quantizers.py):
//   quantized_bits(bits, integer, symmetric, keep_negative, alpha):
//     code = clip(round(x * 2^(bits-kn-integer)), kn*(-2^(bits-kn) + symmetric), 2^(bits-kn) - 1),
//     value = code * 2^(integer-bits+kn), round = tf.round (half to even), kn = keep_negative;
//   quantized_relu(bits, integer): code = clip(round(x * 2^(bits-integer)), 0, 2^bits - 1),
//     value = code * 2^(integer-bits).
// Both are exactly QONNX Quant(scale = 2^(integer-bits+kn), zero point 0,
// bits, signed = kn, narrow = symmetric, ROUND), as the QKeras→QONNX
// converter writes them. Quantizers not of this form are refused by name.
#include <cctype>
#include <cmath>

#include "frontend/keras/keras_builder.hpp"

namespace nanogate::keras {

namespace {

using json = nlohmann::json;
using Ins = std::vector<std::string>;

/// A quantizer: its class and its arguments by name.
struct Quantizer {
  std::string name;
  json args = json::object();
};

/// Positional argument names of the quantizers read here (QKeras 0.9 signatures).
const std::map<std::string, std::vector<std::string>>& positional() {
  static const std::map<std::string, std::vector<std::string>> p = {
      {"quantized_bits", {"bits", "integer", "symmetric", "keep_negative", "alpha", "use_stochastic_rounding"}},
      {"quantized_relu", {"bits", "integer", "use_sigmoid", "negative_slope", "use_stochastic_rounding", "relu_upper_bound"}}};
  return p;
}

/// "quantized_bits(6, 0, alpha=1)" → Quantizer; fails naming the text.
Quantizer parse_call(Builder& b, const Layer& l, const std::string& text) {
  Quantizer q;
  size_t open = text.find('(');
  q.name = text.substr(0, open);
  while (!q.name.empty() && std::isspace((unsigned char)q.name.back())) q.name.pop_back();
  if (open == std::string::npos) return q;
  size_t close = text.rfind(')');
  if (close == std::string::npos || close < open) b.fail(l, "cannot parse quantizer '" + text + "'");
  std::string body = text.substr(open + 1, close - open - 1);
  auto pos = positional().count(q.name) ? positional().at(q.name) : std::vector<std::string>{};
  size_t k = 0, start = 0;
  for (size_t i = 0; i <= body.size(); ++i) {
    if (i < body.size() && body[i] != ',') continue;
    std::string arg = body.substr(start, i - start);
    start = i + 1;
    auto trim = [](std::string s) {
      while (!s.empty() && std::isspace((unsigned char)s.front())) s.erase(s.begin());
      while (!s.empty() && std::isspace((unsigned char)s.back())) s.pop_back();
      return s;
    };
    arg = trim(arg);
    if (arg.empty()) continue;
    std::string key, val;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      key = trim(arg.substr(0, eq));
      val = trim(arg.substr(eq + 1));
    } else {
      if (k >= pos.size()) b.fail(l, "too many arguments in quantizer '" + text + "'");
      key = pos[k++];
      val = arg;
    }
    json v;
    if (val == "None") v = nullptr;
    else if (val == "True") v = true;
    else if (val == "False") v = false;
    else if (!val.empty() && (val[0] == '"' || val[0] == '\'')) v = val.substr(1, val.size() >= 2 ? val.size() - 2 : 0);
    else {
      try {
        size_t used = 0;
        double d = std::stod(val, &used);
        if (used != val.size()) throw std::invalid_argument(val);
        v = d;
      } catch (const std::exception&) {
        b.fail(l, "cannot parse argument '" + arg + "' of quantizer '" + text + "'");
      }
    }
    q.args[key] = v;
  }
  return q;
}

/// A quantizer from a layer config entry: a dict {class_name, config} or a string.
Quantizer quantizer_of(Builder& b, const Layer& l, const json& j) {
  if (j.is_string()) return parse_call(b, l, j.get<std::string>());
  if (j.is_object() && j.contains("class_name") && j["class_name"].is_string()) {
    Quantizer q{j["class_name"].get<std::string>(), j.value("config", json::object())};
    if (!q.args.is_object()) b.fail(l, "malformed quantizer config");
    return q;
  }
  b.fail(l, "malformed quantizer " + j.dump().substr(0, 80));
}

double arg_num(Builder& b, const Layer& l, const Quantizer& q, const char* key, double dflt) {
  if (!q.args.contains(key) || q.args[key].is_null()) return dflt;
  const json& v = q.args[key];
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (!v.is_number()) b.fail(l, q.name + ": argument '" + key + "' must be a number");
  return v.get<double>();
}

int arg_int(Builder& b, const Layer& l, const Quantizer& q, const char* key, int dflt, int lo, int hi) {
  double v = arg_num(b, l, q, key, dflt);
  if (v != std::floor(v) || v < lo || v > hi)
    b.fail(l, q.name + ": " + key + " = " + std::to_string(v) + " must be an integer in " + std::to_string(lo) + ".." +
                  std::to_string(hi));
  return int(v);
}

void refuse_stochastic(Builder& b, const Layer& l, const Quantizer& q) {
  if (arg_num(b, l, q, "use_stochastic_rounding", 0) != 0)
    b.fail(l, q.name + " with use_stochastic_rounding has no deterministic firmware equivalent");
}

/// Applies quantizer `q` to x (a constant or an activation); "" (no quantizer) keeps x.
std::string apply(Builder& b, const Layer& l, const Quantizer& q, const std::string& x, const std::string& out,
                  const std::string& nm) {
  if (q.name == "quantized_bits") {
    refuse_stochastic(b, l, q);
    int bits = arg_int(b, l, q, "bits", 8, 1, 64), integer = arg_int(b, l, q, "integer", 0, -64, 64);
    bool kn = arg_num(b, l, q, "keep_negative", 1) != 0, symmetric = arg_num(b, l, q, "symmetric", 0) != 0;
    if (q.args.contains("alpha") && !q.args["alpha"].is_null() && !(q.args["alpha"].is_number() && q.args["alpha"].get<double>() == 1.0))
      b.fail(l, "quantized_bits with alpha = " + q.args["alpha"].dump() +
                    " is not supported (only alpha = 1 or None is exact without the trained scale)");
    if (bits - int(kn) < 1) b.fail(l, "quantized_bits needs at least one bit beside the sign");
    return b.quant(nm, x, std::ldexp(1.0, integer - bits + int(kn)), bits, kn, symmetric && kn, out);
  }
  if (q.name == "quantized_relu") {
    refuse_stochastic(b, l, q);
    int bits = arg_int(b, l, q, "bits", 8, 1, 63), integer = arg_int(b, l, q, "integer", 0, -64, 64);
    if (arg_num(b, l, q, "use_sigmoid", 0) != 0) b.fail(l, "quantized_relu with use_sigmoid is not supported");
    if (arg_num(b, l, q, "negative_slope", 0) != 0) b.fail(l, "quantized_relu with a negative_slope is not supported");
    if (q.args.contains("relu_upper_bound") && !q.args["relu_upper_bound"].is_null())
      b.fail(l, "quantized_relu with relu_upper_bound is not supported");
    return b.quant(nm, x, std::ldexp(1.0, integer - bits), bits, false, false, out);
  }
  b.fail(l, "QKeras quantizer '" + q.name + "' is not supported (quantized_bits, quantized_relu)");
}

/// A quantizer entry that may be absent (null) → applied or x unchanged.
std::string maybe_apply(Builder& b, const Layer& l, const char* key, const std::string& x, const std::string& what) {
  if (!l.config.contains(key) || l.config[key].is_null()) return x;
  return apply(b, l, quantizer_of(b, l, l.config[key]), x, x + "_q", l.name + "_" + what + "_quant");
}

/// QKeras activation entry (a Keras activation name, or a quantizer) as node `nm`.
std::string qactivation(Builder& b, const Layer& l, const json& act, const std::string& x, const std::string& out,
                        const std::string& nm) {
  if (act.is_null()) return b.activation(l, "linear", x, out, nm);
  if (act.is_string()) {
    std::string s = act;
    if (s.find('(') == std::string::npos && !positional().count(s)) return b.activation(l, s, x, out, nm);
  }
  return apply(b, l, quantizer_of(b, l, act), x, out, nm);
}

Ins qdense(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  auto [kernel, bias] = dense_weights(b, l, in[0]);
  kernel = maybe_apply(b, l, "kernel_quantizer", kernel, "kernel");
  if (!bias.empty()) bias = maybe_apply(b, l, "bias_quantizer", bias, "bias");
  json act = l.config.contains("activation") ? l.config["activation"] : json("linear");
  if (act.is_string() && act.get<std::string>() == "linear") return {dense_core(b, l, in[0], kernel, bias, out)};
  std::string y = dense_core(b, l, in[0], kernel, bias, l.name + "_linear");
  return {qactivation(b, l, act, y, out, l.name + "_act")};
}

/// QConv1D / QConv2D / QDepthwiseConv2D / QSeparableConv*: the Keras layer
/// with kernel_quantizer, depthwise_quantizer, pointwise_quantizer and
/// bias_quantizer applied to its constants, and a QKeras activation.
Ins qconv(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  json act = l.config.contains("activation") ? l.config["activation"] : json("linear");
  ConvHooks h;
  h.quantize = [&](const std::string& role, const std::string& c) {
    const std::string key = role == "kernel" ? "kernel_quantizer" : role == "bias" ? "bias_quantizer"
                            : role == "depthwise_kernel" ? "depthwise_quantizer" : "pointwise_quantizer";
    return maybe_apply(b, l, key.c_str(), c, role);
  };
  h.linear = [&] { return act.is_string() && act.get<std::string>() == "linear"; };
  h.activation = [&](const std::string& y, const std::string& o) { return qactivation(b, l, act, y, o, l.name + "_act"); };
  return conv_layer(b, l, in, out, &h);
}

Ins qactivation_layer(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  if (!l.config.contains("activation")) b.fail(l, "QActivation without an activation");
  return {qactivation(b, l, l.config["activation"], in[0], out, l.name)};
}

}  // namespace

const std::map<std::string, LayerFn>& qkeras_layers() {
  static const std::map<std::string, LayerFn> t = {
      {"QDense", qdense},         {"QActivation", qactivation_layer}, {"QConv1D", qconv},
      {"QConv2D", qconv},         {"QDepthwiseConv2D", qconv},        {"QSeparableConv1D", qconv},
      {"QSeparableConv2D", qconv}};
  return t;
}

}  // namespace nanogate::keras
