// nanogate — float scales absorbed into exact integer layers (passes.hpp, absorb_scales).
//
// Every activation is tracked as model value = A ⊙ firmware value + B with
// per-element real constants A, B (identity for ordinary fixed-point
// tensors). Ops that are affine with constants update (A, B) and vanish;
// a quantizer turns the affine function of the firmware value into an exact
// Threshold layer; a MatMul factors A into per-column scales of integer
// weight codes; whatever cannot absorb a pending (A, B) gets it as host-side
// dequantization (graph outputs) or an exact fixed-point multiply, else a
// one-line refusal naming the node.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "emulate/float_ops.hpp"
#include "emulate/layer_tables.hpp"
#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"
#include "passes/interval.hpp"
#include "passes/quant_type.hpp"

namespace nanogate {

namespace {

/// Model value = a[i] * firmware value + b[i] (then max(0, ·) when relu).
struct Affine {
  std::string fw;            ///< the firmware tensor
  std::vector<double> a, b;  ///< per element of the tensor
  bool relu = false;         ///< a Relu waits for its quantizer
  std::string origin;        ///< the node whose float scale started it (messages)

  bool identity() const {
    return !relu && std::all_of(a.begin(), a.end(), [](double v) { return v == 1; }) &&
           std::all_of(b.begin(), b.end(), [](double v) { return v == 0; });
  }
};

bool is_affine_op(const std::string& op) {
  return op == "Mul" || op == "Div" || op == "Add" || op == "Sub" || op == "BatchNormalization";
}
bool is_quantizer(const std::string& op) { return op == "Quant" || op == "BipolarQuant"; }
bool is_relabel(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Transpose" ||
         op == "Identity" || op == "Dropout";
}

/// The (signed, power-of-two) value when v is ±2^k.
bool is_po2(double v) {
  int e;
  return v > 0 && std::frexp(v, &e) == 0.5;
}

/// A host-side dequantization scale: a padding zero's NaN (any scale) as 0.
std::vector<double> host_scale(std::vector<double> a) {
  for (double& v : a)
    if (std::isnan(v)) v = 0;
  return a;
}

struct Absorb {
  Graph& g;
  const Config& cfg;
  std::map<std::string, Affine> pending;  // ONNX tensor → its firmware form
  std::vector<Node> out;

  [[noreturn]] void fail(const Node& n, const std::string& why) { throw Error(g.source, n.name, n.op, why); }
  bool is_const(const std::string& t) const { return !t.empty() && g.tensor(t).is_const; }
  bool is_output(const std::string& t) const {
    return std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end();
  }
  const Node* sole_consumer(const std::string& t) const {
    if (is_output(t)) return nullptr;
    auto c = g.consumers(t);
    return c.size() == 1 ? c[0] : nullptr;
  }
  bool configured(const Node& n) const { return cfg.by_name.count(n.name) || cfg.by_type.count(n.op); }

  /// Per-element values of constant `c` broadcast onto an activation of `shape`.
  std::vector<double> spread(const Node& n, const std::string& c, const Shape& shape) {
    const Tensor& t = g.tensor(c);
    std::vector<int64_t> map;
    try {
      map = operand_map(t, shape);
    } catch (const Error&) {
      fail(n, "constant '" + c + "' " + shape_str(t.shape) + " does not broadcast onto " + shape_str(shape));
    }
    std::vector<double> v(map.size());
    for (size_t i = 0; i < map.size(); ++i) v[i] = t.values.at(size_t(map[i]));
    return v;
  }

  /// The affine/Relu/relabel chain from this node (sole consumers, no
  /// configured node) up to a quantizer of an activation (included) or a
  /// graph output without a Relu on the way; empty when it ends elsewhere.
  std::vector<const Node*> chain_from(const Node* n) const {
    std::vector<const Node*> chain;
    bool relu = false;
    for (int guard = 0; n && guard < 64; ++guard) {
      if (configured(*n)) return {};
      chain.push_back(n);
      if (is_quantizer(n->op)) return chain;
      relu |= n->op == "Relu";
      bool ok = n->op == "Relu" || is_relabel(n->op) ||
                (is_affine_op(n->op) && (n->op == "BatchNormalization" ||
                                         (n->inputs.size() == 2 && (is_const(n->inputs[0]) || is_const(n->inputs[1])))));
      if (!ok || n->outputs.empty()) return {};
      if (is_output(n->outputs[0])) return relu ? std::vector<const Node*>{} : chain;
      n = sole_consumer(n->outputs[0]);
    }
    return {};
  }

