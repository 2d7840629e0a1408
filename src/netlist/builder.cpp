// nanogate — building netlist values (builder.hpp).
#include "netlist/builder.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#include "netlist/net_eval.hpp"

namespace nanogate {

namespace {

Fixed plain(Fixed t) {
  t.rounding = Rounding::TRN;
  t.overflow = Overflow::WRAP;
  return t;
}

std::string key_of(const NetValue& v) {
  std::string k = std::to_string(int(v.op)) + "|" + v.type.str() + "|" + std::to_string(v.shift_a) + "," +
                  std::to_string(v.shift_b) + "," + std::to_string(v.sub) + "," + std::to_string(int(v.cmp)) + "," +
                  std::to_string(v.konst) + "," + std::to_string(v.port) + "," + std::to_string(v.index) + "|";
  for (int a : v.args) k += std::to_string(a) + ",";
  return k;
}

}  // namespace

int NetBuilder::emit(NetValue v) {
  v.layer = layer;
  if (net_op_is_exact(v.op)) v.type = net_interval(net_, v).type();
  bool all_const = !v.args.empty();
  for (int a : v.args) all_const = all_const && is_const(a);
  if (all_const) {
    int64_t c[3] = {0, 0, 0};
    for (size_t k = 0; k < v.args.size(); ++k) c[k] = net_.values[size_t(v.args[k])].konst;
    int64_t raw = NetStep(net_, v)(c[0], c[1], c[2]);
    return constant(raw, v.type);
  }
  if (v.op == NetOp::Lut) return net_.add(std::move(v));  // tables are not compared
  std::string key = key_of(v);
  auto it = unique_.find(key);
  if (it != unique_.end()) return it->second;
  int idx = net_.add(std::move(v));
  unique_[key] = idx;
  return idx;
}

int NetBuilder::input(int port, int index, const Fixed& t) {
  NetValue v;
  v.op = NetOp::Input;
  v.type = t;
  v.port = port;
  v.index = index;
  return emit(v);
}

int NetBuilder::constant(int64_t raw, const Fixed& t) {
  NetValue v;
  v.op = NetOp::Const;
  v.type = plain(t);
  v.konst = raw;
  return emit(v);
}

int NetBuilder::constant(i128 raw, int frac) { return constant(int64_t(raw), type_for_range(raw, raw, frac)); }

i128 NetBuilder::const_code(int v, int frac) const {
  const NetValue& c = net_.values.at(size_t(v));
  if (c.op != NetOp::Const) throw std::logic_error("const_code: value is not a constant");
  const int up = frac - c.type.frac_bits();
  if (up >= 0) {
    if (up > 62) throw std::logic_error("const_code: LSB 2^-" + std::to_string(frac) + " too fine");
    return i128(c.konst) * (i128(1) << up);
  }
  if (-up > 62 || c.konst % (int64_t(1) << -up) != 0)
    throw std::logic_error("const_code: constant not a multiple of 2^-" + std::to_string(frac));
  return i128(c.konst / (int64_t(1) << -up));
}

std::pair<i128, int> NetBuilder::const_of(const Term& t) const {
  const NetValue& c = net_.values.at(size_t(t.v));
  i128 raw = t.neg ? -i128(c.konst) : i128(c.konst);
  return {raw, c.type.frac_bits() - t.shift};
}

Term NetBuilder::add(Term a, Term b) {
  if (a.zero() || (is_const(a.v) && net_.values[size_t(a.v)].konst == 0)) return b;
  if (b.zero() || (is_const(b.v) && net_.values[size_t(b.v)].konst == 0)) return a;
  if (is_const(a.v) && is_const(b.v)) {
    auto [ra, fa] = const_of(a);
    auto [rb, fb] = const_of(b);
    int f = std::max(fa, fb);
    i128 r = ra * (i128(1) << (f - fa)) + rb * (i128(1) << (f - fb));
    return r == 0 ? Term{} : Term{constant(r, f), 0, false};
  }
  const int s0 = std::min(a.shift, b.shift);
  NetValue v;
  v.op = NetOp::Add;
  bool neg = false;
  if (a.neg && !b.neg) std::swap(a, b);  // b - a
  if (a.neg && b.neg) neg = true;        // -(a + b)
  v.sub = !a.neg && b.neg;
  if (!v.sub && std::tie(b.v, b.shift) < std::tie(a.v, a.shift)) std::swap(a, b);  // canonical order
  v.args = {a.v, b.v};
  v.shift_a = a.shift - s0;
  v.shift_b = b.shift - s0;
  return Term{emit(v), s0, neg};
}

Term NetBuilder::sum(std::vector<Term> terms) {
  Term konst;
  std::vector<Term> vars;
  for (const Term& t : terms) {
    if (t.zero()) continue;
    if (is_const(t.v)) konst = add(konst, t);
    else vars.push_back(t);
  }
  while (vars.size() > 1) {
    std::vector<Term> next;
    for (size_t i = 0; i + 1 < vars.size(); i += 2) next.push_back(add(vars[i], vars[i + 1]));
    if (vars.size() % 2) next.push_back(vars.back());
    vars = std::move(next);
  }
  return add(vars.empty() ? Term{} : vars[0], konst);
}

Term NetBuilder::chain(const std::vector<Term>& terms) {
  Term acc;
  for (const Term& t : terms) acc = add(acc, t);
  return acc;
}

Term NetBuilder::mul_const(Term x, int64_t w, int wfrac) {
  if (w == 0 || x.zero()) return Term{};
  if (is_const(x.v)) {
    auto [r, f] = const_of(x);
    return Term{constant(r * w, f + wfrac), 0, false};
  }
  // w = odd · 2^k with odd signed: the product is built once per (x, odd);
  // x·(−odd) reuses it negated, and a new odd is built with its own signs
  // (x − 4x for −3) so that a product that must be materialised (cast) needs
  // no separate negation.
  const uint64_t mag = w < 0 ? uint64_t(0) - uint64_t(w) : uint64_t(w);
  const int k = __builtin_ctzll(mag);
  const int64_t odd = w >> k;  // exact (arithmetic shift of zero bits); INT64_MIN gives -1
  Term p;
  if (auto it = products_.find({x.v, odd}); it != products_.end()) {
    p = it->second;
  } else if (auto jt = products_.find({x.v, -odd}); jt != products_.end()) {
    p = jt->second;
    p.neg = !p.neg;
  } else {
    std::vector<Term> digits;
    for (int64_t rest = odd, pos = 0; rest != 0; ++pos) {  // CSD (non-adjacent form) of odd
      if (rest & 1) {
        const int d = (rest & 3) == 1 ? 1 : -1;
        digits.push_back(Term{x.v, int(pos), d < 0});
        rest -= d;
      }
      rest >>= 1;  // arithmetic: NAF digits of a negative odd are those of |odd| negated
    }
    p = sum(digits);
    products_[{x.v, odd}] = p;
  }
  return Term{p.v, p.shift + k + x.shift - wfrac, p.neg != x.neg};
}

Term NetBuilder::mul(int a, int b) {
  if (is_const(b) && !is_const(a)) std::swap(a, b);
  if (is_const(a) && !is_const(b))
    return mul_const(Term{b, 0, false}, net_.values[size_t(a)].konst, type(a).frac_bits());
  if (!expand_products) {
    NetValue v;
    v.op = NetOp::Mul;
    v.args = {std::min(a, b), std::max(a, b)};
    return Term{emit(v), 0, false};
  }
  if (type(a).width < type(b).width || (type(a).width == type(b).width && a > b)) std::swap(a, b);
  const Fixed tb = type(b);
  const int fb = tb.frac_bits();
  const int zero = constant(i128(0), 0);
  std::vector<Term> rows;
  for (int j = 0; j < tb.width; ++j) {
    Fixed bit_t;
    bit_t.is_signed = false;
    bit_t.width = 1;
    bit_t.int_bits = 1 - (fb - j);  // bit j of b, weight 2^(j - fb)
    const int bit = quantize(Term{b, 0, false}, bit_t);
    rows.push_back(Term{mux(bit, a, zero), j - fb, tb.is_signed && j == tb.width - 1});
  }
  return sum(rows);
}

int NetBuilder::value(Term t) {
  if (t.zero()) return constant(i128(0), 0);
  int v = t.v;
  if (t.neg) {
    NetValue n;
    n.op = NetOp::Neg;
    n.args = {v};
    v = emit(n);
  }
  if (t.shift == 0) return v;
  Interval r = Interval::of(type(v));
  r.frac -= t.shift;
  return quantize(Term{v, t.shift, false}, r.type());
}

int NetBuilder::quantize_to(Term t, const Fixed& T) {
  if (t.zero()) return constant(int64_t(0), T);
  if (t.shift == 0 && !t.neg && holds_as_is(t.v, T)) return t.v;
  int v = t.v;
  if (t.neg) v = value(Term{t.v, 0, true});
  NetValue q;
  q.op = NetOp::Quantize;
  q.type = T;
  q.args = {v};
  q.shift_a = t.shift;
  return emit(q);
}

namespace {

/// raw·2^-f rounded to T's LSB by T's rounding mode, with no overflow applied;
/// nullopt when the result would not fit 64 bits.
std::optional<i128> rounded(i128 raw, int f, const Fixed& T) {
  const int ft = T.frac_bits();
  if (f <= ft) {  // a finer LSB: exact
    if (ft - f > 62) return raw == 0 ? std::optional<i128>(0) : std::nullopt;
    const i128 r = raw * (i128(1) << (ft - f));
    if (r > i128(INT64_MAX) || r < i128(INT64_MIN)) return std::nullopt;
    return r;
  }
  Fixed wide{true, 64, 64 - ft, T.rounding, Overflow::WRAP};
  if (raw > i128(INT64_MAX) / 2 || raw < i128(INT64_MIN) / 2) return std::nullopt;
  return i128(quantize(raw, f, wide));  // |raw·2^-(f-ft)| + 1 < 2^63: no wrap
}

}  // namespace

int NetBuilder::quantize(Term t, const Fixed& T) {
  if (t.zero()) return constant(int64_t(0), T);
  if (t.shift == 0 && !t.neg && holds_as_is(t.v, T)) return t.v;
  // Range analysis over the operand's type: every rounding mode is monotone,
  // so the cast maps [lo, hi] onto [round(lo), round(hi)] when that range
  // lies inside T (no overflow, and for a signed SAT_SYM T above its minimum
  // code, which SAT_SYM would move).
  Interval r = Interval::of(type(t.v));
  r.frac -= t.shift;
  if (t.neg) r = Interval{-r.hi, -r.lo, r.frac};
  const auto lo = rounded(r.lo, r.frac, T), hi = rounded(r.hi, r.frac, T);
  const bool sat_sym = T.overflow == Overflow::SAT_SYM && T.is_signed && T.width > 1;
  if (!lo || !hi || *lo < i128(T.min_raw()) + (sat_sym ? 1 : 0) || *hi > i128(T.max_raw())) return quantize_to(t, T);
  if (*lo == *hi) return constant(int64_t(*lo), T);  // the cast is constant
  if (r.frac <= T.frac_bits()) {                     // the cast is the identity on every value
    if (t.shift == 0 && !t.neg) return t.v;
    int v = t.v;
    if (t.neg) v = value(Term{t.v, 0, true});
    NetValue q;
    q.op = NetOp::Quantize;
    q.type = type_for_range(r.lo, r.hi, r.frac);
    q.args = {v};
    q.shift_a = t.shift;
    return emit(q);
  }
  Fixed narrow = type_for_range(*lo, *hi, T.frac_bits());  // a rounding that cannot overflow
  narrow.rounding = T.rounding;
  return quantize_to(t, narrow);
}

bool NetBuilder::holds_as_is(int v, const Fixed& T) const {
  const NetValue& x = net_.values.at(size_t(v));
  if (!same_format(x.type, T)) return false;
  // SAT_SYM maps an in-range -2^(W-1) to -max (signed, W > 1): only values
  // that can never be that code pass through unchanged.
  if (T.overflow != Overflow::SAT_SYM || !T.is_signed || T.width == 1) return true;
  if (x.op == NetOp::Const) return x.konst != T.min_raw();
  return x.op == NetOp::Quantize && x.type.overflow == Overflow::SAT_SYM;
}

int NetBuilder::relu(int a) {
  if (!type(a).is_signed) return a;
  if (type(a).max_raw() <= 0) return constant(int64_t(0), Fixed{false, 1, 1 - type(a).frac_bits()});
  NetValue v;
  v.op = NetOp::Relu;
  v.args = {a};
  return emit(v);
}

int NetBuilder::cmp(CmpKind k, int a, int b) {
  NetValue v;
  v.op = NetOp::Cmp;
  v.cmp = k;
  v.args = {a, b};
  return emit(v);
}

int NetBuilder::mux(int s, int a, int b) {
  if (is_const(s)) return net_.values[size_t(s)].konst != 0 ? a : b;
  if (a == b) return a;
  NetValue v;
  v.op = NetOp::Mux;
  v.args = {s, a, b};
  return emit(v);
}

int NetBuilder::lut(int a, std::vector<int64_t> table, const Fixed& T) {
  NetValue v;
  v.op = NetOp::Lut;
  v.type = T;
  v.args = {a};
  v.table = std::move(table);
  return emit(v);
}

}  // namespace nanogate
