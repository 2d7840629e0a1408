// nanogate — ONNX-level reference kernels of the spatial ops (float_spatial.hpp).
#include "emulate/float_spatial.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/window.hpp"
#include "nanogate/error.hpp"

namespace nanogate {

namespace {

using Ctx = FloatCtx;

const FArray& constant(const Ctx& c, const std::vector<FArg>& in, size_t k, const std::string& what) {
  if (in.size() <= k || !in[k].a) c.fail(what + " is missing");
  if (in[k].batched) c.fail(what + " must be a constant");
  return *in[k].a;
}

Shape spatial_kernel(const Ctx& c, const Shape& x) {
  Shape k = c.n.attr_ints("kernel_shape", {});
  if (k.size() + 1 != x.size()) c.fail("kernel_shape " + shape_str(k) + " does not match the input " + shape_str(x));
  return k;
}

/// One event of Conv: x [C, D..], w [M, C/group, K..], optional b [M] → [M, O..].
FArray conv_event(const Ctx& c, const FArray& x, const FArray& w, const FArray* b) {
  if (w.shape.size() != x.shape.size() + 1 || w.shape.size() < 3)
    c.fail("weight " + shape_str(w.shape) + " does not match the input " + shape_str(x.shape));
  Shape ks(w.shape.begin() + 2, w.shape.end());
  if (c.n.has_attr("kernel_shape") && c.n.attr_ints("kernel_shape", {}) != ks)
    c.fail("kernel_shape does not match the weight " + shape_str(w.shape));
  Window win = window_of(c.n, x.shape, ks, c.src);
  const int64_t group = c.n.attr_int("group", 1), M = w.shape[0], C = win.channels;
  if (group < 1 || C % group || M % group) c.fail("group " + std::to_string(group) + " does not divide the channels");
  const int64_t cg = C / group, mg = M / group;
  if (w.shape[1] != cg) c.fail("weight " + shape_str(w.shape) + " expects " + std::to_string(w.shape[1] * group) +
                               " input channels, the input has " + std::to_string(C));
  if (b && int64_t(b->v.size()) != M) c.fail("bias has " + std::to_string(b->v.size()) + " values, expected " + std::to_string(M));
  const int64_t P = win.positions(), T = win.taps(), S = win.in_positions();
  Shape os{M};
  os.insert(os.end(), win.out.begin(), win.out.end());
  FArray y{os, std::vector<double>(size_t(M * P), 0.0)};
  for (int64_t m = 0; m < M; ++m) {
    const int64_t g0 = (m / mg) * cg;
    for (int64_t p = 0; p < P; ++p) {
      double acc = b ? b->v[size_t(m)] : 0.0;
      for (int64_t ci = 0; ci < cg; ++ci)
        for (int64_t t = 0; t < T; ++t) {
          const int64_t s = win.source(p, t);
          if (s >= 0) acc += x.v[size_t((g0 + ci) * S + s)] * w.v[size_t((m * cg + ci) * T + t)];
        }
      y.v[size_t(m * P + p)] = acc;
    }
  }
  return y;
}

/// One event of MaxPool / AveragePool: x [C, D..] → [C, O..].
FArray pool_event(const Ctx& c, const FArray& x) {
  const bool avg = c.n.op == "AveragePool";
  Window win = window_of(c.n, x.shape, spatial_kernel(c, x.shape), c.src);
  if (avg && c.n.attr_int("ceil_mode", 0)) {
    Node floor_node = c.n;
    floor_node.attrs["ceil_mode"] = int64_t(0);
    if (window_of(floor_node, x.shape, win.kernel, c.src).out != win.out)
      c.fail("AveragePool with ceil_mode=1 that adds a partial window is not supported");
  }
  const bool include_pad = c.n.attr_int("count_include_pad", 0) != 0;
  const int64_t C = win.channels, P = win.positions(), T = win.taps(), S = win.in_positions();
  Shape os{C};
  os.insert(os.end(), win.out.begin(), win.out.end());
  FArray y{os, std::vector<double>(size_t(C * P), 0.0)};
  for (int64_t ch = 0; ch < C; ++ch)
    for (int64_t p = 0; p < P; ++p) {
      double acc = avg ? 0.0 : -std::numeric_limits<double>::infinity();
      int64_t valid = 0;
      for (int64_t t = 0; t < T; ++t) {
        const int64_t s = win.source(p, t);
        if (s < 0) continue;
        ++valid;
        const double v = x.v[size_t(ch * S + s)];
        acc = avg ? acc + v : std::max(acc, v);
      }
      if (valid == 0) c.fail("a pooling window lies entirely in the padding");
      if (avg) acc /= double(include_pad ? win.padded_taps(p) : valid);
      y.v[size_t(ch * P + p)] = acc;
    }
  return y;
}

/// One event of GlobalMaxPool / GlobalAveragePool: x [C, D..] → [C, 1..].
FArray global_pool_event(const Ctx& c, const FArray& x) {
  if (x.shape.size() < 2) c.fail("expects an input [C, D1..Dn], got " + shape_str(x.shape));
  const bool avg = c.n.op == "GlobalAveragePool";
  const int64_t C = x.shape[0], S = C ? int64_t(x.v.size()) / C : 0;
  Shape os(x.shape.size(), 1);
  os[0] = C;
  FArray y{os, std::vector<double>(size_t(C), 0.0)};
  for (int64_t ch = 0; ch < C; ++ch) {
    double acc = avg ? 0.0 : -std::numeric_limits<double>::infinity();
    for (int64_t s = 0; s < S; ++s) acc = avg ? acc + x.v[size_t(ch * S + s)] : std::max(acc, x.v[size_t(ch * S + s)]);
    y.v[size_t(ch)] = avg ? acc / double(S) : acc;
  }
  return y;
}

/// Pad: source index per output element (-1: the constant).
GatherMap pad_map(const Ctx& c, const Shape& xs, bool batched, const std::vector<FArg>& in) {
  const size_t full = xs.size() + (batched ? 1 : 0);
  std::vector<int64_t> pads;
  GatherMap g;
  if (in.size() >= 2 && in[1].a) {
    pads = int_values(c, constant(c, in, 1, "pads"), "pads");
    if (in.size() >= 3 && in[2].a && !constant(c, in, 2, "constant_value").v.empty())
      g.fill = in[2].a->v[0];
    if (in.size() >= 4 && in[3].a) c.fail("Pad with an axes input is not supported");
  } else {
    pads = c.n.attr_ints("pads", {});
    g.fill = c.n.attr_float("value", 0.0);
  }
  if (pads.size() != 2 * full)
    c.fail("pads has " + std::to_string(pads.size()) + " entries, expected " + std::to_string(2 * full));
  const std::string mode = c.n.attr_str("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") c.fail("Pad mode '" + mode + "' is not supported");
  const size_t off = batched ? 1 : 0;
  if (batched && (pads[0] != 0 || pads[full] != 0)) c.fail("padding the batch dimension is not supported");
  const size_t r = xs.size();
  std::vector<int64_t> pb(r), pe(r);
  for (size_t d = 0; d < r; ++d) {
    pb[d] = pads[d + off];
    pe[d] = pads[d + off + full];
    const int64_t o = xs[d] + pb[d] + pe[d];
    if (o < 1) c.fail("Pad leaves dimension " + std::to_string(d + off) + " empty");
    if (mode == "reflect" && (pb[d] >= xs[d] || pe[d] >= xs[d]))
      c.fail("reflect padding must be smaller than the dimension");
    g.out.push_back(o);
  }
  const int64_t n = checked_num_elements(g.out);
  if (n < 0) c.fail("output " + shape_str(g.out) + " has more than 2^24 elements");
  g.src.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, idx = 0;
    bool inside = true;
    std::vector<int64_t> co(r);
    for (int d = int(r) - 1; d >= 0; --d) {
      co[size_t(d)] = rem % g.out[size_t(d)];
      rem /= g.out[size_t(d)];
    }
    for (size_t d = 0; d < r; ++d) {
      int64_t s = co[d] - pb[d];
      if (s < 0 || s >= xs[d]) {
        if (mode == "constant") inside = false;
        else if (mode == "edge") s = std::clamp<int64_t>(s, 0, xs[d] - 1);
        else s = s < 0 ? -s : 2 * (xs[d] - 1) - s;
      }
      idx = idx * xs[d] + s;
    }
    g.src[size_t(i)] = inside ? idx : -1;
  }
  return g;
}

/// Resize / Upsample, mode nearest.
GatherMap resize_map(const Ctx& c, const Shape& xs, bool batched, const std::vector<FArg>& in) {
  const size_t full = xs.size() + (batched ? 1 : 0), off = batched ? 1 : 0, r = xs.size();
  const std::string mode = c.n.attr_str("mode", "nearest");
  if (mode != "nearest") c.fail("Resize/Upsample mode '" + mode + "' is not supported (only nearest)");
  const bool upsample = c.n.op == "Upsample";
  std::string coord = upsample ? "asymmetric" : c.n.attr_str("coordinate_transformation_mode", "half_pixel");
  std::string nearest = upsample ? "floor" : c.n.attr_str("nearest_mode", "round_prefer_floor");
  std::vector<double> scales;
  std::vector<int64_t> sizes;
  if (upsample) {
    if (in.size() >= 2 && in[1].a) scales = constant(c, in, 1, "scales").v;
    else scales = c.n.has_attr("scales") ? std::get<std::vector<double>>(c.n.attrs.at("scales")) : std::vector<double>{};
  } else if (in.size() == 2) {  // opset 10: (X, scales), asymmetric coordinates
    scales = constant(c, in, 1, "scales").v;
    coord = "asymmetric";
    nearest = "floor";
  } else {
    if (in.size() >= 3 && in[2].a) scales = constant(c, in, 2, "scales").v;
    if (in.size() >= 4 && in[3].a) sizes = int_values(c, constant(c, in, 3, "sizes"), "sizes");
    if (c.n.has_attr("axes")) c.fail("Resize with the axes attribute is not supported");
  }
  if (sizes.empty() && scales.size() != full)
    c.fail("scales has " + std::to_string(scales.size()) + " entries, expected " + std::to_string(full));
  if (!sizes.empty() && sizes.size() != full)
    c.fail("sizes has " + std::to_string(sizes.size()) + " entries, expected " + std::to_string(full));
  if (coord == "half_pixel_symmetric" || coord == "tf_crop_and_resize")
    c.fail("coordinate_transformation_mode '" + coord + "' is not supported");
  if (batched && sizes.empty() && scales[0] != 1.0) c.fail("resizing the batch dimension is not supported");
  GatherMap g;
  std::vector<std::vector<int64_t>> idx(r);
  for (size_t d = 0; d < r; ++d) {
    const int64_t in_len = xs[d];
    double scale;
    int64_t out_len;
    if (sizes.empty()) {
      scale = scales[d + off];
      if (!(scale > 0) || !std::isfinite(scale) || scale > 1024) c.fail("scale " + std::to_string(scale) + " is out of range");
      out_len = int64_t(std::floor(double(in_len) * scale));
    } else {
      out_len = sizes[d + off];
      scale = double(out_len) / double(in_len);
    }
    if (out_len < 1) c.fail("Resize leaves dimension " + std::to_string(d + off) + " empty");
    for (int64_t o = 0; o < out_len; ++o) {
      // onnxruntime computes the source coordinate in float
      const float fo = float(o), fs = float(scale);
      float xo;
      if (coord == "half_pixel") xo = (fo + 0.5f) / fs - 0.5f;
      else if (coord == "pytorch_half_pixel") xo = out_len > 1 ? (fo + 0.5f) / fs - 0.5f : 0.0f;
      else if (coord == "align_corners") xo = out_len == 1 ? 0.0f : fo * float(in_len - 1) / float(out_len - 1);
      else if (coord == "asymmetric") xo = fo / fs;
      else if (coord == "tf_half_pixel_for_nn") xo = (fo + 0.5f) / fs;
      else c.fail("coordinate_transformation_mode '" + coord + "' is not supported");
      float s;
      if (nearest == "floor") s = std::floor(xo);
      else if (nearest == "ceil") s = std::ceil(xo);
      else if (nearest == "round_prefer_floor") s = (xo == std::floor(xo) + 0.5f) ? std::floor(xo) : std::round(xo);
      else if (nearest == "round_prefer_ceil") s = std::round(xo);
      else c.fail("nearest_mode '" + nearest + "' is not supported");
      idx[d].push_back(std::clamp<int64_t>(int64_t(s), 0, in_len - 1));
    }
    g.out.push_back(out_len);
  }
  const int64_t n = checked_num_elements(g.out);
  if (n < 0) c.fail("output " + shape_str(g.out) + " has more than 2^24 elements");
  g.src.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, id = 0, mul = 1;
    for (int d = int(r) - 1; d >= 0; --d) {
      id += idx[size_t(d)][size_t(rem % g.out[size_t(d)])] * mul;
      mul *= xs[size_t(d)];
      rem /= g.out[size_t(d)];
    }
    g.src[size_t(i)] = id;
  }
  return g;
}

}  // namespace