  /// A typed activation starts a pending chain at an affine op when the chain
  /// reaches a quantizer or a graph output and contains what ordinary layers
  /// cannot do exactly (a BatchNorm, a float constant, a float-scale quantizer).
  bool starts_chain(const Node& n) {
    if (!g.quantized || !is_affine_op(n.op)) return false;  // float models keep hls4ml's configured types
    if (const Node* p = g.producer(pending_input(n)); p && (p->op == "MatMul" || p->op == "Gemm") && configured(*p))
      return false;  // a configured Dense keeps its bias
    for (const Node* c : chain_from(&n)) {
      if (c->op == "BatchNormalization") return true;
      if (is_quantizer(c->op)) return c->op == "BipolarQuant" || !quant_fixed_type(g, *c);
      if (is_affine_op(c->op))
        for (auto& i : c->inputs)
          if (is_const(i) && !g.tensor(i).type && !exact_type_of_values(g.tensor(i).values, 18)) return true;
    }
    return false;
  }

  Affine identity_of(const std::string& t) {
    Affine a;
    a.fw = t;
    a.a.assign(size_t(g.tensor(t).size()), 1.0);
    a.b.assign(size_t(g.tensor(t).size()), 0.0);
    return a;
  }

  void affine_step(const Node& n, Affine p) {
    const Shape& sh = g.tensor(n.outputs[0]).shape;
    if (p.relu) fail(n, "a Relu on the float-scaled output of '" + p.origin + "' must be followed by its quantizer");
    if (n.op == "BatchNormalization") {
      std::vector<double> k, o;
      batchnorm_affine(g, n, k, o);
      auto chan = channel_map(n, sh, int64_t(k.size()), g.source);
      for (size_t i = 0; i < p.a.size(); ++i) {
        p.a[i] *= k[size_t(chan[i])];
        p.b[i] = p.b[i] * k[size_t(chan[i])] + o[size_t(chan[i])];
      }
    } else {
      bool x_first = n.inputs[0] == pending_input(n);
      const std::string& c = x_first ? n.inputs[1] : n.inputs[0];
      if (!is_const(c)) fail(n, "float-scaled activations can only be combined with constants here");
      if (num_elements(sh) != int64_t(p.a.size()))
        fail(n, "constant '" + c + "' broadcasts the float-scaled activation to a larger shape " + shape_str(sh));
      std::vector<double> v = spread(n, c, sh);
      for (size_t i = 0; i < p.a.size(); ++i) {
        if (n.op == "Mul") p.a[i] *= v[i], p.b[i] *= v[i];
        else if (n.op == "Add") p.b[i] += v[i];
        else if (n.op == "Sub" && x_first) p.b[i] -= v[i];
        else if (n.op == "Sub") p.a[i] = -p.a[i], p.b[i] = v[i] - p.b[i];
        else if (n.op == "Div" && x_first) p.a[i] /= v[i], p.b[i] /= v[i];
        else fail(n, "division by a float-scaled activation has no exact form");
      }
    }
    pending[n.outputs[0]] = std::move(p);
  }

  std::string pending_input(const Node& n) const {
    for (auto& i : n.inputs)
      if (!i.empty() && !is_const(i)) return i;
    return "";
  }

