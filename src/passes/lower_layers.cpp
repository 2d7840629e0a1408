// nanogate — ONNX-level nodes → nanogate layers (passes.hpp, lower_layers).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "emulate/float_ops.hpp"
#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"
#include "passes/quant_type.hpp"

namespace nanogate {

namespace {

bool is_move(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Transpose" ||
         op == "Gather" || op == "Concat" || op == "Identity" || op == "Dropout";
}

struct Lowering {
  Graph& g;
  std::vector<Node> out;
  std::vector<std::string> absorbed;  // names of nodes fused into an earlier layer

  [[noreturn]] void fail(const Node& n, const std::string& why) { throw Error(g.source, n.name, n.op, why); }
  bool is_const(const std::string& t) { return !t.empty() && g.tensor(t).is_const; }

  /// The single consumer of `t`, when there is exactly one and `t` is not a graph output.
  Node* sole_consumer(const std::string& t) {
    if (std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end()) return nullptr;
    Node* found = nullptr;
    for (auto& n : g.nodes)
      for (auto& i : n.inputs)
        if (i == t) {
          if (found && found != &n) return nullptr;
          found = &n;
        }
    return found;
  }

  std::string new_const(const std::string& name, Shape shape, std::vector<double> values) {
    return g.add_constant(name, std::move(shape), std::move(values));
  }
  std::string new_activation(const std::string& name, const Shape& shape) { return g.add_activation(name, shape); }
  Node make(const Node& from, const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
            const std::string& suffix = "") {
    Node n;
    n.name = from.name + suffix;
    n.op = op;
    n.inputs = std::move(ins);
    n.outputs = std::move(outs);
    return n;
  }

  /// Bias of a following Add with a constant of n_out values, if any.
  Node* bias_add(const std::string& t, int64_t n_out) {
    Node* a = sole_consumer(t);
    if (!a || a->op != "Add" || a->inputs.size() != 2) return nullptr;
    const std::string& other = a->inputs[0] == t ? a->inputs[1] : a->inputs[0];
    if (!is_const(other) || num_elements(g.tensor(other).shape) != n_out) return nullptr;
    return a;
  }

  void dense(const Node& n) {
    const std::string& x = n.inputs.at(0);
    if (!is_const(n.inputs.at(1))) fail(n, "MatMul/Gemm of two activations is not supported (the second operand must be constant)");
    if (is_const(x)) fail(n, "constant first operand");
    std::string w = n.inputs[1];
    Tensor wt = g.tensor(w);
    if (n.op == "Gemm") {
      if (n.attr_int("transA", 0)) fail(n, "Gemm with transA=1 is not supported");
      double alpha = n.attr_float("alpha", 1.0);
      if (n.attr_int("transB", 0) || alpha != 1.0) {
        FArray a{wt.shape, wt.values};
        if (n.attr_int("transB", 0)) {
          Node tr;
          tr.name = n.name;
          tr.op = "Transpose";
          tr.attrs["perm"] = std::vector<int64_t>{1, 0};
          a = eval_float(tr, {FArg{&a, false}}, g.source)[0];
        }
        if (alpha != 1.0) {
          if (wt.type) fail(n, "Gemm alpha != 1 on quantized weights is not supported");
          for (auto& v : a.v) v *= alpha;
        }
        std::string nw = new_const(n.name + "_W", a.shape, a.v);
        g.tensor(nw).type = wt.type;
        w = nw;
      }
    }
    const Tensor& W = g.tensor(w);
    if (W.shape.size() != 2) fail(n, "weight must be a matrix, got " + shape_str(W.shape));
    Node d = make(n, "Dense", {x, w}, n.outputs);
    int64_t n_out = W.shape[1];
    std::string y = n.outputs.at(0);
    if (n.op == "Gemm" && n.inputs.size() > 2 && !n.inputs[2].empty()) {
      const Tensor& c = g.tensor(n.inputs[2]);
      if (!c.is_const || num_elements(c.shape) != n_out) fail(n, "Gemm C must be a constant of " + std::to_string(n_out) + " values");
      double beta = n.attr_float("beta", 1.0);
      std::string b = n.inputs[2];
      if (beta != 1.0) {
        std::vector<double> v = c.values;
        for (auto& e : v) e *= beta;
        b = new_const(n.name + "_b", {n_out}, v);
      }
      d.inputs.push_back(b);
    } else if (Node* a = bias_add(y, n_out)) {
      d.inputs.push_back(a->inputs[0] == y ? a->inputs[1] : a->inputs[0]);
      d.outputs = a->outputs;
      absorbed.push_back(a->name);
    }
    fold_batchnorm_into(d);
    out.push_back(d);
  }

