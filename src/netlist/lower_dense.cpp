// nanogate — lowering of Dense layers (lower_internal.hpp).
//
// Mirrors the layer emulator's Dense kernel (hls4ml nnet::dense_latency):
//  * exact accumulator (accum WRAPs and holds every product and the bias
//    exactly; the emulator's `exact_acc`): y = (result)(accum)(Σ x_i·W_ij + b_j).
//    The sum is one CMVM adder graph over the raw integer weights
//    (cmvm::optimize_cmvm), mapped to Add values with wired shifts; inputs that
//    are constants fold into the bias.
//  * otherwise: every product (x_i·W_ij, shift-and-add over W_ij's CSD digits)
//    cast to accum, the bias cast to accum, summed in input order with a cast
//    after each add — or, when accum WRAPs, summed exactly and cast once (equal
//    modulo 2^W); then cast to result. Zero weights cost nothing.
#include <algorithm>
#include <optional>
#include <string>

#include "emulate/dense_exact.hpp"
#include "nanogate/cmvm/cmvm.hpp"
#include "netlist/lower_internal.hpp"

namespace nanogate {

namespace {

struct DenseLayer {
  std::string name;           ///< the layer (notes)
  int64_t n_in = 0, n_out = 0;
  Fixed tx, tw, tb, acc, result;
  std::vector<int64_t> w, b;  ///< raw codes: W row-major n_in × n_out, bias n_out
  int fp = 0;                 ///< binary point of the products
  bool exact = false;         ///< the emulator's exact_acc
  /// The adder graph of the whole matrix, solved once and shared by every
  /// row whose constant inputs are all zero (a convolution's positions, its
  /// zero padding included: a zero input's terms fold away).
  std::optional<cmvm::AdderGraph> shared;
};

/// The raw codes at tx's LSB that a value of type t (whose values are values
/// of tx, NetBuilder::quantize) can take: t's range, within tx's.
std::pair<int64_t, int64_t> code_range(const Fixed& t, const Fixed& tx) {
  const int up = tx.frac_bits() - t.frac_bits();
  if (up < 0 || up > 62) return {tx.min_raw(), tx.max_raw()};
  const i128 lo = i128(t.min_raw()) * (i128(1) << up), hi = i128(t.max_raw()) * (i128(1) << up);
  return {int64_t(std::max(lo, i128(tx.min_raw()))), int64_t(std::min(hi, i128(tx.max_raw())))};
}

/// One event row of an exact-accumulator Dense: CMVM adder graph + bias.
std::vector<int> dense_cmvm(LowerContext& cx, DenseLayer& d, const std::vector<int>& x) {
  NetBuilder& b = cx.b;
  std::vector<i128> bias(size_t(d.n_out));  // at the products' binary point
  for (int64_t j = 0; j < d.n_out; ++j) bias[size_t(j)] = i128(d.b[size_t(j)]) << (d.fp - d.tb.frac_bits());
  std::vector<int64_t> w = d.w;
  std::vector<std::pair<int64_t, int64_t>> ranges;
  bool zero_consts = true;
  for (int64_t i = 0; i < d.n_in; ++i) {
    ranges.push_back(code_range(b.type(x[size_t(i)]), d.tx));
    if (!b.is_const(x[size_t(i)])) continue;
    const i128 c = b.const_code(x[size_t(i)], d.tx.frac_bits());  // a constant input: its products join the bias
    zero_consts = zero_consts && c == 0;
    if (c == 0) continue;
    for (int64_t j = 0; j < d.n_out; ++j) {
      bias[size_t(j)] += c * w[size_t(i * d.n_out + j)];
      w[size_t(i * d.n_out + j)] = 0;
    }
  }
  cmvm::CmvmOptions opt;
  opt.dc = cx.opt.dc;
  const int64_t patterns = cmvm::cse_pattern_count(w, int(d.n_in), int(d.n_out));
  if (cx.opt.cse_budget >= 0 && patterns > cx.opt.cse_budget) {
    opt.cse = false;
    std::string note = d.name + ": " + std::to_string(d.n_in) + "x" + std::to_string(d.n_out) + " matrix has " +
                       std::to_string(patterns) + " two-term patterns, over the CMVM search budget of " +
                       std::to_string(cx.opt.cse_budget) + ": plain CSD adder trees (no sharing)";
    auto& notes = cx.b.netlist().notes;
    if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
  }
  std::optional<cmvm::AdderGraph> fresh;
  if (!zero_consts || !d.shared) fresh = cmvm::optimize_cmvm(w, int(d.n_in), int(d.n_out), ranges, opt);
  if (zero_consts && !d.shared) d.shared = fresh;
  const cmvm::AdderGraph& G = fresh ? *fresh : *d.shared;
  // node k of G = Term nodes[k] (values at the inputs' binary point)
  std::vector<Term> nodes;
  for (size_t k = 0; k < G.nodes().size(); ++k) {
    const cmvm::AdderNode& nd = G.node(int(k));
    if (nd.is_input()) {
      nodes.push_back(Term{x[k], 0, false});
      continue;
    }
    Term a = nodes[size_t(nd.a)], c = nodes[size_t(nd.b)];
    a.shift += nd.shift_a;
    c.shift += nd.shift_b;
    if (nd.sub) c.neg = !c.neg;
    nodes.push_back(b.add(a, c));
  }
  std::vector<int> y;
  for (int64_t j = 0; j < d.n_out; ++j) {
    const cmvm::OutputRef& o = G.outputs()[size_t(j)];
    Term s;
    if (o.node >= 0) {  // Σ_i W_ij x_i = node·2^shift at the inputs' binary point; products have fp
      s = nodes[size_t(o.node)];
      s.shift += o.shift - d.tw.frac_bits();
      if (o.negate) s.neg = !s.neg;
    }
    if (bias[size_t(j)] != 0) s = b.add(s, Term{b.constant(bias[size_t(j)], d.fp), 0, false});
    y.push_back(b.quantize(Term{b.quantize(s, d.acc), 0, false}, d.result));
  }
  return y;
}

/// One event row of a Dense with per-product casts.
std::vector<int> dense_products(LowerContext& cx, const DenseLayer& d, const std::vector<int>& x) {
  NetBuilder& b = cx.b;
  const bool wrap = d.acc.overflow == Overflow::WRAP;
  std::vector<int> y;
  for (int64_t j = 0; j < d.n_out; ++j) {
    Term acc{b.constant(quantize(i128(d.b[size_t(j)]), d.tb.frac_bits(), d.acc), d.acc), 0, false};
    std::vector<Term> terms{acc};
    for (int64_t i = 0; i < d.n_in; ++i) {
      const int64_t wij = d.w[size_t(i * d.n_out + j)];
      if (wij == 0) continue;
      Term m{b.quantize(b.mul_const(Term{x[size_t(i)], 0, false}, wij, d.tw.frac_bits()), d.acc), 0, false};
      if (wrap) terms.push_back(m);
      else acc = Term{b.quantize(b.add(acc, m), d.acc), 0, false};
    }
    if (wrap) acc = b.sum(terms);
    y.push_back(b.quantize(Term{b.quantize(acc, d.acc), 0, false}, d.result));
  }
  return y;
}

}  // namespace

void lower_dense(LowerContext& cx, const Node& n) {
  const Graph& g = cx.g;
  const Tensor& W = g.tensor(n.inputs.at(1));
  if (W.shape.size() != 2 || !W.is_const) cx.fail(n, "Dense weights must be a constant matrix");
  DenseLayer d;
  d.name = n.name;
  d.n_in = W.shape[0];
  d.n_out = W.shape[1];
  d.tx = *g.tensor(n.inputs[0]).type;
  d.tw = *n.precision.weight;
  d.acc = *n.precision.accum;
  d.result = cx.result(n);
  for (double v : W.values) d.w.push_back(quantize(v, d.tw));
  if (n.inputs.size() > 2 && !n.inputs[2].empty()) {
    d.tb = *n.precision.bias;
    for (double v : g.tensor(n.inputs[2]).values) d.b.push_back(quantize(v, d.tb));
  } else {
    d.tb = Fixed{true, 1, 1};
    d.b.assign(size_t(d.n_out), 0);
  }
  d.fp = d.tx.frac_bits() + d.tw.frac_bits();
  d.exact = dense_accumulates_exactly(d.tx, d.tw, d.tb, d.acc);  // the layer emulator's exact_acc
  std::vector<int> x = cx.operand(n, n.inputs[0]), y;
  if (d.n_in <= 0 || int64_t(x.size()) % d.n_in != 0)
    cx.fail(n, "input size " + std::to_string(x.size()) + " is not a multiple of " + std::to_string(d.n_in));
  for (size_t o = 0; o < x.size() / size_t(d.n_in); ++o) {
    std::vector<int> row(x.begin() + int64_t(o) * d.n_in, x.begin() + int64_t(o + 1) * d.n_in);
    auto r = d.exact ? dense_cmvm(cx, d, row) : dense_products(cx, d, row);
    y.insert(y.end(), r.begin(), r.end());
  }
  cx.tensors[n.outputs.at(0)] = std::move(y);
}

}  // namespace nanogate