  /// Quant / BipolarQuant of a pending activation → Threshold.
  void quantizer(const Node& n, Affine p) {
    const Shape& sh = g.tensor(n.outputs[0]).shape;
    Node t;
    t.name = n.name;
    t.op = "Threshold";
    t.outputs = n.outputs;
    std::vector<double> s = spread(n, n.inputs.at(1), sh);
    for (double v : s)
      if (!(v > 0) || !std::isfinite(v)) fail(n, "quantizer scale " + std::to_string(v) + " is not positive and finite");
    int64_t lo, hi, zero = 0;
    std::string mode;
    if (n.op == "BipolarQuant") {
      mode = "SIGN", lo = -1, hi = 1;
    } else {
      if (n.inputs.size() < 4 || !is_const(n.inputs[2]) || !is_const(n.inputs[3]))
        fail(n, "Quant with a non-constant zero point or bit width is not supported");
      const auto& z = g.tensor(n.inputs[2]).values;
      const auto& bw = g.tensor(n.inputs[3]).values;
      if (bw.size() != 1 || bw[0] != std::floor(bw[0]) || bw[0] < 1 || bw[0] > 16)
        fail(n, "a float-scale Quant becomes a Threshold layer, which takes 1..16 bits (got " +
                    std::to_string(bw[0]) + ")");
      if (z.empty() || std::any_of(z.begin(), z.end(), [&](double v) { return v != z[0]; }) ||
          z[0] != std::floor(z[0]) || std::fabs(z[0]) > 65536)
        fail(n, "Quant zero point must be one integer value within +-65536");
      zero = int64_t(z[0]);
      bool sg = n.attr_int("signed", 1) != 0, narrow = n.attr_int("narrow", 0) != 0;
      mode = n.attr_str("rounding_mode", "ROUND");
      std::transform(mode.begin(), mode.end(), mode.begin(), ::toupper);
      double dlo, dhi;
      quant_int_range(sg, narrow, bw[0], dlo, dhi);
      lo = int64_t(dlo), hi = int64_t(dhi);
      if (sg && bw[0] == 1) mode = "SIGN", lo = -1, hi = 1;  // qonnx: 1-bit signed Quant is bipolar
      if (mode == "SIGN" && zero != 0) fail(n, "a bipolar quantizer with a zero point is not supported");
    }
    // v = (A x + B) / s + zero; a pending Relu raises the lower clamp to the zero point.
    std::vector<double> sc(p.a.size()), of(p.a.size());
    for (size_t i = 0; i < sc.size(); ++i) {
      sc[i] = std::isnan(p.a[i]) ? 0.0 : p.a[i] / s[i];  // NaN: a padding zero, always code 0
      of[i] = p.b[i] / s[i] + double(mode == "SIGN" ? 0 : zero);
      if (!std::isfinite(sc[i]) || !std::isfinite(of[i]))
        fail(n, "the float constants before this quantizer (weights, biases, BatchNorm parameters, scales) give a "
                "non-finite scale or offset at element " + std::to_string(i));
    }
    if (p.relu) {
      if (mode == "SIGN") std::fill(sc.begin(), sc.end(), 0.0), std::fill(of.begin(), of.end(), 1.0);
      else lo = std::min(std::max(lo, zero), hi);
    }
    // One scale and offset per element (Threshold's channel_map reads them as channels of one element).
    t.inputs = {p.fw, g.add_constant(n.name + "_thr_scale", {int64_t(sc.size())}, sc),
                g.add_constant(n.name + "_thr_offset", {int64_t(of.size())}, of)};
    t.attrs["mode"] = mode;
    t.attrs["lo"] = lo;
    t.attrs["hi"] = hi;
    t.attrs["zero"] = mode == "SIGN" ? int64_t(0) : zero;
    // Output raw codes lo-zero .. hi-zero; with one power-of-two scale they are the value itself.
    const int64_t rlo = lo - (mode == "SIGN" ? 0 : zero), rhi = hi - (mode == "SIGN" ? 0 : zero);
    bool po2 = std::all_of(s.begin(), s.end(), [&](double v) { return v == s[0]; }) && is_po2(s[0]);
    int frac = 0;
    if (po2) std::frexp(s[0], &frac), frac = 1 - frac;
    t.precision.result = type_for_range(rlo, rhi, po2 ? frac : 0);
    out.push_back(t);
    if (!po2) {
      Affine q = identity_of(n.outputs[0]);
      q.a = s;
      q.origin = n.name;
      pending[n.outputs[0]] = q;
    }
  }

