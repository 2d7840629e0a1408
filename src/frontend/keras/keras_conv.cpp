// nanogate — Keras convolution, pooling, padding and resizing layers →
// ONNX-level nodes (keras_builder.hpp). The layer graph is channels-first
// (passes/lower_spatial.cpp); a channels_last layer (Keras' default) is
// Transpose → the ONNX op → Transpose back, so the tensors between layers
// keep Keras' layout and Flatten / Dense / Reshape see the order Keras sees.
// Keras kernels [k.., C_in/groups, C_out] become ONNX [C_out, C_in/groups,
// k..] by a Transpose node on the constant (a quantizer applied to the Keras
// constant first keeps its exact type through it); depthwise kernels
// [k.., C, multiplier] become [C·multiplier, 1, k..], group C. Padding
// "same" is ONNX SAME_UPPER (TensorFlow's rule: the extra pad at the end),
// "causal" pads (k-1)·dilation in front; pooling with "same" excludes the
// padding from averages, as TensorFlow does.
#include <numeric>

#include "core/window.hpp"
#include "frontend/keras/keras_builder.hpp"
#include "nanogate/error.hpp"

namespace nanogate::keras {

namespace {

using json = nlohmann::json;
using Ins = std::vector<std::string>;

/// Spatial rank from the class name's suffix (Conv1D → 1, ...).
int rank_of(const Layer& l) {
  const std::string& c = l.class_name;
  return c.ends_with("1D") ? 1 : c.ends_with("3D") ? 3 : 2;
}

/// An int or a list of `n` ints under `key` (absent or null: dflt each).
std::vector<int64_t> ints(Builder& b, const Layer& l, const char* key, int n, std::vector<int64_t> dflt) {
  if (!l.config.contains(key) || l.config[key].is_null()) return dflt;
  const json& j = l.config[key];
  std::vector<int64_t> v;
  if (j.is_number_integer()) v.assign(size_t(n), j.get<int64_t>());
  else if (j.is_array())
    for (auto& e : j) {
      if (!e.is_number_integer()) b.fail(l, std::string("'") + key + "' must hold integers");
      v.push_back(e.get<int64_t>());
    }
  if (int(v.size()) != n) b.fail(l, std::string("'") + key + "' must have " + std::to_string(n) + " entries");
  for (int64_t e : v)
    if (e < 0 || e > (int64_t(1) << 20)) b.fail(l, std::string("'") + key + "' entry " + std::to_string(e) + " is out of range");
  return v;
}

bool channels_last(Builder& b, const Layer& l) {
  std::string f = l.config.value("data_format", std::string("channels_last"));
  if (f != "channels_last" && f != "channels_first") b.fail(l, "data_format '" + f + "' is not supported");
  return f == "channels_last";
}

}  // namespace

std::string relayout(Builder& b, const std::string& name, const std::string& x, bool to_first, const std::string& out) {
  const Shape& s = b.shape(x);
  const int64_t r = int64_t(s.size());
  std::vector<int64_t> perm{0};
  Shape shape;
  if (to_first) {
    perm.push_back(r);
    for (int64_t d = 1; d < r; ++d) perm.push_back(d);
  } else {
    for (int64_t d = 2; d <= r; ++d) perm.push_back(d);
    perm.push_back(1);
  }
  for (size_t k = 1; k < perm.size(); ++k) shape.push_back(s[size_t(perm[k] - 1)]);
  return b.node("Transpose", name, {x}, {{"perm", perm}}, out, shape);
}

namespace {

/// Per-event output shape of a windowed ONNX op on channels-first x.
Shape window_shape(Builder& b, const Layer& l, const Node& probe, const Shape& x, const Shape& kernel, int64_t c_out) {
  try {
    Window w = window_of(probe, x, kernel, b.model.source);
    Shape o{c_out};
    o.insert(o.end(), w.out.begin(), w.out.end());
    return o;
  } catch (const Error& e) {
    b.fail(l, e.reason());
  }
}

/// ONNX window attributes from the Keras config: strides, dilations, padding.
std::map<std::string, Attr> window_attrs(Builder& b, const Layer& l, int r, const Shape& kernel, bool conv,
                                         std::vector<int64_t> dflt_strides) {
  std::map<std::string, Attr> a;
  a["strides"] = ints(b, l, "strides", r, std::move(dflt_strides));
  std::vector<int64_t> dil = conv ? ints(b, l, "dilation_rate", r, std::vector<int64_t>(size_t(r), 1)) : std::vector<int64_t>(size_t(r), 1);
  if (conv) a["dilations"] = dil;
  std::string pad = l.config.value("padding", std::string("valid"));
  if (pad == "same") a["auto_pad"] = std::string("SAME_UPPER");
  else if (pad == "causal" && conv && r == 1) a["pads"] = std::vector<int64_t>{(kernel[0] - 1) * dil[0], 0};
  else if (pad != "valid") b.fail(l, "padding '" + pad + "' is not supported");
  if (!conv) a["kernel_shape"] = kernel;
  return a;
}

/// The Keras kernel constant [k.., a, b] as ONNX [b, a, k..] (depthwise: [a·b, 1, k..]).
std::string onnx_kernel(Builder& b, const Layer& l, const std::string& k, bool depthwise) {
  const Shape& s = b.shape(k);
  const int64_t r = int64_t(s.size());
  std::vector<int64_t> perm;
  Shape t;
  if (depthwise) perm.push_back(r - 2), perm.push_back(r - 1);
  else perm.push_back(r - 1), perm.push_back(r - 2);
  for (int64_t d = 0; d < r - 2; ++d) perm.push_back(d);
  for (int64_t p : perm) t.push_back(s[size_t(p)]);
  std::string y = b.node("Transpose", l.name + "_kernel_layout", {k}, {{"perm", perm}}, l.name + "/kernel_onnx", t);
  if (!depthwise) return y;
  Shape d{t[0] * t[1], 1};
  std::vector<double> spec{double(t[0] * t[1]), 1};
  for (int64_t e = 2; e < r; ++e) d.push_back(t[size_t(e)]), spec.push_back(double(t[size_t(e)]));
  std::string shp = b.constant(l.name + "/kernel_shape", {int64_t(spec.size())}, spec);
  return b.node("Reshape", l.name + "_kernel_reshape", {y, shp}, {}, l.name + "/kernel_dw", d);
}

}  // namespace

std::string conv_core(Builder& b, const Layer& l, const std::string& x, const std::string& kernel, const std::string& bias,
                      bool depthwise, const std::string& out) {
  const int r = rank_of(l);
  const bool last = channels_last(b, l);
  const Shape& ks = b.shape(kernel);
  if (int(ks.size()) != r + 2 || int(b.shape(x).size()) != r + 1)
    b.fail(l, "kernel " + shape_str(ks) + " / input " + shape_str(b.shape(x)) + " do not match a " + std::to_string(r) + "-D convolution");
  const Shape spatial(ks.begin(), ks.begin() + r);
  std::string xf = last ? relayout(b, l.name + "_to_channels_first", x, true, l.name + "_to_channels_first") : x;
  const int64_t c_in = b.shape(xf)[0];
  const int64_t c_out = depthwise ? ks[size_t(r)] * ks[size_t(r + 1)] : ks[size_t(r + 1)];
  int64_t groups = depthwise ? c_in : l.config.value("groups", int64_t(1));
  if (groups < 1 || c_in % groups || (!depthwise && ks[size_t(r)] * groups != c_in))
    b.fail(l, "kernel " + shape_str(ks) + " does not match " + std::to_string(c_in) + " input channels");
  auto attrs = window_attrs(b, l, r, spatial, true, std::vector<int64_t>(size_t(r), 1));
  attrs["group"] = groups;
  Node probe;
  probe.name = l.name;
  probe.op = "Conv";
  probe.attrs = attrs;
  Shape ys = window_shape(b, l, probe, b.shape(xf), spatial, c_out);
  Ins ins{xf, onnx_kernel(b, l, kernel, depthwise)};
  if (!bias.empty()) ins.push_back(bias);
  std::string y = b.node("Conv", l.name, ins, attrs, last ? l.name + "_channels_first" : out, ys);
  if (!last) return y;
  return relayout(b, l.name + "_to_channels_last", y, false, out);
}

namespace {

}  // namespace

Ins conv_layer(Builder& b, const Layer& l, const Ins& in, const std::string& out, const ConvHooks* hooks) {
  if (in.size() != 1) b.fail(l, "expects one input");
  const int r = rank_of(l);
  const Shape& xs = b.shape(in[0]);
  if (int(xs.size()) != r + 1) b.fail(l, "expects a per-event input of rank " + std::to_string(r + 1) + ", got " + shape_str(xs));
  const bool last = channels_last(b, l);
  const int64_t c_in = last ? xs.back() : xs[0];
  std::vector<int64_t> k = ints(b, l, "kernel_size", r, {});
  if (k.empty()) b.fail(l, "kernel_size is missing");
  Shape kshape(k.begin(), k.end());
  const bool dw = l.class_name.find("Depthwise") != std::string::npos;  // also QKeras' QDepthwiseConv2D
  const bool sep = l.class_name.find("Separable") != std::string::npos;
  const bool use_bias = l.config.value("use_bias", true);
  size_t wi = 0;
  std::string kernel, bias;
  if (dw || sep) {
    const int64_t mult = l.config.value("depth_multiplier", int64_t(1));
    Shape s = kshape;
    s.push_back(c_in), s.push_back(mult);
    const auto& d = b.weight(l, wi++, "depthwise_kernel", s);
    kernel = b.constant(l.name + "/depthwise_kernel", s, d.values);
    if (hooks) kernel = hooks->quantize("depthwise_kernel", kernel);
  } else {
    const int64_t filters = l.config.value("filters", int64_t(0)), groups = l.config.value("groups", int64_t(1));
    if (filters < 1 || groups < 1 || c_in % groups) b.fail(l, "filters / groups do not match the input");
    Shape s = kshape;
    s.push_back(c_in / groups), s.push_back(filters);
    const auto& d = b.weight(l, wi++, "kernel", s);
    kernel = b.constant(l.name + "/kernel", s, d.values);
    if (hooks) kernel = hooks->quantize("kernel", kernel);
  }
  std::string pointwise;
  if (sep) {
    const int64_t filters = l.config.value("filters", int64_t(0));
    const int64_t mult = l.config.value("depth_multiplier", int64_t(1));
    Shape s(size_t(r), 1);
    s.push_back(c_in * mult), s.push_back(filters);
    pointwise = b.constant(l.name + "/pointwise_kernel", s, b.weight(l, wi++, "pointwise_kernel", s).values);
    if (hooks) pointwise = hooks->quantize("pointwise_kernel", pointwise);
  }
  if (use_bias) {
    const int64_t n = sep || !dw ? l.config.value("filters", int64_t(0)) : c_in * l.config.value("depth_multiplier", int64_t(1));
    bias = b.constant(l.name + "/bias", {n}, b.weight(l, wi++, "bias", {n}).values);
    if (hooks) bias = hooks->quantize("bias", bias);
  }
  const std::string act = l.config.contains("activation") && l.config["activation"].is_string()
                              ? l.config["activation"].get<std::string>() : "linear";
  const bool linear = hooks ? hooks->linear() : act == "linear";
  const std::string pre = linear ? out : l.name + "_linear";
  std::string y;
  if (sep) {
    Layer dl = l;  // the depthwise part: same geometry, no bias
    dl.name = l.name + "_depthwise";
    std::string d = conv_core(b, dl, in[0], kernel, "", true, dl.name);
    Layer pl = l;  // the pointwise part: 1x1, stride 1, valid
    pl.name = l.name + "_pointwise";
    pl.config["strides"] = 1;
    pl.config["dilation_rate"] = 1;
    pl.config["padding"] = "valid";
    pl.config["groups"] = 1;
    y = conv_core(b, pl, d, pointwise, bias, false, pre);
  } else {
    y = conv_core(b, l, in[0], kernel, bias, dw, pre);
  }
  if (linear) return {y};
  if (hooks) return {hooks->activation(y, out)};
  return {b.activation(l, act, y, out, l.name + "_" + act)};
}

namespace {

/// Conv1D/2D/3D, DepthwiseConv1D/2D, SeparableConv1D/2D (+ activation).
Ins conv(Builder& b, const Layer& l, const Ins& in, const std::string& out) { return conv_layer(b, l, in, out, nullptr); }


/// MaxPooling / AveragePooling 1D/2D/3D.
Ins pool(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  const int r = rank_of(l);
  if (int(b.shape(in[0]).size()) != r + 1) b.fail(l, "expects a per-event input of rank " + std::to_string(r + 1));
  const bool last = channels_last(b, l), avg = l.class_name.find("Average") != std::string::npos;
  std::vector<int64_t> ps = ints(b, l, "pool_size", r, std::vector<int64_t>(size_t(r), 2));
  Shape kernel(ps.begin(), ps.end());
  auto attrs = window_attrs(b, l, r, kernel, false, ps);
  std::string xf = last ? relayout(b, l.name + "_to_channels_first", in[0], true, l.name + "_to_channels_first") : in[0];
  Node probe;
  probe.name = l.name;
  probe.op = avg ? "AveragePool" : "MaxPool";
  probe.attrs = attrs;
  Shape ys = window_shape(b, l, probe, b.shape(xf), kernel, b.shape(xf)[0]);
  std::string y = b.node(probe.op, l.name, {xf}, attrs, last ? l.name + "_channels_first" : out, ys);
  if (!last) return {y};
  return {relayout(b, l.name + "_to_channels_last", y, false, out)};
}

/// GlobalMaxPooling / GlobalAveragePooling 1D/2D/3D (keepdims or not).
Ins global_pool(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  const Shape& xs = b.shape(in[0]);
  if (xs.size() < 2) b.fail(l, "expects a per-event input of rank >= 2");
  const bool last = channels_last(b, l), keep = l.config.value("keepdims", false);
  const std::string op = l.class_name.find("GlobalAverage") != std::string::npos ? "GlobalAveragePool" : "GlobalMaxPool";
  std::string xf = last ? relayout(b, l.name + "_to_channels_first", in[0], true, l.name + "_to_channels_first") : in[0];
  const int64_t c = b.shape(xf)[0];
  Shape ones(xs.size(), 1);
  ones[0] = c;
  std::string y = b.node(op, l.name, {xf}, {}, keep && !last ? out : l.name + "_pooled", ones);
  if (!keep) return {b.node("Flatten", l.name + "_flatten", {y}, {{"axis", int64_t(1)}}, out, {c})};
  if (!last) return {y};
  return {relayout(b, l.name + "_to_channels_last", y, false, out)};
}

/// ZeroPadding / Cropping 1D/2D/3D: one Pad (negative pads crop) in Keras' layout.
Ins pad_or_crop(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  const int r = rank_of(l);
  const Shape& xs = b.shape(in[0]);
  if (int(xs.size()) != r + 1) b.fail(l, "expects a per-event input of rank " + std::to_string(r + 1));
  const bool crop = l.class_name.starts_with("Cropping"), last = channels_last(b, l);
  const char* key = crop ? "cropping" : "padding";
  std::vector<int64_t> before(static_cast<size_t>(r)), after(static_cast<size_t>(r));
  const json& j = l.config.contains(key) ? l.config[key] : json(crop ? 0 : 1);
  auto num = [&](const json& e) {
    if (!e.is_number_integer() || e.get<int64_t>() < 0 || e.get<int64_t>() > (int64_t(1) << 20))
      b.fail(l, std::string("'") + key + "' must hold non-negative integers");
    return e.get<int64_t>();
  };
  if (j.is_number_integer()) {
    std::fill(before.begin(), before.end(), num(j));
    after = before;
  } else if (j.is_array() && j.size() == size_t(r) && r > 1) {
    for (int d = 0; d < r; ++d) {
      const json& e = j[size_t(d)];
      if (e.is_array() && e.size() == 2) before[size_t(d)] = num(e[0]), after[size_t(d)] = num(e[1]);
      else before[size_t(d)] = after[size_t(d)] = num(e);
    }
  } else if (j.is_array() && j.size() == 2 && r == 1) {
    before[0] = num(j[0]), after[0] = num(j[1]);
  } else {
    b.fail(l, std::string("malformed '") + key + "'");
  }
  // pads over [batch, per-event dims]: the spatial dims sit after (channels_first) or before the channels
  const size_t full = xs.size() + 1, s0 = last ? 1 : 2;
  std::vector<double> pads(2 * full, 0.0);
  Shape ys = xs;
  for (int d = 0; d < r; ++d) {
    const double sg = crop ? -1.0 : 1.0;
    pads[s0 + size_t(d)] = sg * double(before[size_t(d)]);
    pads[full + s0 + size_t(d)] = sg * double(after[size_t(d)]);
    ys[s0 - 1 + size_t(d)] += int64_t(sg) * (before[size_t(d)] + after[size_t(d)]);
    if (ys[s0 - 1 + size_t(d)] < 1) b.fail(l, "cropping leaves an empty dimension");
  }
  std::string p = b.constant(l.name + "/pads", {int64_t(pads.size())}, pads);
  return {b.node("Pad", l.name, {in[0], p}, {{"mode", std::string("constant")}}, out, ys)};
}

/// UpSampling 1D/2D/3D (interpolation nearest): one Resize in Keras' layout.
Ins upsample(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  if (in.size() != 1) b.fail(l, "expects one input");
  const int r = rank_of(l);
  const Shape& xs = b.shape(in[0]);
  if (int(xs.size()) != r + 1) b.fail(l, "expects a per-event input of rank " + std::to_string(r + 1));
  if (l.config.value("interpolation", std::string("nearest")) != "nearest")
    b.fail(l, "UpSampling interpolation other than nearest is not supported");
  const bool last = channels_last(b, l);
  std::vector<int64_t> size = ints(b, l, "size", r, std::vector<int64_t>(size_t(r), 2));
  const size_t s0 = last ? 1 : 2;
  std::vector<double> scales(xs.size() + 1, 1.0);
  Shape ys = xs;
  for (int d = 0; d < r; ++d) {
    if (size[size_t(d)] < 1) b.fail(l, "'size' entries must be positive");
    scales[s0 + size_t(d)] = double(size[size_t(d)]);
    ys[s0 - 1 + size_t(d)] *= size[size_t(d)];
  }
  std::string roi = b.constant(l.name + "/roi", {0}, {});
  std::string sc = b.constant(l.name + "/scales", {int64_t(scales.size())}, scales);
  return {b.node("Resize", l.name, {in[0], roi, sc},
                 {{"mode", std::string("nearest")}, {"coordinate_transformation_mode", std::string("asymmetric")},
                  {"nearest_mode", std::string("floor")}},
                 out, ys)};
}

}  // namespace

Ins pool_layer(Builder& b, const Layer& l, const Ins& in, const std::string& out) {
  return l.class_name.find("Global") != std::string::npos ? global_pool(b, l, in, out) : pool(b, l, in, out);
}

const std::map<std::string, LayerFn>& conv_layers() {
  static const std::map<std::string, LayerFn> t = {
      {"Conv1D", conv},           {"Conv2D", conv},          {"Conv3D", conv},
      {"DepthwiseConv1D", conv},  {"DepthwiseConv2D", conv}, {"SeparableConv1D", conv},
      {"SeparableConv2D", conv},  {"MaxPooling1D", pool},    {"MaxPooling2D", pool},
      {"MaxPooling3D", pool},     {"AveragePooling1D", pool}, {"AveragePooling2D", pool},
      {"AveragePooling3D", pool}, {"GlobalMaxPooling1D", global_pool}, {"GlobalMaxPooling2D", global_pool},
      {"GlobalAveragePooling1D", global_pool}, {"GlobalAveragePooling2D", global_pool},
      {"ZeroPadding1D", pad_or_crop}, {"ZeroPadding2D", pad_or_crop}, {"Cropping1D", pad_or_crop},
      {"Cropping2D", pad_or_crop}, {"UpSampling1D", upsample}, {"UpSampling2D", upsample}};
  return t;
}

}  // namespace nanogate::keras
