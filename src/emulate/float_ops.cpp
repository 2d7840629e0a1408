// nanogate — ONNX-level reference kernels in double precision (float_ops.hpp).
#include "emulate/float_ops.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <stdexcept>

#include "emulate/float_spatial.hpp"
#include "nanogate/error.hpp"

namespace nanogate {

void FloatCtx::fail(const std::string& why) const { throw Error(src, n.name, n.op, why); }

namespace {

using Ctx = FloatCtx;

std::vector<int64_t> strides(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int i = int(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}

/// Normalises an axis given against the full rank (batch included when
/// batched) to a per-event axis. Fails on the batch axis.
int64_t event_axis(const Ctx& c, int64_t axis, size_t event_rank, bool batched) {
  int64_t full = int64_t(event_rank) + (batched ? 1 : 0);
  if (axis < 0) axis += full;
  if (axis < 0 || axis >= full) c.fail("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(full));
  if (batched) {
    if (axis == 0) c.fail("operating along the batch dimension is not supported");
    return axis - 1;
  }
  return axis;
}

/// Brings a constant operand of a batched op to per-event form: a constant of
/// full rank must have 1 as its leading (batch) dimension, which is dropped.
FArray per_event(const Ctx& c, const FArg& x, size_t event_rank) {
  FArray a = *x.a;
  if (!x.batched && a.shape.size() == event_rank + 1) {
    if (a.shape[0] != 1) c.fail("constant of shape " + shape_str(a.shape) + " does not broadcast over the batch");
    a.shape.erase(a.shape.begin());
  } else if (!x.batched && a.shape.size() > event_rank + 1) {
    c.fail("constant of rank " + std::to_string(a.shape.size()) + " is larger than the activation rank");
  }
  return a;
}


/// Axes from the attribute (older opsets) or the second input (newer).
std::vector<int64_t> axes_of(const Ctx& c, const std::vector<FArg>& in, size_t input_index) {
  if (c.n.has_attr("axes")) return c.n.attr_ints("axes", {});
  if (in.size() > input_index && in[input_index].a) {
    if (in[input_index].batched) c.fail("axes must be a constant");
    return int_values(c, *in[input_index].a, "axes");
  }
  return {};
}

FArray matmul(const Ctx& c, const FArg& x, const FArg& w) {
  if (w.batched) c.fail("MatMul with a non-constant second operand is not supported");
  const FArray &a = *x.a, &b = *w.a;
  if (b.shape.size() != 2 && !(b.shape.size() == 1)) c.fail("second operand must be a matrix, got " + shape_str(b.shape));
  int64_t k = b.shape[0], n = b.shape.size() == 2 ? b.shape[1] : 1;
  if (a.shape.empty() || a.shape.back() != k)
    c.fail("shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " do not match for MatMul");
  int64_t m = k == 0 ? 0 : int64_t(a.v.size()) / k;
  Shape so(a.shape.begin(), a.shape.end() - 1);
  if (b.shape.size() == 2) so.push_back(n);
  FArray o{so, std::vector<double>(size_t(m * n), 0.0)};
  for (int64_t r = 0; r < m; ++r)
    for (int64_t i = 0; i < k; ++i) {
      double xv = a.v[r * k + i];
      for (int64_t j = 0; j < n; ++j) o.v[r * n + j] += xv * b.v[i * n + j];
    }
  return o;
}

FArray transpose(const Ctx& c, const FArray& a, std::vector<int64_t> perm) {
  size_t r = a.shape.size();
  if (perm.empty())
    for (size_t i = 0; i < r; ++i) perm.push_back(int64_t(r - 1 - i));
  if (perm.size() != r) c.fail("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(r));
  std::vector<bool> seen(r, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= int64_t(r) || seen[size_t(p)])
      c.fail("perm is not a permutation of 0.." + std::to_string(int64_t(r) - 1) + " (entry " + std::to_string(p) + ")");
    seen[size_t(p)] = true;
  }
  Shape so(r);
  for (size_t i = 0; i < r; ++i) so[i] = a.shape[perm[i]];
  auto sti = strides(a.shape), sto = strides(so);
  FArray o{so, std::vector<double>(a.v.size())};
  for (int64_t i = 0; i < int64_t(a.v.size()); ++i) {
    int64_t src = 0, rem = i;
    for (size_t d = 0; d < r; ++d) {
      int64_t idx = rem / sto[d];
      rem %= sto[d];
      src += idx * sti[perm[d]];
    }
    o.v[i] = a.v[src];
  }
  return o;
}

}  // namespace

std::vector<int64_t> int_values(const Ctx& c, const FArray& a, const std::string& what, bool allow_batch) {
  std::vector<int64_t> r;
  for (double v : a.v) {
    if (allow_batch && v == kBatchDim) r.push_back(int64_t(kBatchDim));
    else if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > double(int64_t(1) << 30))
      c.fail(what + " value " + std::to_string(v) + " is not an integer in range");
    else r.push_back(int64_t(v));
  }
  return r;
}

FArray broadcast_binary(const Ctx& c, const FArg& x, const FArg& y, const std::function<double(double, double)>& f) {
  bool batched = x.batched || y.batched;
  FArray a = *x.a, b = *y.a;
  if (batched) {
    size_t r = std::max(x.batched ? a.shape.size() : 0, y.batched ? b.shape.size() : 0);
    if (!x.batched) a = per_event(c, x, r);
    if (!y.batched) b = per_event(c, y, r);
  }
  size_t rank = std::max(a.shape.size(), b.shape.size());
  Shape sa(rank - a.shape.size(), 1), sb(rank - b.shape.size(), 1), so(rank);
  sa.insert(sa.end(), a.shape.begin(), a.shape.end());
  sb.insert(sb.end(), b.shape.begin(), b.shape.end());
  for (size_t i = 0; i < rank; ++i) {
    if (sa[i] != sb[i] && sa[i] != 1 && sb[i] != 1)
      c.fail("shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " do not broadcast");
    so[i] = std::max(sa[i], sb[i]);
    if (sa[i] == 0 || sb[i] == 0) so[i] = 0;
  }
  FArray out{so, std::vector<double>(size_t(num_elements(so)))};
  auto sta = strides(sa), stb = strides(sb), sto = strides(so);
  for (int64_t i = 0; i < int64_t(out.v.size()); ++i) {
    int64_t ia = 0, ib = 0, rem = i;
    for (size_t d = 0; d < rank; ++d) {
      int64_t idx = rem / sto[d];
      rem %= sto[d];
      if (sa[d] != 1) ia += idx * sta[d];
      if (sb[d] != 1) ib += idx * stb[d];
    }
    out.v[i] = f(a.v[ia], b.v[ib]);
  }
  return out;
}

FArray unary(const FArray& a, const std::function<double(double)>& f) {
  FArray o = a;
  for (auto& v : o.v) v = f(v);
  return o;
}

void batchnorm_affine(const Graph& g, const Node& n, std::vector<double>& scale, std::vector<double>& offset) {
  if (n.inputs.size() < 5) throw Error(g.source, n.name, n.op, "BatchNormalization needs 5 inputs");
  for (int i = 1; i < 5; ++i)
    if (!g.tensor(n.inputs[i]).is_const) throw Error(g.source, n.name, n.op, "BatchNormalization parameters must be constants");
  const auto& gam = g.tensor(n.inputs[1]).values;
  const auto& bet = g.tensor(n.inputs[2]).values;
  const auto& mu = g.tensor(n.inputs[3]).values;
  const auto& var = g.tensor(n.inputs[4]).values;
  double eps = n.attr_float("epsilon", 1e-5);
  scale.resize(gam.size());
  offset.resize(gam.size());
  for (size_t c = 0; c < gam.size(); ++c) {
    scale[c] = gam[c] / std::sqrt(var.at(c) + eps);
    offset[c] = bet.at(c) - mu.at(c) * scale[c];
  }
}

std::vector<FArray> eval_float(const Node& n, const std::vector<FArg>& in, const std::string& src) {
  Ctx c{n, src};
  const std::string& op = n.op;
  auto need = [&](size_t k) {
    if (in.size() < k) c.fail("expects at least " + std::to_string(k) + " inputs");
    for (size_t i = 0; i < k; ++i)
      if (!in[i].a) c.fail("input " + std::to_string(i) + " is missing");
  };
  need(1);
  if (is_spatial_op(op)) return eval_spatial(n, in, src);
  if (is_qonnx_op(op)) return eval_qonnx(n, in, src);
  const FArg& x = in[0];
  bool batched = false;
  for (auto& a : in) batched |= (a.a && a.batched);

  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow") {
    need(2);
    std::function<double(double, double)> f;
    if (op == "Add") f = [](double p, double q) { return p + q; };
    if (op == "Sub") f = [](double p, double q) { return p - q; };
    if (op == "Mul") f = [](double p, double q) { return p * q; };
    if (op == "Div") f = [](double p, double q) { return p / q; };
    if (op == "Pow") f = [](double p, double q) { return std::pow(p, q); };
    return {broadcast_binary(c, in[0], in[1], f)};
  }
  if (op == "Relu") return {unary(*x.a, [](double v) { return v > 0 ? v : 0.0; })};
  if (op == "LeakyRelu") {
    double al = n.attr_float("alpha", 0.01);
    return {unary(*x.a, [al](double v) { return v >= 0 ? v : al * v; })};
  }
  if (op == "Sigmoid") return {unary(*x.a, [](double v) { return 1.0 / (1.0 + std::exp(-v)); })};
  if (op == "Sqrt") return {unary(*x.a, [](double v) { return std::sqrt(v); })};
  if (op == "Neg") return {unary(*x.a, [](double v) { return -v; })};
  if (op == "Identity" || op == "Dropout") return {*x.a};
  if (op == "Cast") {
    int64_t to = n.attr_int("to", 1);
    bool is_int = to == 2 || to == 3 || to == 4 || to == 5 || to == 6 || to == 7 || to == 12 || to == 13;
    if (to == 9) return {unary(*x.a, [](double v) { return v != 0 ? 1.0 : 0.0; })};
    if (is_int) return {unary(*x.a, [](double v) { return v == kBatchDim ? v : std::trunc(v); })};
    return {*x.a};
  }
  if (op == "Softmax") {
    const FArray& a = *x.a;
    int64_t opset = n.attr_int("_opset", 13);
    int64_t ax = event_axis(c, n.attr_int("axis", opset >= 13 ? -1 : 1), a.shape.size(), x.batched);
    FArray o = a;
    int64_t inner = 1, outer = 1, len = a.shape.empty() ? 1 : a.shape[ax];
    if (opset >= 13) {
      for (size_t d = ax + 1; d < a.shape.size(); ++d) inner *= a.shape[d];
    } else {  // opset < 13: softmax over the flattened trailing dims
      len = 1;
      for (size_t d = ax; d < a.shape.size(); ++d) len *= a.shape[d];
    }
    outer = len * inner == 0 ? 0 : int64_t(a.v.size()) / (len * inner);
    for (int64_t o_ = 0; o_ < outer; ++o_)
      for (int64_t i = 0; i < inner; ++i) {
        double mx = -INFINITY, sum = 0;
        for (int64_t k = 0; k < len; ++k) mx = std::max(mx, a.v[(o_ * len + k) * inner + i]);
        for (int64_t k = 0; k < len; ++k) sum += std::exp(a.v[(o_ * len + k) * inner + i] - mx);
        for (int64_t k = 0; k < len; ++k) {
          auto idx = (o_ * len + k) * inner + i;
          o.v[idx] = std::exp(a.v[idx] - mx) / sum;
        }
      }
    return {o};
  }
  if (op == "MatMul") {
    need(2);
    return {matmul(c, in[0], in[1])};
  }
  if (op == "Gemm") {
    need(2);
    if (n.attr_int("transA", 0)) c.fail("Gemm with transA=1 is not supported");
    FArray b = *in[1].a;
    if (in[1].batched) c.fail("Gemm with a non-constant B is not supported");
    if (n.attr_int("transB", 0)) b = transpose(c, b, {1, 0});
    FArg ba{&b, false};
    FArray y = matmul(c, in[0], ba);
    double alpha = n.attr_float("alpha", 1.0), beta = n.attr_float("beta", 1.0);
    for (auto& v : y.v) v *= alpha;
    if (in.size() > 2 && in[2].a) {
      FArray cc = unary(*in[2].a, [beta](double v) { return v * beta; });
      FArg ya{&y, batched}, ca{&cc, in[2].batched};
      y = broadcast_binary(c, ya, ca, [](double p, double q) { return p + q; });
    }
    return {y};
  }
  if (op == "Dense") {  // fused MatMul (+ bias): inputs x, W [n_in,n_out], optional b
    need(2);
    FArray y = matmul(c, in[0], in[1]);
    if (in.size() > 2 && in[2].a) {
      FArg ya{&y, batched};
      y = broadcast_binary(c, ya, in[2], [](double p, double q) { return p + q; });
    }
    return {y};
  }
  if (op == "BatchNormalization") {
    need(5);
    const FArray& a = *x.a;
    size_t ch_axis = x.batched ? 0 : 1;
    if (a.shape.size() <= ch_axis) c.fail("input rank too small for BatchNormalization");
    int64_t C = a.shape[ch_axis];
    for (int i = 1; i < 5; ++i)
      if (in[i].batched || int64_t(in[i].a->v.size()) != C)
        c.fail("BatchNormalization parameters must be constants with " + std::to_string(C) + " values");
    double eps = n.attr_float("epsilon", 1e-5);
    int64_t inner = 1;
    for (size_t d = ch_axis + 1; d < a.shape.size(); ++d) inner *= a.shape[d];
    FArray o = a;
    for (int64_t i = 0; i < int64_t(a.v.size()); ++i) {
      int64_t ch = (i / inner) % C;
      double sc = in[1].a->v[ch], bb = in[2].a->v[ch], mu = in[3].a->v[ch], var = in[4].a->v[ch];
      o.v[i] = (a.v[i] - mu) / std::sqrt(var + eps) * sc + bb;
    }
    return {o};
  }
  if (op == "Flatten") {
    const FArray& a = *x.a;
    int64_t ax = n.attr_int("axis", 1);
    FArray o = a;
    if (x.batched) {
      if (ax < 0) ax += int64_t(a.shape.size()) + 1;
      if (ax != 1) c.fail("Flatten with axis " + std::to_string(ax) + " would merge the batch dimension");
      o.shape = {num_elements(a.shape)};
    } else {
      if (ax < 0) ax += int64_t(a.shape.size());
      if (ax < 0 || ax > int64_t(a.shape.size()))
        c.fail("Flatten axis " + std::to_string(n.attr_int("axis", 1)) + " is outside the rank " +
               std::to_string(a.shape.size()) + " of its input");
      int64_t l = 1;
      for (int64_t d = 0; d < ax; ++d) l *= a.shape[d];
      o.shape = {l, l ? num_elements(a.shape) / l : 0};
    }
    return {o};
  }
  if (op == "Reshape") {
    need(2);
    if (in[1].batched) c.fail("Reshape with a non-constant shape is not supported");
    const FArray& a = *x.a;
    std::vector<int64_t> target = int_values(c, *in[1].a, "shape", true);
    bool allowzero = n.attr_int("allowzero", 0);
    Shape full = a.shape;
    if (x.batched) {
      if (target.empty()) c.fail("Reshape to a scalar would drop the batch dimension");
      // The first target dimension is the batch, whatever the exporter wrote
      // there (the symbolic batch, 0, -1, 1 or a fixed number).
      target.erase(target.begin());
    }
    int64_t total = num_elements(full), known = 1, neg = -1;
    for (size_t i = 0; i < target.size(); ++i) {
      if (target[i] == 0 && !allowzero) {
        size_t src_i = i + (x.batched ? 1 : 0);
        if (x.batched) {
          if (src_i - 1 >= full.size()) c.fail("Reshape 0 copies a dimension that does not exist");
          target[i] = full[src_i - 1];
        } else {
          if (src_i >= full.size()) c.fail("Reshape 0 copies a dimension that does not exist");
          target[i] = full[src_i];
        }
      }
      if (target[i] == -1) {
        if (neg >= 0) c.fail("Reshape target has more than one -1");
        neg = int64_t(i);
      } else if (target[i] < 0) {
        c.fail("Reshape target dimension " + std::to_string(target[i]) + " (the symbolic batch?) outside the first position");
      } else {
        known *= target[i];
      }
    }
    if (neg >= 0) {
      if (known == 0 || total % known) c.fail("cannot reshape " + shape_str(full) + " to the target");
      target[neg] = total / known;
    }
    if (num_elements(target) != total)
      c.fail("cannot reshape " + shape_str(full) + " (" + std::to_string(total) + " values per event) to " + shape_str(target));
    FArray o = a;
    o.shape = target;
    return {o};
  }
  if (op == "Transpose") {
    auto perm = n.attr_ints("perm", {});
    if (x.batched) {
      if (perm.empty()) c.fail("Transpose without perm would move the batch dimension");
      if (perm.size() != x.a->shape.size() + 1)
        c.fail("perm has " + std::to_string(perm.size()) + " entries for rank " + std::to_string(x.a->shape.size() + 1));
      if (perm[0] != 0) c.fail("Transpose moving the batch dimension is not supported");
      std::vector<int64_t> p;
      for (size_t i = 1; i < perm.size(); ++i) p.push_back(perm[i] - 1);
      perm = p;
    }
    return {transpose(c, *x.a, perm)};
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    auto axes = axes_of(c, in, 1);
    FArray o = *x.a;
    Shape s = o.shape;
    int64_t full_rank = int64_t(s.size()) + (x.batched ? 1 : 0);
    if (op == "Squeeze") {
      if (axes.empty()) {
        Shape t;
        for (auto d : s)
          if (d != 1) t.push_back(d);
        o.shape = t;
        return {o};
      }
      std::vector<int64_t> ev;
      for (auto a : axes) ev.push_back(event_axis(c, a, s.size(), x.batched));
      std::sort(ev.rbegin(), ev.rend());
      for (auto a : ev) {
        if (s[a] != 1) c.fail("cannot squeeze a dimension of size " + std::to_string(s[a]));
        s.erase(s.begin() + a);
      }
    } else {
      int64_t out_rank = full_rank + int64_t(axes.size());
      std::vector<int64_t> norm;
      for (auto a : axes) norm.push_back(a < 0 ? a + out_rank : a);
      std::sort(norm.begin(), norm.end());
      for (auto a : norm) {
        int64_t e = x.batched ? a - 1 : a;
        if (x.batched && a == 0) c.fail("Unsqueeze before the batch dimension is not supported");
        if (e < 0 || e > int64_t(s.size())) c.fail("Unsqueeze axis out of range");
        s.insert(s.begin() + e, 1);
      }
    }
    o.shape = s;
    return {o};
  }
  if (op == "Concat") {
    std::vector<FArray> parts;
    size_t rank = 0;
    for (auto& a : in) {
      if (!a.a) continue;
      if (a.batched != x.batched) c.fail("Concat of activations with constants is not supported");
      rank = a.a->shape.size();
    }
    int64_t ax = event_axis(c, n.attr_int("axis", 0), rank, x.batched);
    Shape so = x.a->shape;
    int64_t total = 0;
    for (auto& a : in) {
      if (!a.a) continue;
      if (a.a->shape.size() != rank) c.fail("Concat inputs differ in rank");
      for (size_t d = 0; d < rank; ++d)
        if (int64_t(d) != ax && a.a->shape[d] != so[d]) c.fail("Concat inputs differ outside the axis");
      total += a.a->shape[ax];
    }
    so[ax] = total;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < ax; ++d) outer *= so[d];
    for (size_t d = ax + 1; d < rank; ++d) inner *= so[d];
    FArray o{so, {}};
    o.v.reserve(size_t(num_elements(so)));
    for (int64_t r = 0; r < outer; ++r)
      for (auto& a : in) {
        if (!a.a) continue;
        int64_t len = a.a->shape[ax] * inner;
        o.v.insert(o.v.end(), a.a->v.begin() + r * len, a.a->v.begin() + (r + 1) * len);
      }
    return {o};
  }
  if (op == "Gather") {
    need(2);
    if (in[1].batched) c.fail("Gather with non-constant indices is not supported");
    const FArray& a = *x.a;
    int64_t ax = event_axis(c, n.attr_int("axis", 0), a.shape.size(), x.batched);
    const FArray& idx = *in[1].a;
    Shape so(a.shape.begin(), a.shape.begin() + ax);
    so.insert(so.end(), idx.shape.begin(), idx.shape.end());
    so.insert(so.end(), a.shape.begin() + ax + 1, a.shape.end());
    int64_t outer = 1, inner = 1, len = a.shape[ax];
    for (int64_t d = 0; d < ax; ++d) outer *= a.shape[d];
    for (size_t d = ax + 1; d < a.shape.size(); ++d) inner *= a.shape[d];
    FArray o{so, {}};
    const std::vector<int64_t> indices = int_values(c, idx, "Gather index");
    for (int64_t r = 0; r < outer; ++r)
      for (int64_t iv : indices) {
        int64_t k = iv;
        if (k < 0) k += len;
        if (k < 0 || k >= len) c.fail("Gather index " + std::to_string(iv) + " out of range");
        for (int64_t i = 0; i < inner; ++i) o.v.push_back(a.v[(r * len + k) * inner + i]);
      }
    return {o};
  }
  if (op == "Shape") {
    if (x.batched) c.fail("Shape of an activation must be folded before evaluation");
    FArray o{{int64_t(x.a->shape.size())}, {}};
    for (auto d : x.a->shape) o.v.push_back(double(d));
    return {o};
  }
  if (op == "ReduceSum" || op == "ReduceMax") {
    const bool mx = op == "ReduceMax";
    const FArray& a = *x.a;
    auto axes = axes_of(c, in, 1);
    bool keep = n.attr_int("keepdims", 1);
    std::vector<bool> red(a.shape.size(), false);
    if (axes.empty()) {
      if (n.attr_int("noop_with_empty_axes", 0)) return {a};
      if (x.batched) c.fail(op + " over all axes would reduce the batch dimension");
      std::fill(red.begin(), red.end(), true);
    }
    for (auto ax : axes) red[event_axis(c, ax, a.shape.size(), x.batched)] = true;
    Shape so;
    for (size_t d = 0; d < a.shape.size(); ++d) so.push_back(red[d] ? 1 : a.shape[d]);
    FArray o{so, std::vector<double>(size_t(num_elements(so)), mx ? -INFINITY : 0.0)};
    auto sti = strides(a.shape), sto = strides(so);
    for (int64_t i = 0; i < int64_t(a.v.size()); ++i) {
      int64_t rem = i, oi = 0;
      for (size_t d = 0; d < a.shape.size(); ++d) {
        int64_t id = rem / sti[d];
        rem %= sti[d];
        if (!red[d]) oi += id * sto[d];
      }
      o.v[oi] = mx ? std::max(o.v[oi], a.v[i]) : o.v[oi] + a.v[i];
    }
    if (!keep) {
      Shape t;
      for (size_t d = 0; d < so.size(); ++d)
        if (!red[d]) t.push_back(so[d]);
      o.shape = t;
    }
    return {o};
  }
  if (op == "Move") {  // nanogate's data movement: y[i] = concatenated inputs[map[i]], 0 where map[i] == -1
    std::vector<double> all;
    for (auto& a : in)
      if (a.a) all.insert(all.end(), a.a->v.begin(), a.a->v.end());
    FArray o{n.attr_ints("shape", {}), {}};
    for (int64_t m : n.attr_ints("map", {})) {
      if (m < -1 || m >= int64_t(all.size())) c.fail("Move index " + std::to_string(m) + " out of range");
      o.v.push_back(m < 0 ? 0.0 : all[size_t(m)]);
    }
    if (num_elements(o.shape) != int64_t(o.v.size())) c.fail("Move shape " + shape_str(o.shape) + " does not match its map");
    return {o};
  }
  c.fail("no float kernel for op '" + op + "'");
}

}  // namespace nanogate