  /// MatMul/Gemm with constant weights on a pending activation or with
  /// float-scaled weight codes.
  void matmul(const Node& n, std::optional<Affine> px) {
    if (n.op == "Gemm" && n.attr_int("transA", 0)) fail(n, "Gemm with transA=1 is not supported");
    const std::string& x = n.inputs.at(0);
    const Tensor& W = g.tensor(n.inputs.at(1));
    if (W.shape.size() != 2) fail(n, "weight must be a matrix, got " + shape_str(W.shape));
    const Shape& xs = g.tensor(x).shape;
    if (xs.empty()) fail(n, "float-scaled MatMul input is a scalar");
    bool tb = n.op == "Gemm" && n.attr_int("transB", 0);
    int64_t n_in = tb ? W.shape[1] : W.shape[0], n_out = tb ? W.shape[0] : W.shape[1];
    if (n_in != xs.back()) fail(n, "weight " + shape_str(W.shape) + " does not match the input " + shape_str(xs));
    const int64_t outer = g.tensor(x).size() / n_in;  // rows (a convolution's positions)
    double alpha = n.op == "Gemm" ? n.attr_float("alpha", 1.0) : 1.0;
    auto at = [&](const std::vector<double>& v, int64_t i, int64_t j) { return v[size_t(tb ? j * n_in + i : i * n_out + j)]; };
    if (!px) px = identity_of(x);
    if (px->relu) fail(n, "a Relu on the float-scaled output of '" + px->origin + "' must be followed by its quantizer");
    // One input scale and offset per column, equal in every row (a NaN scale marks a padding zero: any scale).
    std::vector<double> ai(size_t(n_in), NAN), bi(size_t(n_in), 0.0);
    for (int64_t i = 0; i < n_in; ++i) {
      bi[size_t(i)] = px->b[size_t(i)];
      for (int64_t o = 0; o < outer; ++o) {
        const double a = px->a[size_t(o * n_in + i)], b = px->b[size_t(o * n_in + i)];
        if (b != bi[size_t(i)])
          fail(n, "input " + std::to_string(i) + " has different offsets in different rows (zero padding of a value "
                  "with a zero point has no exact integer form here)");
        if (std::isnan(a)) continue;
        if (std::isnan(ai[size_t(i)])) ai[size_t(i)] = a;
        else if (a != ai[size_t(i)]) fail(n, "input " + std::to_string(i) + " has different float scales in different rows");
      }
    }
    const auto a_of = [&](int64_t i) { return std::isnan(ai[size_t(i)]) ? 0.0 : ai[size_t(i)]; };
    const bool typed = W.type.has_value();
    std::vector<double> codes(size_t(n_in * n_out)), d(size_t(n_out), 0.0), bo(size_t(n_out), 0.0);
    std::vector<double> real(size_t(n_in * n_out));
    for (int64_t i = 0; i < n_in; ++i)
      for (int64_t j = 0; j < n_out; ++j) {
        double w = at(W.values, i, j), s = W.code_scale.empty() ? 1.0 : at(W.code_scale, i, j);
        real[size_t(i * n_out + j)] = w * alpha;
        codes[size_t(i * n_out + j)] = W.code_scale.empty() ? w : std::nearbyint(w / s);
        bo[size_t(j)] += bi[size_t(i)] * w * alpha;
      }
    std::string wname;
    if (!typed) {  // float weights: the input scale folds into them (typed by the configuration later)
      for (int64_t i = 0; i < n_in; ++i)
        for (int64_t j = 0; j < n_out; ++j) real[size_t(i * n_out + j)] *= a_of(i);
      wname = g.add_constant(n.name + "_W", {n_in, n_out}, real);
      std::fill(d.begin(), d.end(), 1.0);
    } else {
      // Per column j: every a_i * s_ij * alpha must be d_j times a power of two.
      std::vector<double> k(codes.size());
      for (int64_t j = 0; j < n_out; ++j) {
        for (int64_t i = 0; i < n_in; ++i) {
          double s = W.code_scale.empty() ? 1.0 : at(W.code_scale, i, j);
          double f = ai[size_t(i)] * s * alpha;
          if (codes[size_t(i * n_out + j)] == 0 || std::isnan(f)) continue;
          if (d[size_t(j)] == 0) d[size_t(j)] = f;
          double r = f / d[size_t(j)];
          if (!is_po2(std::fabs(r)) || r < 0)
            fail(n, "the scales of input " + std::to_string(i) + " and weight column " + std::to_string(j) +
                        " do not factor into one per-column scale times powers of two (no exact integer form)");
        }
        if (d[size_t(j)] == 0) d[size_t(j)] = 1;
        for (int64_t i = 0; i < n_in; ++i) {
          double s = W.code_scale.empty() ? 1.0 : at(W.code_scale, i, j);
          k[size_t(i * n_out + j)] = codes[size_t(i * n_out + j)] * (a_of(i) * s * alpha / d[size_t(j)]);
        }
      }
      auto kt = exact_type_of_values(k, 32);
      if (!kt) fail(n, "the integer weight codes need more than 32 significant bits");
      wname = g.add_constant(n.name + "_W_codes", {n_in, n_out}, k);
      g.tensor(wname).type = *kt;
    }
    if (n.op == "Gemm" && n.inputs.size() > 2 && !n.inputs[2].empty()) {
      if (!is_const(n.inputs[2])) fail(n, "Gemm C must be a constant");
      std::vector<double> c = spread(n, n.inputs[2], {n_out});
      double beta = n.attr_float("beta", 1.0);
      for (int64_t j = 0; j < n_out; ++j) bo[size_t(j)] += beta * c[size_t(j)];
    }
    Node m;
    m.name = n.name;
    m.op = "MatMul";
    m.inputs = {px->fw, wname};
    m.outputs = n.outputs;
    out.push_back(m);
    Affine y = identity_of(n.outputs[0]);
    for (int64_t o = 0; o < outer; ++o) {
      std::copy(d.begin(), d.end(), y.a.begin() + o * n_out);
      std::copy(bo.begin(), bo.end(), y.b.begin() + o * n_out);
    }
    y.origin = px->origin.empty() ? n.name : px->origin;
    if (!y.identity()) pending[n.outputs[0]] = y;
  }

