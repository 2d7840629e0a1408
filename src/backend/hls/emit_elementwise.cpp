// nanogate HLS backend — element-wise layers: activations, casts, arithmetic
// with constants or other tensors, BatchNorm, Threshold, Sigmoid, Softmax.
#include <algorithm>
#include <cmath>

#include "backend/hls/layer_emitter.hpp"
#include "backend/hls/types.hpp"
#include "emulate/float_ops.hpp"
#include "emulate/layer_tables.hpp"

namespace nanogate::hls {

namespace {

bool is_identity(const std::vector<int64_t>& m) {
  for (size_t i = 0; i < m.size(); ++i)
    if (m[i] != int64_t(i)) return false;
  return true;
}

/// An operand expression at element `i`: an activation (through a broadcast
/// index table when needed) or a constant expanded to the output's shape.
std::string operand(LayerCtx& c, size_t k, int64_t osz) {
  const Graph& g = c.graph;
  const std::string& name = c.node.inputs[k];
  const Tensor& t = g.tensor(name);
  const Shape& oshape = c.output.shape;
  std::string tag = std::to_string(k);
  if (t.is_const) {
    Fixed tw = *c.node.precision.weight;
    std::string ct = c.typedef_for("weight", tw);
    Shape s = t.shape;
    if (s.size() == oshape.size() + 1) s.erase(s.begin());
    auto map = nanogate::broadcast_map(s, oshape);
    std::vector<int64_t> codes;
    for (int64_t i = 0; i < osz; ++i) codes.push_back(quantize(t.values[size_t(map[size_t(i)])], tw));
    c.table(c.id + "_c" + tag, ct, tw, codes,
            c.node.name + ": constant operand " + tag + " ('" + name + "'), broadcast to " + shape_str(oshape));
    return c.id + "_c" + tag + "(i)";
  }
  size_t arg = 0;  // activation inputs are the function's arguments in node-input order
  for (size_t q = 0; q < k; ++q)
    if (!c.node.inputs[q].empty() && !g.tensor(c.node.inputs[q]).is_const) ++arg;
  const ArrayArg* a = &c.inputs.at(arg);
  auto map = nanogate::broadcast_map(t.shape, oshape);
  if (is_identity(map) && a->size == osz) return at(a->var, "i");
  std::vector<std::string> idx;
  for (int64_t v : map) idx.push_back(std::to_string(v));
  c.weights.comment(c.node.name + ": broadcast index of '" + name + "' per output element");
  c.weights.const_array("int", c.id + "_map" + tag, idx);
  return at(a->var, at(c.id + "_map" + tag, "i"));
}

void open_elements(LayerCtx& c, int64_t n) {
  c.body.open_for("Element", "i", n);
  c.body.pragma("UNROLL");
}

void emit_threshold_or_batchnorm(LayerCtx& c) {
  const Node& n = c.node;
  const ArrayArg& x = c.inputs.at(0);
  std::vector<double> sc, of;
  if (n.op == "BatchNorm") batchnorm_affine(c.graph, n, sc, of);
  else threshold_affine(c.graph, n, sc, of);
  int64_t C = int64_t(sc.size()), size = c.output.size;
  const Shape& os = c.output.shape;
  if (os.empty() || (os[0] != C && C != size))
    c.fail("channel count " + std::to_string(C) + " does not match shape " + shape_str(os));
  int64_t inner = C == size ? 1 : size / os[0];
  std::string chan = inner == 1 ? "i % " + std::to_string(C) : "(i / " + std::to_string(inner) + ") % " + std::to_string(C);
  if (n.op == "BatchNorm") {
    Fixed ts = *n.precision.weight, to = *n.precision.bias;
    std::string st = c.typedef_for("weight", ts), ot = c.typedef_for("bias", to);
    std::vector<int64_t> sv, ov;
    for (double v : sc) sv.push_back(quantize(v, ts));
    for (double v : of) ov.push_back(quantize(v, to));
    c.table(c.id + "_scale", st, ts, sv, n.name + ": per-channel scale");
    c.table(c.id + "_offset", ot, to, ov, n.name + ": per-channel offset");
    c.body.comment("BatchNorm: y = (result)(x * scale[c] + offset[c]), exact before the cast");
    open_elements(c, size);
    c.body.line("const int c = " + chan + ";");
    c.body.line(at(c.output.var, "i") + " = " +
                cast(c.output.ctype, at(x.var, "i") + " * " + c.id + "_scale(c) + " + c.id + "_offset(c)") + ";");
    c.body.close();
    return;
  }
  // Threshold: output code = min code + number of thresholds reached.
  const Fixed& tx = x.type;
  const Fixed& ty = c.output.type;
  ThresholdTable table = compute_thresholds(c.graph, n, tx);
  const std::vector<std::vector<int64_t>>& thr = table.thr;
  const std::vector<int>& dirs = table.dir;
  int64_t L = int64_t(thr.at(0).size());
  Fixed tt{true, tx.width + 2, tx.int_bits + 2};  // holds the sentinels min-1 and max+1
  std::string tt_name = c.typedef_for("threshold", tt);
  std::vector<int64_t> tv, lv;
  std::vector<std::string> dv;
  for (auto& row : thr)
    for (int64_t t : row) tv.push_back(t);
  for (int64_t k = 0; k <= L; ++k) lv.push_back(table.base + table.step * k);
  bool all_up = std::all_of(dirs.begin(), dirs.end(), [](int d) { return d > 0; });
  c.table(c.id + "_thr", tt_name, tt, tv,
          n.name + ": BatchNorm + Quant as a step function; thresholds [" + std::to_string(C) + "][" +
              std::to_string(L) + "] on the input " + describe(tx) + " (one beyond its range is never reached)");
  if (!all_up) {
    for (int d : dirs) dv.push_back(d > 0 ? "true" : "false");
    c.weights.comment(n.name + ": true where the output increases with the input (x >= threshold), else x <= threshold");
    c.weights.const_array("bool", c.id + "_up", dv);
  }
  c.table(c.id + "_level", c.output.ctype, ty, lv, n.name + ": output value for each count of thresholds reached");
  c.body.comment("Threshold (BatchNorm + Quant, exact step function): y = level[number of thresholds reached]");
  open_elements(c, size);
  c.body.line("const int c = " + chan + ";");
  c.body.line("int count = 0;");
  c.body.open_for("Step", "k", L);
  c.body.pragma("UNROLL");
  std::string t = c.id + "_thr(c * " + std::to_string(L) + " + k)";
  std::string xi = at(x.var, "i");
  if (all_up) c.body.line("count += " + xi + " >= " + t + " ? 1 : 0;");
  else c.body.line("count += (" + at(c.id + "_up", "c") + " ? " + xi + " >= " + t + " : " + xi + " <= " + t + ") ? 1 : 0;");
  c.body.close();
  c.body.line(at(c.output.var, "i") + " = " + c.id + "_level(count)" + ";");
  c.body.close();
}

void emit_sigmoid(LayerCtx& c) {
  const ArrayArg& x = c.inputs.at(0);
  const Fixed& tx = x.type;
  const Fixed& ty = c.output.type;
  if (tx.width <= 12) {
    int64_t n = int64_t(1) << tx.width;
    std::vector<int64_t> vals;
    for (int64_t u = 0; u < n; ++u) {
      int64_t raw = tx.is_signed && u >= n / 2 ? u - n : u;
      vals.push_back(quantize(1.0 / (1.0 + std::exp(-tx.value(raw))), ty));
    }
    c.table(c.id + "_table", c.output.ctype, ty, vals,
            c.node.name + ": sigmoid of every input code (index = raw bits of the " + describe(tx) +
                " input), computed by nanogate in double and cast");
    c.body.comment("Sigmoid: a table over every input code (exact by construction)");
    open_elements(c, c.output.size);
    c.body.line(at(c.output.var, "i") + " = " + c.id + "_table(ap_uint<" + std::to_string(tx.width) + ">(" + at(x.var, "i") + ".range(" +
                std::to_string(tx.width - 1) + ", 0)).to_int())" + ";");
    c.body.close();
    return;
  }
  c.body.comment("Sigmoid of a " + std::to_string(tx.width) +
                 "-bit input: computed in double, then cast (the emulator's definition).\n"
                 "NOTE: csim semantics; not a synthesis architecture (configure a narrower input for a table).");
  open_elements(c, c.output.size);
  c.body.line(at(c.output.var, "i") + " = " +
              cast(c.output.ctype, "1.0 / (1.0 + std::exp(-" + at(x.var, "i") + ".to_double()))") + ";");
  c.body.close();
}

void emit_softmax(LayerCtx& c) {
  const Node& n = c.node;
  const ArrayArg& x = c.inputs.at(0);
  const Shape& s = x.shape;
  int64_t opset = n.attr_int("_opset", 13);
  int64_t axis = n.attr_int("axis", opset >= 13 ? -1 : 1);
  int64_t full = int64_t(s.size()) + 1;
  if (axis < 0) axis += full;
  if (axis <= 0 || axis >= full) c.fail("Softmax axis " + std::to_string(axis) + " is the batch or out of range");
  int64_t ax = axis - 1, inner = 1, len = s.empty() ? 1 : s[size_t(ax)];
  if (opset >= 13) {
    for (size_t d = size_t(ax) + 1; d < s.size(); ++d) inner *= s[d];
  } else {
    len = 1;
    for (size_t d = size_t(ax); d < s.size(); ++d) len *= s[d];
  }
  int64_t outer = len * inner == 0 ? 0 : x.size / (len * inner);
  std::string idx = "(o * " + std::to_string(len) + " + k) * " + std::to_string(inner) + " + q";
  c.body.comment("Softmax over " + std::to_string(len) +
                 " values: exp(x - max) / sum computed in double, then cast (the emulator's definition).\n"
                 "NOTE: csim semantics; not a synthesis architecture (hls4ml uses exp/inverse tables).");
  c.body.open_for("Group", "o", outer);
  c.body.open_for("Inner", "q", inner);
  c.body.line("double mx = -INFINITY, sum = 0;");
  c.body.open_for("Max", "k", len);
  c.body.line("mx = std::max(mx, " + at(x.var, idx) + ".to_double());");
  c.body.close();
  c.body.open_for("Sum", "k", len);
  c.body.line("sum += std::exp(" + at(x.var, idx) + ".to_double() - mx);");
  c.body.close();
  c.body.open_for("Normalise", "k", len);
  c.body.line(at(c.output.var, idx) + " = " +
              cast(c.output.ctype, "std::exp(" + at(x.var, idx) + ".to_double() - mx) / sum") + ";");
  c.body.close();
  c.body.close();
  c.body.close();
}

}  // namespace

void emit_elementwise(LayerCtx& c) {
  const Node& n = c.node;
  const std::string& op = n.op;
  int64_t osz = c.output.size;
  const std::string& y = c.output.var;
  const std::string& R = c.output.ctype;
  if (op == "BatchNorm" || op == "Threshold") return emit_threshold_or_batchnorm(c);
  if (op == "Sigmoid") return emit_sigmoid(c);
  if (op == "Softmax") return emit_softmax(c);
  if (op == "Add" || op == "Sub" || op == "Mul") {
    std::string a = operand(c, 0, osz), b = operand(c, 1, osz);
    std::string sym = op == "Add" ? " + " : op == "Sub" ? " - " : " * ";
    c.body.comment(op + ": exact ap_fixed arithmetic, then one cast to the result type");
    open_elements(c, osz);
    c.body.line(at(y, "i") + " = " + cast(R, a + sym + b) + ";");
    c.body.close();
    return;
  }
  const std::string xi = at(c.inputs.at(0).var, "i");
  if (op == "Relu") {
    c.body.comment("Relu: y = x > 0 ? (result)x : 0");
    open_elements(c, osz);
    c.body.line(at(y, "i") + " = " + xi + " > 0 ? " + cast(R, xi) + " : " + cast(R, "0") + ";");
  } else if (op == "Cast") {
    c.body.comment("Cast (QONNX Quant): y = (result)x with the result's rounding and overflow modes");
    const Fixed& tx = c.inputs.at(0).type;
    const Fixed& ty = c.output.type;
    std::string src = xi;
    if (tx.frac_bits() - ty.frac_bits() >= tx.width) {
      // The rounding bit lies above x's MSB, where ap_private asserts ("reading
      // bit beyond MSB"): sign- or zero-extend x first (exact), then cast.
      Fixed wide = tx;
      wide.int_bits = std::max({tx.int_bits, ty.int_bits, 1 - ty.frac_bits()}) + 1;
      wide.width = wide.int_bits + tx.frac_bits();
      wide.rounding = Rounding::TRN;
      wide.overflow = Overflow::WRAP;
      src = cast(c.typedef_for("wide", wide), xi);
    }
    open_elements(c, osz);
    c.body.line(at(y, "i") + " = " + cast(R, src) + ";");
  } else if (op == "LeakyRelu") {
    Fixed ta = *n.precision.weight;
    std::string at_ = c.typedef_for("weight", ta);
    c.weights.comment(n.name + ": alpha " + describe(ta));
    c.weights.line("static const " + at_ + " " + c.id + "_alpha = " + value_literal(quantize(n.attr_float("alpha", 0.01), ta), ta) + ";");
    c.body.comment("LeakyRelu: y = x >= 0 ? (result)x : (result)(x * alpha)");
    open_elements(c, osz);
    c.body.line(at(y, "i") + " = " + xi + " >= 0 ? " + cast(R, xi) + " : " + cast(R, xi + " * " + c.id + "_alpha") + ";");
  } else if (op == "BipolarQuant") {
    const Fixed& ty = c.output.type;
    c.body.comment("BipolarQuant: y = x >= 0 ? +1 : -1 (raw codes of " + describe(ty) + ")");
    open_elements(c, osz);
    c.body.line(at(y, "i") + " = " + xi + " >= 0 ? " + cast(R, value_literal(1, ty)) + " : " +
                cast(R, value_literal(-1, ty)) + ";");
  } else {
    c.fail("no HLS emitter for op '" + op + "'");
  }
  c.body.close();
}

}  // namespace nanogate::hls
