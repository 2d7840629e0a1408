// nanogate — Keras core layers → ONNX-level nodes (keras_builder.hpp).
#include <cmath>

#include "frontend/keras/keras_builder.hpp"

namespace nanogate::keras {

namespace {

using json = nlohmann::json;
using Ins = std::vector<std::string>;

const std::string& one_input(Builder& b, const Layer& l, const Ins& in) {
  if (in.size() != 1) b.fail(l, "expects one input, got " + std::to_string(in.size()));
  return in[0];
}

int64_t units_of(Builder& b, const Layer& l) {
  if (!l.config.contains("units") || !l.config["units"].is_number_integer() || l.config["units"].get<int64_t>() < 1 ||
      l.config["units"].get<int64_t>() > (int64_t(1) << 24))
    b.fail(l, "'units' must be a positive integer");
  return l.config["units"].get<int64_t>();
}

}  // namespace

std::string dense_core(Builder& b, const Layer& l, const std::string& x, const std::string& kernel,
                       const std::string& bias, const std::string& out) {
  Shape sh = b.shape(x);
  int64_t units = b.g.tensor(kernel).shape.at(1);
  sh.back() = units;
  std::string y = b.node("MatMul", l.name, {x, kernel}, {}, bias.empty() ? out : l.name + "_matmul", sh);
  if (!bias.empty()) y = b.node("Add", l.name + "_bias", {y, bias}, {}, out, sh);
  return y;
}

std::pair<std::string, std::string> dense_weights(Builder& b, const Layer& l, const std::string& x) {
  const Shape& sh = b.shape(x);
  if (sh.empty()) b.fail(l, "input is a scalar");
  int64_t units = units_of(b, l);
  const auto& k = b.weight(l, 0, "kernel", {sh.back(), units});
  std::string kernel = b.constant(l.name + "/kernel", k.shape, k.values), bias;
  if (l.config.value("use_bias", true)) {
    const auto& bb = b.weight(l, 1, "bias", {units});
    bias = b.constant(l.name + "/bias", bb.shape, bb.values);
  }
  return {kernel, bias};
}

namespace {

Ins dense(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  auto [kernel, bias] = dense_weights(b, l, x);
  std::string act = l.config.value("activation", "linear");
  if (act == "linear") return {dense_core(b, l, x, kernel, bias, out)};
  std::string y = dense_core(b, l, x, kernel, bias, l.name + "_linear");
  return {b.activation(l, act, y, out, l.name + "_" + act)};
}

Ins activation(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (!l.config.contains("activation") || !l.config["activation"].is_string())
    b.fail(l, "'activation' must be a name");
  return {b.activation(l, l.config["activation"], one_input(b, l, in), out, l.name)};
}

double number(Builder& b, const Layer& l, const char* key, double dflt) {
  if (!l.config.contains(key) || l.config[key].is_null()) return dflt;
  if (!l.config[key].is_number()) b.fail(l, std::string("'") + key + "' must be a number");
  return l.config[key].get<double>();
}

Ins relu(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  double max_value = number(b, l, "max_value", INFINITY), thr = number(b, l, "threshold", 0.0),
         slope = number(b, l, "negative_slope", 0.0);
  if (!std::isinf(max_value)) b.fail(l, "ReLU with max_value is not supported (the layer graph has no Clip yet)");
  if (thr != 0) b.fail(l, "ReLU with a non-zero threshold is not supported");
  if (slope != 0) return {b.node("LeakyRelu", l.name, {x}, {{"alpha", slope}}, out, b.shape(x))};
  return {b.node("Relu", l.name, {x}, {}, out, b.shape(x))};
}

Ins leaky_relu(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  // Keras 2 calls the slope `alpha` (default 0.3), Keras 3 `negative_slope`.
  double slope = number(b, l, "negative_slope", number(b, l, "alpha", 0.3));
  return {b.node("LeakyRelu", l.name, {x}, {{"alpha", slope}}, out, b.shape(x))};
}

Ins softmax(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  int64_t axis = l.config.contains("axis") && l.config["axis"].is_number_integer() ? l.config["axis"].get<int64_t>() : -1;
  if (keras_axis(b, l, axis, b.shape(x).size()) != int64_t(b.shape(x).size()))
    b.fail(l, "Softmax over an axis other than the last is not supported");
  return {b.node("Softmax", l.name, {x}, {{"axis", int64_t(-1)}, {"_opset", int64_t(13)}}, out, b.shape(x))};
}

Ins batchnorm(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  const Shape& sh = b.shape(x);
  int64_t axis = -1;
  if (l.config.contains("axis")) {
    const json& a = l.config["axis"];
    if (a.is_array() && a.size() == 1 && a[0].is_number_integer()) axis = a[0];
    else if (a.is_number_integer()) axis = a;
    else b.fail(l, "BatchNormalization over several axes is not supported");
  }
  if (sh.empty() || keras_axis(b, l, axis, sh.size()) != int64_t(sh.size()))
    b.fail(l, "BatchNormalization must normalize the last axis");
  const int64_t c = sh.back();
  bool scale = l.config.value("scale", true), center = l.config.value("center", true);
  size_t i = 0;
  std::vector<double> gamma(size_t(c), 1.0), beta(size_t(c), 0.0);
  if (scale) gamma = b.weight(l, i++, "gamma", {c}).values;
  if (center) beta = b.weight(l, i++, "beta", {c}).values;
  const auto& mean = b.weight(l, i++, "moving_mean", {c});
  const auto& var = b.weight(l, i++, "moving_variance", {c});
  double eps = number(b, l, "epsilon", 1e-3);
  std::string ins[4] = {b.constant(l.name + "/gamma", {c}, gamma), b.constant(l.name + "/beta", {c}, beta),
                        b.constant(l.name + "/moving_mean", {c}, mean.values),
                        b.constant(l.name + "/moving_variance", {c}, var.values)};
  if (sh.size() == 1) return {b.node("BatchNormalization", l.name, {x, ins[0], ins[1], ins[2], ins[3]}, {{"epsilon", eps}}, out, sh)};
  // feature maps [D.., C]: ONNX normalizes axis 1, so channels-first in between (a Conv's Transposes cancel these)
  std::string xf = relayout(b, l.name + "_to_channels_first", x, true, l.name + "_to_channels_first");
  std::string y = b.node("BatchNormalization", l.name, {xf, ins[0], ins[1], ins[2], ins[3]}, {{"epsilon", eps}},
                         l.name + "_channels_first", b.shape(xf));
  return {relayout(b, l.name + "_to_channels_last", y, false, out)};
}

Ins identity(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  return {b.node("Identity", l.name, {x}, {}, out, b.shape(x))};
}

Ins flatten(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  if (l.config.value("data_format", "channels_last") != "channels_last")
    b.fail(l, "Flatten with data_format channels_first is not supported");
  return {b.node("Flatten", l.name, {x}, {{"axis", int64_t(1)}}, out, {num_elements(b.shape(x))})};
}

Ins reshape(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  if (!l.config.contains("target_shape") || !l.config["target_shape"].is_array())
    b.fail(l, "Reshape needs a target_shape list");
  Shape target;
  std::vector<double> spec = {-1};  // the batch (float_ops' Reshape drops the first entry)
  int64_t known = 1, neg = -1, total = num_elements(b.shape(x));
  for (auto& d : l.config["target_shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < -1 || d.get<int64_t>() == 0 || d.get<int64_t>() > total)
      b.fail(l, "target_shape entries must be positive integers or -1");
    int64_t v = d;
    if (v == -1) {
      if (neg >= 0) b.fail(l, "target_shape has more than one -1");
      neg = int64_t(target.size());
    } else {
      known *= v;
      if (known > total) b.fail(l, "cannot reshape " + shape_str(b.shape(x)) + " to the target_shape");
    }
    target.push_back(v);
    spec.push_back(double(v));
  }
  if (neg >= 0) {
    if (total % known) b.fail(l, "cannot reshape " + shape_str(b.shape(x)) + " to the target_shape");
    target[size_t(neg)] = total / known;
  }
  if (num_elements(target) != total) b.fail(l, "cannot reshape " + shape_str(b.shape(x)) + " to " + shape_str(target));
  std::string s = b.constant(l.name + "/shape", {int64_t(spec.size())}, spec);
  return {b.node("Reshape", l.name, {x, s}, {}, out, target)};
}

Ins permute(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  const std::string& x = one_input(b, l, in);
  const Shape& sh = b.shape(x);
  if (!l.config.contains("dims") || !l.config["dims"].is_array() || l.config["dims"].size() != sh.size())
    b.fail(l, "Permute needs 'dims' with one entry per axis");
  std::vector<int64_t> perm = {0};
  std::vector<bool> seen(sh.size() + 1, false);
  Shape so;
  for (auto& d : l.config["dims"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 1 || d.get<int64_t>() > int64_t(sh.size()) || seen[d.get<size_t>()])
      b.fail(l, "Permute 'dims' must be a permutation of 1.." + std::to_string(sh.size()));
    seen[d.get<size_t>()] = true;
    perm.push_back(d);
    so.push_back(sh[d.get<size_t>() - 1]);
  }
  return {b.node("Transpose", l.name, {x}, {{"perm", perm}}, out, so)};
}

/// Add / Subtract / Multiply / Average: a chain of binary ops (same shapes).
Ins merge(Builder& b, const Layer& l, const Ins& in, const std::string& out, const std::string& op) {
  if (in.size() < 2) b.fail(l, "a merge needs at least two inputs");
  if (op == "Sub" && in.size() != 2) b.fail(l, "Subtract needs exactly two inputs");
  for (auto& t : in)
    if (b.shape(t) != b.shape(in[0]))
      b.fail(l, "inputs of shapes " + shape_str(b.shape(in[0])) + " and " + shape_str(b.shape(t)) + " differ");
  bool average = l.class_name == "Average";
  std::string acc = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    bool last = i + 1 == in.size() && !average;
    acc = b.node(op, in.size() == 2 && !average ? l.name : l.name + "_" + std::to_string(i), {acc, in[i]}, {},
                 last ? out : l.name + "_partial", b.shape(in[0]));
  }
  if (average) {
    std::string k = b.constant(l.name + "/inv_n", {}, {1.0 / double(in.size())});
    acc = b.node("Mul", l.name, {acc, k}, {}, out, b.shape(in[0]));
  }
  return {acc};
}

Ins add(Builder& b, const Layer& l, const Ins& in, const std::string& out) { return merge(b, l, in, out, "Add"); }
Ins subtract(Builder& b, const Layer& l, const Ins& in, const std::string& out) { return merge(b, l, in, out, "Sub"); }
Ins multiply(Builder& b, const Layer& l, const Ins& in, const std::string& out) { return merge(b, l, in, out, "Mul"); }

Ins concatenate(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.empty()) b.fail(l, "Concatenate needs inputs");
  size_t rank = b.shape(in[0]).size();
  int64_t axis = keras_axis(b, l, l.config.value("axis", int64_t(-1)), rank);
  Shape so = b.shape(in[0]);
  so[size_t(axis - 1)] = 0;
  for (auto& t : in) {
    const Shape& s = b.shape(t);
    if (s.size() != rank) b.fail(l, "inputs differ in rank");
    for (size_t d = 0; d < rank; ++d)
      if (int64_t(d) != axis - 1 && s[d] != b.shape(in[0])[d]) b.fail(l, "inputs differ outside the concatenation axis");
    so[size_t(axis - 1)] += s[size_t(axis - 1)];
  }
  return {b.node("Concat", l.name, in, {{"axis", axis}}, out, so)};
}

}  // namespace

const std::map<std::string, LayerFn>& core_layers() {
  static const std::map<std::string, LayerFn> t = {
      {"Dense", dense},         {"Activation", activation}, {"ReLU", relu},       {"LeakyReLU", leaky_relu},
      {"Softmax", softmax},     {"BatchNormalization", batchnorm}, {"Dropout", identity}, {"Flatten", flatten},
      {"Reshape", reshape},     {"Permute", permute},       {"Add", add},         {"Subtract", subtract},
      {"Multiply", multiply},   {"Average", add},           {"Concatenate", concatenate},
      {"SpatialDropout1D", identity}, {"GaussianNoise", identity}, {"GaussianDropout", identity},
      {"AlphaDropout", identity}, {"ActivityRegularization", identity}};
  return t;
}

}  // namespace nanogate::keras