  /// A Move (im2col, pooling windows, padding; passes/lower_spatial.cpp)
  /// carries every element's (A, B) along; a padding zero (map entry -1) is
  /// code 0 with any scale (NaN) and offset 0.
  void move_affine(const Node& n) {
    Affine all;
    Node m = n;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      auto it = pending.find(n.inputs[k]);
      Affine p = it == pending.end() ? identity_of(n.inputs[k]) : it->second;
      if (p.relu) fail(n, "a Relu on the float-scaled output of '" + p.origin + "' must be followed by its quantizer");
      if (all.origin.empty()) all.origin = p.origin;
      all.a.insert(all.a.end(), p.a.begin(), p.a.end());
      all.b.insert(all.b.end(), p.b.begin(), p.b.end());
      m.inputs[k] = p.fw;
    }
    Affine y = identity_of(n.outputs[0]);
    const auto map = n.attr_ints("map", {});
    for (size_t i = 0; i < map.size(); ++i) {
      y.a[i] = map[i] < 0 ? NAN : all.a[size_t(map[i])];
      y.b[i] = map[i] < 0 ? 0.0 : all.b[size_t(map[i])];
    }
    y.origin = all.origin;
    out.push_back(m);
    pending[n.outputs[0]] = y;
  }

  /// ReduceMax (MaxPool) of a pending value: max(a·x + b) = a·max(x) + b when
  /// every term of a group has the same a > 0 (NaN: a padding zero) and b.
  /// Returns false (the caller materializes) when some group does not.
  bool reduce_max_affine(const Node& n, const Affine& p) {
    if (p.relu) return false;
    const ReduceGroups gr = reduce_groups(n, g.tensor(n.inputs[0]).shape, g.source);
    Affine y = identity_of(n.outputs[0]);
    for (size_t o = 0; o + 1 < gr.start.size(); ++o) {
      double a = NAN, b = p.b[size_t(gr.map[size_t(gr.start[o])])];
      for (int64_t k = gr.start[o]; k < gr.start[o + 1]; ++k) {
        const size_t i = size_t(gr.map[size_t(k)]);
        if (p.b[i] != b) return false;
        if (std::isnan(p.a[i])) continue;
        if (!(p.a[i] > 0) || (!std::isnan(a) && p.a[i] != a)) return false;
        a = p.a[i];
      }
      y.a[o] = a;
      y.b[o] = b;
    }
    Node m = n;
    m.inputs[0] = p.fw;
    out.push_back(m);
    y.origin = p.origin;
    pending[n.outputs[0]] = y;
    return true;
  }

