// nanogate — per-value semantics of the netlist (net_eval.hpp).
#include "netlist/net_eval.hpp"

#include <algorithm>
#include <stdexcept>

namespace nanogate {

int net_arg_count(NetOp op) {
  switch (op) {
    case NetOp::Input:
    case NetOp::Const: return 0;
    case NetOp::Neg:
    case NetOp::Relu:
    case NetOp::Quantize:
    case NetOp::Lut: return 1;
    case NetOp::Mux: return 3;
    default: return 2;
  }
}

bool net_op_is_exact(NetOp op) {
  return op != NetOp::Input && op != NetOp::Const && op != NetOp::Quantize && op != NetOp::Lut;
}

namespace {
/// The range of an argument's type (of a Const: its one value), scaled by
/// 2^shift (raw codes unchanged).
Interval arg(const Netlist& n, int idx, int shift = 0) {
  const NetValue& v = n.values.at(size_t(idx));
  Interval r = v.op == NetOp::Const ? Interval{v.konst, v.konst, v.type.frac_bits()} : Interval::of(v.type);
  r.frac -= shift;
  return r;
}
}  // namespace

Interval net_interval(const Netlist& n, const NetValue& v) {
  switch (v.op) {
    case NetOp::Add: {
      Interval a = arg(n, v.args[0], v.shift_a), b = arg(n, v.args[1], v.shift_b);
      return v.sub ? a.sub(b) : a.add(b);
    }
    case NetOp::Neg: {
      Interval a = arg(n, v.args[0]);
      return {-a.hi, -a.lo, a.frac};
    }
    case NetOp::Mul: {
      Interval a = arg(n, v.args[0]);
      return v.args[0] == v.args[1] ? a.square() : a.mul(arg(n, v.args[1]));
    }
    case NetOp::Relu: return arg(n, v.args[0]).relu();
    case NetOp::Max:
    case NetOp::Min: {
      Interval a = arg(n, v.args[0]), b = arg(n, v.args[1]);
      int f = std::max(a.frac, b.frac);
      a = a.at(f);
      b = b.at(f);
      if (v.op == NetOp::Max) return {std::max(a.lo, b.lo), std::max(a.hi, b.hi), f};
      return {std::min(a.lo, b.lo), std::min(a.hi, b.hi), f};
    }
    case NetOp::Cmp: return {0, 1, 0};
    case NetOp::Mux: return arg(n, v.args[1]).unite(arg(n, v.args[2]));
    default: throw std::logic_error("net_interval: not an exact op");
  }
}

NetStep::NetStep(const Netlist& n, const NetValue& v) : op_(v.op), sub_(v.sub), cmp_(v.cmp), konst_(v.konst) {
  auto frac = [&](int k) { return n.values.at(size_t(v.args.at(size_t(k)))).type.frac_bits(); };
  const int f = v.type.frac_bits();
  switch (v.op) {
    case NetOp::Add:
      ea_ = f - frac(0) + v.shift_a;
      eb_ = f - frac(1) + v.shift_b;
      break;
    case NetOp::Neg:
    case NetOp::Relu: ea_ = f - frac(0); break;
    case NetOp::Mul: ea_ = f - frac(0) - frac(1); break;
    case NetOp::Max:
    case NetOp::Min:
      ea_ = f - frac(0);
      eb_ = f - frac(1);
      break;
    case NetOp::Cmp: {
      int m = std::max(frac(0), frac(1));
      ea_ = m - frac(0);
      eb_ = m - frac(1);
      break;
    }
    case NetOp::Mux:
      ea_ = f - frac(1);
      eb_ = f - frac(2);
      break;
    case NetOp::Quantize: cast_ = CastPlan(frac(0) - v.shift_a, v.type); break;
    case NetOp::Lut:
      table_ = &v.table;
      tmin_ = n.values.at(size_t(v.args[0])).type.min_raw();
      break;
    default: break;
  }
  if (ea_ < 0 || eb_ < 0 || ea_ > 126 || eb_ > 126)
    throw std::invalid_argument("argument binary point finer than the value's type");
}

}  // namespace nanogate
