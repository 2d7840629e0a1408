// nanogate HLS backend — the Dense emitters: Latency, Resource, DA.
//
// Semantics (emulator.hpp, hls4ml dense_latency): mult = (accum)(x*w);
// acc = (accum)b; acc = (accum)(acc + mult) for i = 0..n_in-1 in order;
// y = (result)acc. Latency and Resource keep exactly this order per output;
// Resource only changes which multiplies share a clock cycle. DA sums exactly
// (valid when products and bias land exactly in a wrapping accumulator, where
// the exact sum wrapped once is the same number).
#include <algorithm>

#include "backend/hls/layer_emitter.hpp"
#include "backend/hls/types.hpp"
#include "nanogate/backend/hls.hpp"
#include "nanogate/cmvm/cmvm.hpp"

namespace nanogate::hls {

namespace {

struct DenseInfo {
  int64_t n_in = 0, n_out = 0, outer = 1;
  Fixed tx, tw, tb, ta, ty;
  bool has_bias = false;
  std::vector<int64_t> w, b;  // raw codes, w row-major [i][j]
  std::string x, y, w_t, b_t, acc_t, res_t, w_name, b_name;
};

DenseInfo prepare(LayerCtx& c) {
  const Graph& g = c.graph;
  const Node& n = c.node;
  DenseInfo d;
  const Tensor& W = g.tensor(n.inputs.at(1));
  d.n_in = W.shape.at(0);
  d.n_out = W.shape.at(1);
  d.outer = c.inputs.at(0).size / d.n_in;
  d.tx = c.inputs[0].type;
  d.tw = *n.precision.weight;
  d.ta = *n.precision.accum;
  d.ty = c.output.type;
  for (double v : W.values) d.w.push_back(quantize(v, d.tw));
  d.has_bias = n.inputs.size() > 2 && !n.inputs[2].empty();
  if (d.has_bias) {
    d.tb = *n.precision.bias;
    for (double v : g.tensor(n.inputs[2]).values) d.b.push_back(quantize(v, d.tb));
  }
  d.x = c.inputs[0].var;
  d.y = c.output.var;
  d.w_t = c.typedef_for("weight", d.tw);
  if (d.has_bias) d.b_t = c.typedef_for("bias", d.tb);
  d.acc_t = c.typedef_for("accum", d.ta);
  d.res_t = c.output.ctype;
  d.w_name = c.id + "_w";
  d.b_name = c.id + "_b";
  return d;
}

void weights(LayerCtx& c, const DenseInfo& d) {
  c.table(d.w_name, d.w_t, d.tw, d.w,
          c.node.name + ": weights [" + std::to_string(d.n_in) + "][" + std::to_string(d.n_out) +
              "] row-major (input i, output j at k = i*" + std::to_string(d.n_out) + " + j)");
  if (d.has_bias) c.table(d.b_name, d.b_t, d.tb, d.b, c.node.name + ": bias");
}

/// Opens the loop over the leading ("outer") positions when the Dense applies
/// to the last axis of a larger tensor; returns the index offsets.
std::pair<std::string, std::string> open_outer(LayerCtx& c, const DenseInfo& d) {
  if (d.outer == 1) return {"", ""};
  c.body.open_for("Outer", "o", d.outer);
  c.body.pragma("UNROLL");
  return {"o * " + std::to_string(d.n_in) + " + ", "o * " + std::to_string(d.n_out) + " + "};
}

void latency(LayerCtx& c, const DenseInfo& d) {
  c.body.comment("Latency: fully unrolled, every product has its own multiplier (II = 1)");
  auto [xo, yo] = open_outer(c, d);
  c.body.open_for("Output", "j", d.n_out);
  c.body.pragma("UNROLL");
  c.body.line(d.acc_t + " acc = " + (d.has_bias ? cast(d.acc_t, d.b_name + "(j)") : cast(d.acc_t, "0")) + ";");
  c.body.open_for("Input", "i", d.n_in);
  c.body.pragma("UNROLL");
  c.body.line("acc = acc + " +
              cast(d.acc_t, at(d.x, xo + "i") + " * " + d.w_name + "(i * " + std::to_string(d.n_out) + " + j)") +
              ";");
  c.body.close();
  c.body.line(at(d.y, yo + "j") + " = " + cast(d.res_t, "acc") + ";");
  c.body.close();
  if (d.outer > 1) c.body.close();
}

void resource(LayerCtx& c, const DenseInfo& d) {
  int64_t total = d.n_in * d.n_out;
  auto valid = valid_reuse_factors(d.n_in, d.n_out);
  if (std::find(valid.begin(), valid.end(), c.reuse) == valid.end()) {
    std::string list;
    for (int v : valid) list += (list.empty() ? "" : ", ") + std::to_string(v);
    c.fail("ReuseFactor " + std::to_string(c.reuse) + " is invalid for a Dense " + std::to_string(d.n_in) + "x" +
           std::to_string(d.n_out) + " (Resource strategy); valid values: " + list);
  }
  int64_t per_round = total / c.reuse;
  c.ii = c.reuse * int(d.outer);
  c.body.comment("Resource: the " + std::to_string(total) + " multiplies are time-shared " + std::to_string(c.reuse) +
                 " ways: " + std::to_string(c.reuse) + " rounds of " + std::to_string(per_round) +
                 " (II = " + std::to_string(c.reuse) + ").\nMultiply k = i*" + std::to_string(d.n_out) +
                 " + j runs in round k / " + std::to_string(per_round) +
                 ", so every output still accumulates its inputs in order i = 0, 1, ...");
  auto [xo, yo] = open_outer(c, d);
  c.body.line(d.acc_t + " acc[" + std::to_string(d.n_out) + "];");
  c.body.pragma("ARRAY_PARTITION variable=acc complete");
  c.body.open_for("Init", "j", d.n_out);
  c.body.pragma("UNROLL");
  c.body.line("acc[j] = " + (d.has_bias ? cast(d.acc_t, d.b_name + "(j)") : cast(d.acc_t, "0")) + ";");
  c.body.close();
  c.body.open_for("Reuse", "r", c.reuse);
  c.body.pragma("PIPELINE II=1 rewind");
  c.body.open_for("Multiply", "m", per_round);
  c.body.pragma("UNROLL");
  c.body.line("const int k = r * " + std::to_string(per_round) + " + m;");
  c.body.line("const int i = k / " + std::to_string(d.n_out) + ", j = k % " + std::to_string(d.n_out) + ";");
  c.body.line("acc[j] = acc[j] + " + cast(d.acc_t, at(d.x, xo + "i") + " * " + d.w_name + "(k)") + ";");
  c.body.close();
  c.body.close();
  c.body.open_for("Result", "j", d.n_out);
  c.body.pragma("UNROLL");
  c.body.line(at(d.y, yo + "j") + " = " + cast(d.res_t, "acc[j]") + ";");
  c.body.close();
  if (d.outer > 1) c.body.close();
}

/// C++ name of adder-graph node k: xrK for an input's raw code, nK for an adder.
std::string node_var(int k, int n_in) {
  std::string s(k < n_in ? "xr" : "n");  // (appending, not operator+: GCC 12 -Wrestrict false positive)
  s.append(std::to_string(k));
  return s;
}

/// DA applies when products and bias land exactly in a wrapping accumulator.
bool da_exact(const DenseInfo& d, int& f) {
  int fp = d.tx.frac_bits() + d.tw.frac_bits();
  f = d.has_bias ? std::max(fp, d.tb.frac_bits()) : fp;
  return d.ta.overflow == Overflow::WRAP && d.ta.frac_bits() >= f;
}

void distributed_arithmetic(LayerCtx& c, const DenseInfo& d, int f) {
  int fp = d.tx.frac_bits() + d.tw.frac_bits();
  std::vector<std::pair<int64_t, int64_t>> ranges(size_t(d.n_in), {d.tx.min_raw(), d.tx.max_raw()});
  cmvm::CmvmOptions opt;
  opt.dc = c.da_dc;
  cmvm::AdderGraph ag = cmvm::optimize_cmvm(d.w, int(d.n_in), int(d.n_out), ranges, opt);
  auto m = ag.metrics();
  c.body.comment("DA: y = W^T x as a shift-and-add adder graph on raw codes (src/cmvm, dc = " +
                 std::to_string(c.da_dc) + "): " + std::to_string(m.adders) + " adders, " +
                 std::to_string(m.cost_bits) + " adder bits, depth " + std::to_string(m.depth) +
                 ".\nProducts and bias land exactly in the wrapping accumulator " + describe(d.ta) +
                 ", so the exact sum wrapped once equals the per-product accumulation.");
  auto [xo, yo] = open_outer(c, d);
  int n_in = int(d.n_in);
  c.body.comment("raw input codes: xr" + std::string("k = x[k] * 2^") + std::to_string(d.tx.frac_bits()));
  for (int i = 0; i < n_in; ++i)
    c.body.line("const " + raw_type(d.tx) + " " + node_var(i, n_in) + " = " + raw_of(at(d.x, xo + std::to_string(i)), d.tx) + ";");
  c.body.comment("adders");
  const auto& nodes = ag.nodes();
  auto w_of = [&](int k) { return cmvm::bit_width(std::min<i128>(nodes[k].lo, -1), std::max<i128>(nodes[k].hi, 0)); };
  for (int k = n_in; k < int(nodes.size()); ++k) {
    const auto& nd = nodes[k];
    int wt = std::max(w_of(nd.a) + nd.shift_a, w_of(nd.b) + nd.shift_b) + 1;
    std::string T = "ap_int<" + std::to_string(wt) + ">";
    auto term = [&](int op, int s) {
      std::string e = T + "(" + node_var(op, n_in) + ")";
      return s ? "(" + e + " << " + std::to_string(s) + ")" : e;
    };
    c.body.line("const " + exact_raw_int_type(nd.lo, nd.hi) + " " + node_var(k, n_in) + " = " + term(nd.a, nd.shift_a) +
                (nd.sub ? " - " : " + ") + term(nd.b, nd.shift_b) + ";");
  }
  c.body.comment("outputs: exact sum at 2^-" + std::to_string(f) + ", wrapped into " + describe(d.ta) + ", cast to " +
                 describe(d.ty));
  for (int64_t j = 0; j < d.n_out; ++j) {
    const auto& o = ag.outputs()[size_t(j)];
    i128 bias = d.has_bias ? i128(d.b[size_t(j)]) << (f - d.tb.frac_bits()) : 0;
    auto [lo, hi] = ag.output_interval(int(j));
    int up = f - fp;
    lo = (lo << up) + bias;
    hi = (hi << up) + bias;
    std::string S = exact_raw_int_type(lo, hi);
    int ws = cmvm::bit_width(std::min<i128>(lo, -1), std::max<i128>(hi, 0));
    std::string expr;
    if (o.node >= 0) {
      std::string e = S + "(" + node_var(o.node, n_in) + ")";
      if (o.shift + up) e = "(" + e + " << " + std::to_string(o.shift + up) + ")";
      expr = o.negate ? "-" + e : e;
    }
    if (bias != 0 || expr.empty()) expr += (expr.empty() ? "" : " + ") + S + "(" + int_literal(bias) + ")";
    std::string sj("s"), vj("v");  // appended (GCC 12 -Wrestrict false positive on "s" + to_string)
    sj.append(std::to_string(j));
    vj.append(std::to_string(j));
    c.body.line("const " + S + " " + sj + " = " + expr + ";");
    c.body.line("ap_fixed<" + std::to_string(ws) + ", " + std::to_string(ws - f) + "> " + vj + ";");
    c.body.line(vj + ".range(" + std::to_string(ws - 1) + ", 0) = " + sj + ".range(" + std::to_string(ws - 1) +
                ", 0);  // value = " + sj + " * 2^-" + std::to_string(f));
    c.body.line(at(d.y, yo + std::to_string(j)) + " = " + cast(d.res_t, cast(d.acc_t, vj)) + ";");
  }
  if (d.outer > 1) c.body.close();
}

}  // namespace

void emit_dense(LayerCtx& c) {
  DenseInfo d = prepare(c);
  weights(c, d);
  if (c.strategy == "Resource") return resource(c, d);
  if (c.strategy == "DA") {
    int f = 0;
    if (da_exact(d, f)) return distributed_arithmetic(c, d, f);
    c.notes.push_back(c.node.name + ": DA needs products and bias exact in a wrapping accumulator (accum " +
                      describe(d.ta) + ", products at 2^-" + std::to_string(d.tx.frac_bits() + d.tw.frac_bits()) +
                      "); kept hls4ml's per-product casts (Latency)");
    c.body.comment("DA requested, but the accumulator " + describe(d.ta) +
                   " rounds or saturates the products: per-product casts kept (Latency)");
  }
  latency(c, d);
}

}  // namespace nanogate::hls