  /// Relabels move the per-element constants with the elements.
  void relabel(const Node& n, Affine p) {
    Node m = n;
    m.inputs[0] = p.fw;
    std::vector<FArray> arrays;
    std::vector<FArg> args;
    for (auto& i : n.inputs) arrays.push_back(i.empty() ? FArray{} : FArray{g.tensor(i).shape, g.tensor(i).values});
    auto moved = [&](const std::vector<double>& v) {
      arrays[0] = FArray{g.tensor(n.inputs[0]).shape, v};
      args.clear();
      for (size_t k = 0; k < n.inputs.size(); ++k)
        args.push_back({n.inputs[k].empty() ? nullptr : &arrays[k], k == 0});
      Node e = n;
      if (e.op == "Dropout") e.op = "Identity";
      return eval_float(e, args, g.source)[0].v;
    };
    p.a = moved(p.a);
    p.b = moved(p.b);
    p.fw = n.outputs[0];
    out.push_back(m);
    pending[n.outputs[0]] = std::move(p);
  }

  /// A consumer that needs the model value: an exact fixed-point multiply and
  /// add when A and B are short binary fractions, else a refusal.
  std::string materialize(const Node& n, const std::string& t) {
    const Affine& p = pending.at(t);
    if (p.identity()) return p.fw;
    if (p.relu) fail(n, "a Relu on the float-scaled output of '" + p.origin + "' must be followed by its quantizer");
    const std::vector<double> a = host_scale(p.a);
    auto ta = exact_type_of_values(a, 24), tb = exact_type_of_values(p.b, 24);
    if (!ta || !tb)
      fail(n, "its input '" + t + "' carries the float scale of '" + p.origin +
                  "', which has no exact fixed-point form here (quantize it before this op)");
    const Shape& sh = g.tensor(t).shape;
    std::string ca = g.add_constant(t + "_dequant_scale", sh, a), cb = g.add_constant(t + "_dequant_offset", sh, p.b);
    g.tensor(ca).type = *ta;
    g.tensor(cb).type = *tb;
    const std::string m1 = g.add_activation(t + "_scaled", sh), m2 = g.add_activation(t + "_dequant", sh);
    Node mul;
    mul.name = t + "_dequant_mul";
    mul.op = "Mul";
    mul.inputs = {p.fw, ca};
    mul.outputs = {m1};
    Node add = mul;
    add.name = t + "_dequant_add";
    add.op = "Add";
    add.inputs = {m1, cb};
    add.outputs = {m2};
    out.push_back(mul);
    out.push_back(add);
    return m2;
  }