  /// Folds a following BatchNormalization into a Dense with float weights
  /// (real-arithmetic exact; a quantized Dense keeps its BatchNorm).
  void fold_batchnorm_into(Node& d) {
    const Tensor& W = g.tensor(d.inputs[1]);
    if (W.type || (d.inputs.size() > 2 && g.tensor(d.inputs[2]).type)) return;
    Node* bn = sole_consumer(d.outputs[0]);
    if (!bn || bn->op != "BatchNormalization" || bn->inputs[0] != d.outputs[0]) return;
    int64_t n_in = W.shape[0], n_out = W.shape[1];
    for (int i = 1; i < 5; ++i)
      if (!is_const(bn->inputs[i]) || num_elements(g.tensor(bn->inputs[i]).shape) != n_out) return;
    double eps = bn->attr_float("epsilon", 1e-5);
    auto& gam = g.tensor(bn->inputs[1]).values;
    auto& bet = g.tensor(bn->inputs[2]).values;
    auto& mu = g.tensor(bn->inputs[3]).values;
    auto& var = g.tensor(bn->inputs[4]).values;
    std::vector<double> w = W.values, b(size_t(n_out), 0.0);
    if (d.inputs.size() > 2) b = g.tensor(d.inputs[2]).values;
    for (int64_t j = 0; j < n_out; ++j) {
      double a = gam[j] / std::sqrt(var[j] + eps);
      for (int64_t i = 0; i < n_in; ++i) w[i * n_out + j] *= a;
      b[j] = (b[j] - mu[j]) * a + bet[j];
    }
    std::string wn = new_const(d.name + "_W_bn", W.shape, w);
    std::string bname = new_const(d.name + "_b_bn", {n_out}, b);
    d.inputs = {d.inputs[0], wn, bname};
    d.outputs = bn->outputs;
    absorbed.push_back(bn->name);
  }

  void quant(const Node& n) {
    QuantAnalysis qa = analyze_quant(g, n);
    if (!qa.type) fail(n, "Quant cannot be lowered: " + qa.why_not);  // absorb_scales took every other form
    Node c = make(n, "Cast", {n.inputs[0]}, n.outputs);
    c.precision.result = qa.type;
    out.push_back(c);
  }

  void trunc(const Node& n) {
    for (size_t i = 1; i < n.inputs.size(); ++i)
      if (!is_const(n.inputs[i])) fail(n, "Trunc parameters must be constants");
    if (n.inputs.size() < 5) fail(n, "Trunc needs 5 or 6 inputs");
    auto val = [&](size_t i) {
      const auto& v = g.tensor(n.inputs[i]).values;
      if (v.size() != 1) fail(n, "Trunc parameters must be scalars");
      return v[0];
    };
    double s = val(1), zp = val(2), ibits = val(3);
    if (zp != 0) fail(n, "Trunc with a non-zero zero point is not supported");
    int e;
    if (std::frexp(s, &e) != 0.5) fail(n, "Trunc scale is not a power of two");
    int F = -(e - 1);
    std::string mode = n.attr_str("rounding_mode", "FLOOR");
    Rounding r;
    if (mode == "FLOOR") r = Rounding::TRN;
    else if (mode == "ROUND" || mode == "HALF_EVEN") r = Rounding::RND_CONV;
    else if (mode == "ROUND_TO_ZERO" || mode == "DOWN") r = Rounding::TRN_ZERO;
    else fail(n, "Trunc rounding_mode " + mode + " is not supported");
    const Shape& sh = g.tensor(n.inputs[0]).shape;
    // Step 1: round(x/s) onto the input grid (exact for inputs already on it).
    std::string t1 = new_activation(n.name + "_grid", sh);
    Node c1 = make(n, "Cast", {n.inputs[0]}, {t1}, "_grid");
    c1.precision.result = Fixed{true, int(ibits) + 1, int(ibits) + 1 - F, Rounding::RND_CONV, Overflow::WRAP};
    out.push_back(c1);
    Node c2 = make(n, "Cast", {t1}, n.outputs);
    if (n.inputs.size() >= 6) {  // v2: cast to the output scale's grid, clamped to output bits
      double os = val(4), obits = val(5);
      if (std::frexp(os, &e) != 0.5) fail(n, "Trunc output scale is not a power of two");
      int Fo = -(e - 1);
      bool sg = n.attr_int("signed", 1), narrow = n.attr_int("narrow", 0);
      if (narrow && !sg) fail(n, "narrow unsigned Trunc has no ap_fixed equivalent");
      c2.precision.result = Fixed{sg, int(obits), int(obits) - Fo, r, narrow ? Overflow::SAT_SYM : Overflow::SAT};
      out.push_back(c2);
    } else {  // v1: floor(round(x/s) / 2^(in-out)) * s, i.e. x * 2^-(in-out) cast to the grid
      double obits = val(4);
      std::string t2 = new_activation(n.name + "_shift", sh);
      Node m = make(n, "Mul", {t1, new_const(n.name + "_shift", {}, {std::exp2(obits - ibits)})}, {t2}, "_shift");
      out.push_back(m);
      c2.inputs = {t2};
      c2.precision.result = Fixed{true, int(obits) + 1, int(obits) + 1 - F, r, Overflow::WRAP};
      out.push_back(c2);
    }
  }

