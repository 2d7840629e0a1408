// nanogate — interval analysis on exact fixed-point values (interval.hpp).
#include "passes/interval.hpp"

#include <algorithm>
#include <cmath>

namespace nanogate {

namespace {
constexpr int kMaxBits = 120;

int bits_of(i128 v) {
  if (v < 0) v = -(v + 1);
  int b = 0;
  while (v) {
    v >>= 1;
    ++b;
  }
  return b;
}
void check(const Interval& r) {
  if (bits_of(r.lo) > kMaxBits || bits_of(r.hi) > kMaxBits)
    throw FixedTypeError("exact result needs more than 64 bits");
}
i128 shl(i128 v, int s) {
  if (s < 0 || s > kMaxBits || bits_of(v) + s > kMaxBits) throw FixedTypeError("exact result needs more than 64 bits");
  return v * (i128(1) << s);
}
}  // namespace

Interval Interval::of(const Fixed& t) { return {t.min_raw(), t.max_raw(), t.frac_bits()}; }

Interval Interval::of_values(const std::vector<double>& v, const Fixed& t) {
  Interval r{0, 0, t.frac_bits()};
  bool first = true;
  for (double x : v) {
    i128 q = quantize(x, t);
    if (first || q < r.lo) r.lo = q;
    if (first || q > r.hi) r.hi = q;
    first = false;
  }
  return r;
}

Interval Interval::at(int f) const { return {shl(lo, f - frac), shl(hi, f - frac), f}; }

Interval Interval::add(const Interval& o) const {
  int f = std::max(frac, o.frac);
  Interval a = at(f), b = o.at(f);
  Interval r{a.lo + b.lo, a.hi + b.hi, f};
  check(r);
  return r;
}
Interval Interval::sub(const Interval& o) const {
  int f = std::max(frac, o.frac);
  Interval a = at(f), b = o.at(f);
  Interval r{a.lo - b.hi, a.hi - b.lo, f};
  check(r);
  return r;
}
Interval Interval::mul(const Interval& o) const {
  if (bits_of(lo) + bits_of(o.lo) > kMaxBits || bits_of(hi) + bits_of(o.hi) > kMaxBits ||
      bits_of(lo) + bits_of(o.hi) > kMaxBits || bits_of(hi) + bits_of(o.lo) > kMaxBits)
    throw FixedTypeError("exact product needs more than 64 bits");
  i128 c[4] = {lo * o.lo, lo * o.hi, hi * o.lo, hi * o.hi};
  return {*std::min_element(c, c + 4), *std::max_element(c, c + 4), frac + o.frac};
}
Interval Interval::square() const {
  Interval m = mul(*this);
  if (lo <= 0 && hi >= 0) m.lo = 0;
  else m.lo = std::min(lo * lo, hi * hi);
  return m;
}
Interval Interval::relu() const { return {std::max<i128>(lo, 0), std::max<i128>(hi, 0), frac}; }
Interval Interval::times(int64_t n) const {
  Interval r{lo * n, hi * n, frac};
  check(r);
  return r;
}
Interval Interval::unite(const Interval& o) const {
  int f = std::max(frac, o.frac);
  Interval a = at(f), b = o.at(f);
  return {std::min(a.lo, b.lo), std::max(a.hi, b.hi), f};
}
Fixed Interval::type() const { return type_for_range(lo, hi, frac); }

Interval dense_interval(const Fixed& tx, const Tensor& W, const Fixed& tw, const Tensor* b, const std::optional<Fixed>& tb) {
  int64_t n_in = W.shape[0], n_out = W.shape[1];
  int fp = tx.frac_bits() + tw.frac_bits();
  int f = b ? std::max(fp, tb->frac_bits()) : fp;
  i128 xl = tx.min_raw(), xh = tx.max_raw();
  Interval all;
  for (int64_t j = 0; j < n_out; ++j) {
    Interval acc{0, 0, f};
    for (int64_t i = 0; i < n_in; ++i) {
      i128 w = quantize(W.values[i * n_out + j], tw);
      Interval p{std::min(w * xl, w * xh), std::max(w * xl, w * xh), fp};
      acc = acc.add(p.at(f));
    }
    if (b) acc = acc.add(Interval{quantize(b->values[j], *tb), quantize(b->values[j], *tb), tb->frac_bits()}.at(f));
    all = j == 0 ? acc : all.unite(acc);
  }
  return all;
}

std::optional<Fixed> exact_type_of_values(const std::vector<double>& v, int max_sig) {
  int frac = -1000;
  for (double x : v) {
    if (!std::isfinite(x)) return std::nullopt;
    if (x == 0) continue;
    int e;
    double m = std::frexp(std::fabs(x), &e);  // x = m * 2^e, m in [0.5,1)
    // Smallest f with x * 2^f an integer: m has at most 53 bits.
    int64_t mi = int64_t(std::ldexp(m, 53));
    int tz = __builtin_ctzll(uint64_t(mi));
    int sig = 53 - tz;
    if (sig > max_sig) return std::nullopt;
    frac = std::max(frac, sig - e);
  }
  if (frac == -1000) frac = 0;
  if (frac > 64 || frac < -64) return std::nullopt;
  i128 lo = 0, hi = 0;
  for (double x : v) {
    int e;
    std::frexp(x, &e);
    if (x != 0 && e + frac > 100) return std::nullopt;
    i128 r = i128(std::ldexp(x, frac));
    lo = std::min(lo, r);
    hi = std::max(hi, r);
  }
  try {
    return type_for_range(lo, hi, frac);
  } catch (const FixedTypeError&) {
    return std::nullopt;
  }
}

}  // namespace nanogate