  void node(const Node& n) {
    std::string x = pending_input(n);
    auto it = x.empty() ? pending.end() : pending.find(x);
    bool pend = it != pending.end();
    const std::string& op = n.op;
    const bool with_const = is_affine_op(op) && !x.empty() &&
                            (op == "BatchNormalization" ||
                             (n.inputs.size() == 2 && (is_const(n.inputs[0]) || is_const(n.inputs[1]))));
    if (pend && with_const) return affine_step(n, it->second);
    if (!pend && with_const && starts_chain(n)) return affine_step(n, identity_of(x));
    if (pend && op == "Relu") {
      const Node* q = sole_consumer(n.outputs[0]);
      Affine p = it->second;
      if (q && is_quantizer(q->op)) {
        p.relu = true;
        pending[n.outputs[0]] = p;
        return;
      }
      bool positive = std::all_of(p.a.begin(), p.a.end(), [](double v) { return v > 0 || std::isnan(v); }) &&
                      std::all_of(p.b.begin(), p.b.end(), [](double v) { return v == 0; });
      Node r = n;
      if (positive) {  // relu(a x) = a relu(x) for a > 0
        r.inputs[0] = p.fw;
        out.push_back(r);
        p.fw = n.outputs[0];
        pending[n.outputs[0]] = p;
        return;
      }
      r.inputs[0] = materialize(n, x);
      out.push_back(r);
      return;
    }
    if (is_quantizer(op) && !x.empty() && x == n.inputs[0]) {
      if (pend) return quantizer(n, it->second);
      bool exact = op == "Quant" && quant_fixed_type(g, n);  // (1-bit signed = bipolar has no fixed type)
      bool po2_bipolar = op == "BipolarQuant" && is_const(n.inputs.at(1)) && g.tensor(n.inputs[1]).values.size() == 1 &&
                         is_po2(g.tensor(n.inputs[1]).values[0]);
      if (!exact && !po2_bipolar) return quantizer(n, identity_of(x));
    }
    if ((op == "MatMul" || op == "Gemm") && n.inputs.size() >= 2 && is_const(n.inputs[1]) && !x.empty() &&
        x == n.inputs[0] && (pend || !g.tensor(n.inputs[1]).code_scale.empty()))
      return matmul(n, pend ? std::optional<Affine>(it->second) : std::nullopt);
    if (pend && is_relabel(op) && n.inputs[0] == x) return relabel(n, it->second);
    if (pend && op == "ReduceMax" && n.inputs[0] == x && reduce_max_affine(n, it->second)) return;
    if (op == "Move" && std::any_of(n.inputs.begin(), n.inputs.end(), [&](const std::string& i) { return pending.count(i) != 0; }))
      return move_affine(n);
    // Any other op: its pending inputs become model values.
    Node m = n;
    for (auto& i : m.inputs)
      if (!i.empty() && pending.count(i)) i = materialize(n, i);
    out.push_back(m);
  }

  void run() {
    std::vector<Node> nodes = g.nodes;
    for (const Node& n : nodes) {
      node(n);
      // A dequantization given by an earlier pass (InputQuant of a float-scale Quant) starts a chain.
      for (auto& o : n.outputs) {
        const Tensor& t = g.tensor(o);
        if (!t.dequant_scale.empty() && !pending.count(o)) {
          Affine a = identity_of(o);
          a.a = t.dequant_scale;
          a.b = t.dequant_offset.empty() ? std::vector<double>(a.a.size(), 0.0) : t.dequant_offset;
          a.origin = n.name;
          pending[o] = a;
        }
      }
    }
    // Graph outputs keep their integer form; the host applies (A, B).
    for (auto& o : g.outputs) {
      auto it = pending.find(o);
      if (it == pending.end()) continue;
      Affine p = it->second;
      if (p.relu) {
        Node r;
        r.name = o + "_relu";
        r.op = "Relu";
        fail(r, "a Relu on the float-scaled output of '" + p.origin + "' at a graph output is not supported");
      }
      if (p.fw != o) {
        Node id;
        id.name = o + "_codes";
        id.op = "Identity";
        id.inputs = {p.fw};
        id.outputs = {o};
        out.push_back(id);
      }
      if (p.identity()) continue;
      Tensor& t = g.tensor(o);
      t.dequant_scale = host_scale(p.a);
      t.dequant_offset = p.b;
    }
    // Firmware tensors that a quantizer or Dense produced in codes record their dequantization.
    for (auto& [name, p] : pending)
      if (p.fw == name && !p.identity() && !p.relu) {
        g.tensor(name).dequant_scale = host_scale(p.a);
        g.tensor(name).dequant_offset = p.b;
      }
    // Float-scaled constants left outside a MatMul are plain float constants.
    for (auto& [name, t] : g.tensors)
      if (t.is_const && !t.code_scale.empty()) {
        t.type.reset();
        t.code_scale.clear();
      }
    g.nodes = std::move(out);
  }
};

}  // namespace

void absorb_scales(Graph& g, const Config& cfg) { Absorb{g, cfg, {}, {}}.run(); }

}  // namespace nanogate