  void batchnorm(const Node& n) {
    for (int i = 1; i < 5; ++i)
      if (!is_const(n.inputs.at(i))) fail(n, "BatchNormalization parameters must be constants");
    Node b = make(n, "BatchNorm", n.inputs, n.outputs);
    b.attrs = n.attrs;
    out.push_back(b);
  }

  void move(const Node& n) {
    // The index map: evaluate the op on iota inputs (concatenated numbering).
    std::vector<FArray> arrays;
    std::vector<FArg> args;
    std::vector<std::string> acts;
    double offset = 0;
    for (auto& i : n.inputs) {
      if (i.empty() || is_const(i)) {
        arrays.push_back(i.empty() ? FArray{} : FArray{g.tensor(i).shape, g.tensor(i).values});
        continue;
      }
      const Tensor& t = g.tensor(i);
      FArray a{t.shape, std::vector<double>(size_t(t.size()))};
      std::iota(a.v.begin(), a.v.end(), offset);
      offset += double(t.size());
      arrays.push_back(std::move(a));
      acts.push_back(i);
    }
    for (size_t k = 0; k < n.inputs.size(); ++k)
      args.push_back({n.inputs[k].empty() ? nullptr : &arrays[k], !n.inputs[k].empty() && !is_const(n.inputs[k])});
    Node m = n;
    if (n.op == "Dropout" || n.op == "Identity") m.op = "Identity";
    FArray r = eval_float(m, args, g.source)[0];
    Node mv = make(n, "Move", acts, {n.outputs[0]});
    mv.attrs["source_op"] = n.op;
    std::vector<int64_t> map(r.v.begin(), r.v.end());
    mv.attrs["map"] = map;
    out.push_back(mv);
  }

  void run() {
    std::vector<Node> nodes = g.nodes;
    for (auto& n : nodes) {
      if (std::find(absorbed.begin(), absorbed.end(), n.name) != absorbed.end()) continue;
      const std::string& op = n.op;
      if (op == "MatMul" || op == "Gemm") dense(n);
      else if (op == "Quant") quant(n);
      else if (op == "FixedQuant") {  // frontends' exact ap_fixed cast (HGQ2 quantizers)
        Node c = make(n, "Cast", {n.inputs.at(0)}, n.outputs);
        c.precision.result = parse_fixed(n.attr_str("type", ""));
        out.push_back(c);
      }
      else if (op == "Trunc") trunc(n);
      else if (op == "BatchNormalization") batchnorm(n);
      else if (is_move(op)) move(n);
      else if (op == "Div") {
        if (!is_const(n.inputs[1])) fail(n, "Div by an activation is not supported");
        std::vector<double> v = g.tensor(n.inputs[1]).values;
        for (auto& e : v) e = 1.0 / e;
        out.push_back(make(n, "Mul", {n.inputs[0], new_const(n.name + "_reciprocal", g.tensor(n.inputs[1]).shape, v)},
                           n.outputs));
      } else if (op == "Pow") {
        if (!is_const(n.inputs[1])) fail(n, "Pow with a non-constant exponent is not supported");
        const auto& e = g.tensor(n.inputs[1]).values;
        if (e.size() != 1 || (e[0] != 1 && e[0] != 2)) fail(n, "Pow of an activation supports only the exponents 1 and 2");
        if (e[0] == 2) out.push_back(make(n, "Mul", {n.inputs[0], n.inputs[0]}, n.outputs));
        else out.push_back(make(n, "Move", {n.inputs[0]}, n.outputs));
        if (e[0] == 1) {
          std::vector<int64_t> map(size_t(g.tensor(n.inputs[0]).size()));
          std::iota(map.begin(), map.end(), 0);
          out.back().attrs["map"] = map;
        }
      } else if (op == "Neg") {
        out.push_back(make(n, "Mul", {n.inputs[0], new_const(n.name + "_minus_one", {}, {-1.0})}, n.outputs));
      } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Relu" || op == "LeakyRelu" || op == "Sigmoid" ||
                 op == "Softmax" || op == "ReduceSum" || op == "ReduceMax" || op == "BipolarQuant" ||
                 op == "InputQuant" || op == "Threshold" || op == "Move") {
        Node c = n;
        if ((op == "ReduceSum" || op == "ReduceMax") && !n.has_attr("axes") && n.inputs.size() > 1 &&
            is_const(n.inputs[1])) {
          const Tensor& axes = g.tensor(n.inputs[1]);
          c.attrs["axes"] = int_values(FloatCtx{n, g.source}, FArray{axes.shape, axes.values}, "axes");
          c.inputs.resize(1);
        }
        out.push_back(c);
      } else {
        fail(n, "op '" + op + "' on activations is not supported");
      }
    }
    g.nodes = std::move(out);
  }
};

}  // namespace

void lower_layers(Graph& g) { Lowering{g, {}, {}}.run(); }

}  // namespace nanogate
