// nanogate — lowering of the element-wise, data-movement and table layers to
// netlist values (lower_internal.hpp). Each mirrors the layer emulator's
// kernel (src/emulate/layer_emulator.cpp) operation for operation.
#include <cmath>

#include "emulate/float_ops.hpp"
#include "emulate/layer_tables.hpp"
#include "netlist/lower_internal.hpp"

namespace nanogate {

namespace {

const Shape& shape_of(const LowerContext& cx, const std::string& t) { return cx.g.tensor(t).shape; }

/// Add / Sub / Mul: exact, then cast to the result type.
std::vector<int> lower_arith(LowerContext& cx, const Node& n) {
  const Shape& os = shape_of(cx, n.outputs[0]);
  auto a = cx.operand(n, n.inputs.at(0)), c = cx.operand(n, n.inputs.at(1));
  auto ma = operand_map(cx.g.tensor(n.inputs[0]), os), mc = operand_map(cx.g.tensor(n.inputs[1]), os);
  std::vector<int> y;
  for (size_t i = 0; i < ma.size(); ++i) {
    int u = a.at(size_t(ma[i])), v = c.at(size_t(mc[i]));
    Term t = n.op == "Mul" ? cx.b.mul(u, v) : cx.b.add(Term{u, 0, false}, Term{v, 0, n.op == "Sub"});
    y.push_back(cx.b.quantize(t, cx.result(n)));
  }
  return y;
}

/// Sigmoid: a table over every input code.
std::vector<int> lower_sigmoid(LowerContext& cx, const Node& n, const std::vector<int>& x) {
  const Fixed& ta = *cx.g.tensor(n.inputs[0]).type;
  const Fixed& R = cx.result(n);
  if (ta.width > 16)
    cx.fail(n, "Sigmoid input type " + ta.str() + " is wider than 16 bits: its lookup table would have 2^" +
                   std::to_string(ta.width) + " entries (configure a narrower input precision)");
  std::vector<int64_t> table;
  for (int64_t r = ta.min_raw(); r <= ta.max_raw(); ++r) table.push_back(quantize(1.0 / (1.0 + std::exp(-ta.value(r))), R));
  std::vector<int> y;
  for (int v : x) y.push_back(cx.b.lut(cx.b.quantize_to(Term{v, 0, false}, ta), table, R));  // indexed by ta's codes
  return y;
}

}  // namespace

void lower_layer(LowerContext& cx, const Node& n) {
  const Fixed& R = cx.result(n);
  const std::string& out = n.outputs.at(0);
  NetBuilder& b = cx.b;
  std::vector<int> y;
  if (n.op == "Add" || n.op == "Sub" || n.op == "Mul") {
    y = lower_arith(cx, n);
  } else if (n.op == "Move") {
    // element i = input map_src[i] element map[i] (inputs concatenated), cast
    std::vector<int> all;
    for (const std::string& i : n.inputs) {
      auto v = cx.operand(n, i);
      all.insert(all.end(), v.begin(), v.end());
    }
    const int zero = b.constant(int64_t(0), R);
    for (int64_t m : n.attr_ints("map", {})) {
      if (m < -1 || m >= int64_t(all.size())) cx.fail(n, "Move index " + std::to_string(m) + " out of range");
      y.push_back(m < 0 ? zero : b.quantize(Term{all[size_t(m)], 0, false}, R));
    }
  } else if (n.op == "ReduceMax") {
    // a balanced tree of (a >= b ? a : b), then the cast
    auto x = cx.operand(n, n.inputs.at(0));
    ReduceGroups gr = reduce_groups(n, shape_of(cx, n.inputs[0]), cx.model.source);
    for (size_t o = 0; o + 1 < gr.start.size(); ++o) {
      std::vector<int> level;
      for (int64_t k = gr.start[o]; k < gr.start[o + 1]; ++k) level.push_back(x.at(size_t(gr.map[size_t(k)])));
      while (level.size() > 1) {
        std::vector<int> next;
        for (size_t k = 0; k + 1 < level.size(); k += 2)
          next.push_back(b.mux(b.cmp(CmpKind::GE, level[k], level[k + 1]), level[k], level[k + 1]));
        if (level.size() % 2) next.push_back(level.back());
        level = std::move(next);
      }
      y.push_back(b.quantize(Term{level.at(0), 0, false}, R));
    }
  } else if (n.op == "ReduceSum") {
    // terms cast to accum; WRAP: exact sum, one final cast; else a cast after every add
    const Fixed& A = *n.precision.accum;
    auto x = cx.operand(n, n.inputs.at(0));
    ReduceGroups gr = reduce_groups(n, shape_of(cx, n.inputs[0]), cx.model.source);
    for (size_t o = 0; o + 1 < gr.start.size(); ++o) {
      std::vector<Term> terms;
      for (int64_t k = gr.start[o]; k < gr.start[o + 1]; ++k)
        terms.push_back(Term{b.quantize(Term{x.at(size_t(gr.map[size_t(k)])), 0, false}, A), 0, false});
      Term acc;
      if (A.overflow == Overflow::WRAP) {
        acc = b.sum(terms);
      } else {
        for (const Term& t : terms) acc = Term{b.quantize(b.add(acc, t), A), 0, false};
      }
      y.push_back(b.quantize(Term{b.quantize(acc, A), 0, false}, R));
    }
  } else {
    auto x = cx.operand(n, n.inputs.at(0));
    if (n.op == "Cast") {
      for (int v : x) y.push_back(b.quantize(Term{v, 0, false}, R));
    } else if (n.op == "Relu") {
      for (int v : x) y.push_back(b.quantize(Term{b.relu(v), 0, false}, R));
    } else if (n.op == "LeakyRelu") {
      // x >= 0 ? (result)x : (result)(x * alpha), alpha quantized to the weight type
      const Fixed& tw = *n.precision.weight;
      const int64_t alpha = quantize(n.attr_float("alpha", 0.01), tw);
      const int zero = b.constant(int64_t(0), tw);
      for (int v : x) {
        int pos = b.quantize(Term{v, 0, false}, R);
        int neg = b.quantize(b.mul_const(Term{v, 0, false}, alpha, tw.frac_bits()), R);
        y.push_back(b.mux(b.cmp(CmpKind::GE, v, zero), pos, neg));
      }
    } else if (n.op == "BipolarQuant") {
      // x >= 0 ? 1 : -1 (raw codes of the result type)
      const int zero = b.constant(int64_t(0), R), one = b.constant(int64_t(1), R), minus = b.constant(int64_t(-1), R);
      for (int v : x) y.push_back(b.mux(b.cmp(CmpKind::GE, v, zero), one, minus));
    } else if (n.op == "Sigmoid") {
      y = lower_sigmoid(cx, n, x);
    } else if (n.op == "BatchNorm" || n.op == "Threshold") {
      std::vector<double> sc, of;
      if (n.op == "BatchNorm") batchnorm_affine(cx.g, n, sc, of);
      else threshold_affine(cx.g, n, sc, of);
      auto chan = channel_map(n, shape_of(cx, out), int64_t(sc.size()), cx.model.source);
      if (n.op == "Threshold") {
        y = lower_threshold(cx, n, x, chan);
      } else {
        // (result)(x * scale_c + offset_c), scale / offset quantized to the weight / bias types
        const Fixed &tw = *n.precision.weight, &tb = *n.precision.bias;
        for (size_t i = 0; i < x.size(); ++i) {
          const size_t c = size_t(chan[i]);
          Term p = b.mul_const(Term{x[i], 0, false}, quantize(sc[c], tw), tw.frac_bits());
          Term o{b.constant(quantize(of[c], tb), tb), 0, false};
          y.push_back(b.quantize(b.add(p, o), R));
        }
      }
    } else {
      cx.fail(n, "no netlist lowering for op '" + n.op +
                     "' (supported: Dense, Add, Sub, Mul, Relu, LeakyRelu, Cast, Move, ReduceSum, ReduceMax, Threshold, "
                     "BatchNorm, BipolarQuant, Sigmoid, final Softmax)");
    }
  }
  cx.tensors[out] = std::move(y);
}

}  // namespace nanogate
