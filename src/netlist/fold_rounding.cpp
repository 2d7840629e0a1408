// nanogate — folding round-half-up casts into the constant of the add before them (fold_rounding.hpp).
#include "netlist/fold_rounding.hpp"

#include <algorithm>
#include <optional>

namespace nanogate {

namespace {

/// A planned fold: the Add's new constant operand (a raw code at the Add's
/// LSB, shift 0), its new type, and the new types of the values between the
/// Add and the cast.
struct Fold {
  int add = -1;                                 ///< the Add's index
  int const_arg = 0;                            ///< which operand of the Add is the Const
  int64_t konst = 0;                            ///< the new Const's raw code at the Add's LSB
  Fixed add_type;                               ///< the Add's type over the new constant
  std::vector<std::pair<int, Fixed>> retyped;   ///< (index, new type) of the chain, Add side first
};

bool valid_arg(const Netlist& n, int a, size_t user) { return a >= 0 && size_t(a) < user && user <= n.values.size(); }

/// Whether Quantize w is a wire: its type holds every value of its argument's
/// type times 2^shift_a exactly (no rounding, no overflow).
bool lossless(const Netlist& n, const NetValue& w) {
  const Fixed& ta = n.values[size_t(w.args[0])].type;
  const int f = ta.frac_bits() - w.shift_a;  // binary point of a·2^shift
  if (w.type.frac_bits() < f || w.type.frac_bits() - f > 62) return false;
  const i128 lo = i128(ta.min_raw()) << (w.type.frac_bits() - f), hi = i128(ta.max_raw()) << (w.type.frac_bits() - f);
  return lo >= w.type.min_raw() && hi <= w.type.max_raw();
}

/// The fold of quantize q (index i) into an Add below a chain of single-use
/// Relu and wire Quantize values, when the pattern and every bound allow it
/// (fold_rounding_into_constants).
std::optional<Fold> plan(const Netlist& n, size_t i, const std::vector<int>& uses) {
  const NetValue& q = n.values[i];
  if (q.op != NetOp::Quantize || q.type.rounding != Rounding::RND || q.args.size() != 1) return std::nullopt;
  if (!valid_arg(n, q.args[0], i)) return std::nullopt;
  // E: log2 of the amount to add, in value units, to the value at the chain's current end.
  const NetValue& q_arg = n.values[size_t(q.args[0])];
  if (q_arg.type.frac_bits() - q.shift_a - q.type.frac_bits() < 1) return std::nullopt;  // drops no LSB
  int E = -q.type.frac_bits() - 1 - q.shift_a;
  std::vector<int> chain;  // q's argument downwards, ending at the Add
  int a = q.args[0];
  size_t user = i;
  for (int hops = 0;; ++hops) {
    if (hops > 4 || !valid_arg(n, a, user) || uses[size_t(a)] != 1) return std::nullopt;
    const NetValue& v = n.values[size_t(a)];
    chain.push_back(a);
    if (v.op == NetOp::Add) break;
    const bool wire = v.op == NetOp::Quantize && v.args.size() == 1 && valid_arg(n, v.args[0], size_t(a)) && lossless(n, v);
    if (!(v.op == NetOp::Relu && v.args.size() == 1) && !wire) return std::nullopt;
    if (wire) E -= v.shift_a;  // v = arg·2^shift: arg needs 2^-shift of the amount
    user = size_t(a);
    a = v.args[0];
  }
  const NetValue& s = n.values[size_t(a)];
  if (s.args.size() != 2 || !valid_arg(n, s.args[0], size_t(a)) || !valid_arg(n, s.args[1], size_t(a))) return std::nullopt;
  const bool c0 = n.values[size_t(s.args[0])].op == NetOp::Const, c1 = n.values[size_t(s.args[1])].op == NetOp::Const;
  if (c0 == c1) return std::nullopt;  // no constant, or two (not built by the lowering)
  const int k = c0 ? 0 : 1;
  const NetValue& c = n.values[size_t(s.args[size_t(k)])];
  const NetValue& x = n.values[size_t(s.args[size_t(1 - k)])];

  const int fa = s.type.frac_bits();                                          // the Add's LSB
  const int e = E + fa;                                                       // half of q's LSB = 2^e Add LSBs
  const int u = fa - c.type.frac_bits() + (k == 0 ? s.shift_a : s.shift_b);   // the constant's scale
  const int ux = fa - x.type.frac_bits() + (k == 0 ? s.shift_b : s.shift_a);  // the variable's scale
  if (e < 0 || e > 62 || u < 0 || u > 62 || ux < 0 || ux > 62) return std::nullopt;
  const int sign = (k == 1 && s.sub) ? -1 : 1;  // how the constant enters the sum
  const i128 K = sign * i128(c.konst) * (i128(1) << u) + (i128(1) << e);  // its contribution, half an LSB of q up
  const i128 raw = sign * K;
  if (raw > i128(INT64_MAX) || raw < i128(INT64_MIN)) return std::nullopt;
  const int xsign = (k == 0 && s.sub) ? -1 : 1;
  i128 lo = xsign * i128(x.type.min_raw()) * (i128(1) << ux), hi = xsign * i128(x.type.max_raw()) * (i128(1) << ux);
  if (lo > hi) std::swap(lo, hi);
  Fold f;
  f.add = a;
  f.const_arg = k;
  f.konst = int64_t(raw);
  try {
    f.add_type = type_for_range(lo + K, hi + K, fa);  // as net_interval bounds it (a Const by its value)
    // Up the chain, each type exact over the one below, as Netlist::verify checks it.
    Fixed below = f.add_type;
    for (size_t j = chain.size() - 1; j-- > 0;) {
      const NetValue& v = n.values[size_t(chain[j])];
      Fixed t;
      if (v.op == NetOp::Relu)
        t = type_for_range(std::max<i128>(below.min_raw(), 0), std::max<i128>(below.max_raw(), 0), below.frac_bits());
      else
        t = type_for_range(below.min_raw(), below.max_raw(), below.frac_bits() - v.shift_a);
      f.retyped.push_back({chain[j], t});
      below = t;
    }
  } catch (const FixedTypeError&) {
    return std::nullopt;  // the shifted range needs more than 64 bits
  }
  return f;
}

}  // namespace

int fold_rounding_into_constants(Netlist& n) {
  const size_t nv = n.values.size();
  std::vector<int> uses(nv, 0);
  for (size_t i = 0; i < nv; ++i)
    for (int a : n.values[i].args)
      if (valid_arg(n, a, i)) ++uses[size_t(a)];
  for (const NetPort& p : n.outputs)
    for (int v : p.values)
      if (v >= 0 && size_t(v) < nv) ++uses[size_t(v)];

  std::vector<std::optional<Fold>> fold(nv);  // by Add index
  int folded = 0;
  for (size_t i = 0; i < nv; ++i) {
    auto f = plan(n, i, uses);
    if (!f) continue;
    n.values[i].type.rounding = Rounding::TRN;
    for (const auto& [v, t] : f->retyped) n.values[size_t(v)].type = t;
    fold[size_t(f->add)] = std::move(*f);
    ++folded;
  }
  if (folded == 0) return 0;

  // Rebuild in SSA order with each new Const just before its Add.
  std::vector<int> remap(nv, -1);
  std::vector<NetValue> out;
  out.reserve(nv + size_t(folded));
  for (size_t i = 0; i < nv; ++i) {
    NetValue v = std::move(n.values[i]);
    for (int& a : v.args)
      if (a >= 0 && size_t(a) < i) a = remap[size_t(a)];
    if (fold[i]) {
      const Fold& f = *fold[i];
      NetValue c;
      c.op = NetOp::Const;
      c.konst = f.konst;
      c.type = type_for_range(f.konst, f.konst, v.type.frac_bits());
      c.layer = v.layer;
      c.stage = v.stage;
      v.args[size_t(f.const_arg)] = int(out.size());
      (f.const_arg == 0 ? v.shift_a : v.shift_b) = 0;
      v.type = f.add_type;
      out.push_back(std::move(c));
    }
    remap[i] = int(out.size());
    out.push_back(std::move(v));
  }
  n.values = std::move(out);
  for (NetPort& p : n.inputs)
    for (int& v : p.values) v = remap[size_t(v)];
  for (NetPort& p : n.outputs)
    for (int& v : p.values) v = remap[size_t(v)];
  return folded;
}

}  // namespace nanogate