bool is_spatial_op(const std::string& op) {
  return op == "Conv" || op == "MaxPool" || op == "AveragePool" || op == "GlobalMaxPool" ||
         op == "GlobalAveragePool" || op == "Pad" || op == "Resize" || op == "Upsample";
}

GatherMap gather_map(const Node& n, const Shape& x, bool batched, const std::vector<FArg>& in,
                     const std::string& source) {
  Ctx c{n, source};
  if (n.op == "Pad") return pad_map(c, x, batched, in);
  if (n.op == "Resize" || n.op == "Upsample") return resize_map(c, x, batched, in);
  c.fail("not a data-movement op");
}

std::vector<FArray> eval_spatial(const Node& n, const std::vector<FArg>& in, const std::string& source) {
  Ctx c{n, source};
  if (in.empty() || !in[0].a) c.fail("input 0 is missing");
  const FArray& x = *in[0].a;
  if (n.op == "Pad" || n.op == "Resize" || n.op == "Upsample") {
    GatherMap g = gather_map(n, x.shape, in[0].batched, in, source);
    FArray y{g.out, std::vector<double>(g.src.size())};
    for (size_t i = 0; i < g.src.size(); ++i) y.v[i] = g.src[i] < 0 ? g.fill : x.v[size_t(g.src[i])];
    return {y};
  }
  if (n.op == "MaxPool" && n.outputs.size() > 1 && !n.outputs[1].empty())
    c.fail("MaxPool's Indices output is not supported");
  const FArray* w = nullptr;
  const FArray* b = nullptr;
  if (n.op == "Conv") {
    w = &constant(c, in, 1, "Conv weight");
    if (in.size() > 2 && in[2].a) b = &constant(c, in, 2, "Conv bias");
  }
  auto event = [&](const FArray& e) {
    if (n.op == "Conv") return conv_event(c, e, *w, b);
    if (n.op == "MaxPool" || n.op == "AveragePool") return pool_event(c, e);
    return global_pool_event(c, e);
  };
  if (in[0].batched) return {event(x)};
  // a constant with its batch dimension: one event per leading index
  if (x.shape.size() < 3) c.fail("expects an input [N, C, D1..Dn], got " + shape_str(x.shape));
  const int64_t N = x.shape[0], per = N ? int64_t(x.v.size()) / N : 0;
  FArray out;
  for (int64_t i = 0; i < N; ++i) {
    FArray e{Shape(x.shape.begin() + 1, x.shape.end()), std::vector<double>(x.v.begin() + i * per, x.v.begin() + (i + 1) * per)};
    FArray y = event(e);
    if (out.shape.empty()) {
      out.shape = y.shape;
      out.shape.insert(out.shape.begin(), N);
    }
    out.v.insert(out.v.end(), y.v.begin(), y.v.end());
  }
  return {out};
}

}  // namespace nanogate
