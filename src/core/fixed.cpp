// nanogate — exact fixed-point quantisation with Vitis HLS ap_fixed semantics.
//
// Semantics source: Vitis HLS user guide UG1399, "Arbitrary Precision
// Fixed-Point Data Types" (quantization and overflow modes), checked
// bit-for-bit against Xilinx's ap_fixed_base.h (the copy shipped with hls4ml
// 1.3.0, templates/vivado/ap_types) by tests/cpp/test_fixed_ap_types.cpp.
//
// quantize() works on the exact value raw * 2^-frac:
//   1. rounding: the value is divided by the target LSB 2^-F exactly
//      (shift by s = frac - F bits); the discarded bits are classified as
//      zero / below half / exactly half / above half of an LSB and the
//      rounding mode decides whether floor(value / LSB) is incremented;
//   2. overflow: the rounded integer code (still unbounded) is mapped into
//      [min_raw, max_raw] by the overflow mode.
// Everything is done in 128-bit integers; shifts of any size are classified
// without ever shifting by >= 128 bits.
#include "nanogate/fixed.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

namespace nanogate {

namespace {

using u128 = unsigned __int128;

/// Decimal spelling of a 128-bit integer (for error messages).
std::string i128_str(i128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  u128 m = neg ? u128(0) - u128(v) : u128(v);
  std::string s;
  while (m != 0) {
    s.insert(s.begin(), char('0' + int(m % 10)));
    m /= 10;
  }
  if (neg) s.insert(s.begin(), '-');
  return s;
}

/// Where the discarded bits of a right shift lie, in units of one target LSB.
enum class Rest { ZERO, BELOW_HALF, HALF, ABOVE_HALF };

/// The rounded code before the overflow step. When `exact` it is `q`;
/// otherwise the code is so large (|code| >= 2^64) that it is out of every
/// range, `neg` gives its sign and `low` its low 64 bits (for WRAP).
struct Rounded {
  bool exact = true;
  i128 q = 0;
  bool neg = false;
  uint64_t low = 0;
};

/// Rounds raw * 2^-s (s > 0) to an integer with mode r.
i128 round_shift_right(i128 raw, int64_t s, Rounding r) {
  i128 q;
  Rest rest;
  if (s <= 127) {
    q = raw >> s;  // arithmetic shift (floor); defined in C++20
    u128 mask = (u128(1) << s) - 1;
    u128 rem = u128(raw) & mask;  // raw - q*2^s, in [0, 2^s)
    u128 half = u128(1) << (s - 1);
    rest = rem == 0 ? Rest::ZERO
           : rem < half ? Rest::BELOW_HALF
           : rem == half ? Rest::HALF
                         : Rest::ABOVE_HALF;
  } else {
    // |raw| <= 2^127 <= 2^(s-1): the floor is 0 or -1.
    if (raw >= 0) {
      q = 0;  // remainder raw < 2^127 <= half
      rest = raw == 0 ? Rest::ZERO : Rest::BELOW_HALF;
    } else {
      q = -1;  // remainder 2^s + raw >= 2^s - 2^127 >= half
      bool half = s == 128 && raw == std::numeric_limits<i128>::min();
      rest = half ? Rest::HALF : Rest::ABOVE_HALF;
    }
  }
  if (rest == Rest::ZERO) return q;
  const bool neg = raw < 0;  // sign of the exact value
  bool up = false;
  switch (r) {
    case Rounding::TRN: up = false; break;
    case Rounding::TRN_ZERO: up = neg; break;
    default:
      if (rest == Rest::ABOVE_HALF) {
        up = true;
      } else if (rest == Rest::BELOW_HALF) {
        up = false;
      } else {  // exact tie
        switch (r) {
          case Rounding::RND: up = true; break;
          case Rounding::RND_ZERO: up = neg; break;
          case Rounding::RND_INF: up = !neg; break;
          case Rounding::RND_MIN_INF: up = false; break;
          case Rounding::RND_CONV: up = (q & 1) != 0; break;
          default: break;
        }
      }
  }
  return up ? q + 1 : q;
}

/// Step 1: exact rounding of raw * 2^-frac onto the grid of t (LSB 2^-F).
Rounded round_to_grid(i128 raw, int frac, const Fixed& t) {
  Rounded out;
  const int64_t F = int64_t(t.width) - int64_t(t.int_bits);
  const int64_t s = int64_t(frac) - F;  // bits to drop (> 0) or add (< 0)
  if (raw == 0) return out;
  if (s > 0) {
    out.q = round_shift_right(raw, s, t.rounding);
    return out;
  }
  const int64_t k = -s;  // exact left shift, no rounding
  if (k == 0) {
    out.q = raw;
    return out;
  }
  if (k < 64) {
    const i128 lim = i128(1) << (126 - k);
    if (raw >= -lim && raw < lim) {
      out.q = raw * (i128(1) << k);
      return out;
    }
    out.low = uint64_t(raw) << k;  // |code| >= 2^126: out of every range
  } else {
    out.low = 0;  // code is a multiple of 2^64; raw != 0 so |code| >= 2^64
  }
  out.exact = false;
  out.neg = raw < 0;
  return out;
}

/// Low W bits of `low`, reinterpreted as a W-bit signed / unsigned code.
int64_t wrap_bits(uint64_t low, const Fixed& t) {
  const int W = t.width;
  if (W < 64) low &= (uint64_t(1) << W) - 1;
  if (t.is_signed && W < 64 && ((low >> (W - 1)) & 1)) {
    return int64_t(low) - (int64_t(1) << (W - 1)) - (int64_t(1) << (W - 1));
  }
  return int64_t(low);  // W == 64 signed: two's complement conversion
}

/// Step 2: the overflow mode, mapping an unbounded code into t's range.
int64_t apply_overflow(const Rounded& r, const Fixed& t) {
  const int64_t lo = t.min_raw(), hi = t.max_raw();
  const bool above = r.exact ? r.q > i128(hi) : !r.neg;
  const bool below = r.exact ? r.q < i128(lo) : r.neg;
  switch (t.overflow) {
    case Overflow::WRAP:
      return r.exact ? wrap_bits(uint64_t(r.q), t) : wrap_bits(r.low, t);
    case Overflow::SAT:
      return above ? hi : below ? lo : int64_t(r.q);
    case Overflow::SAT_ZERO:
      return (above || below) ? 0 : int64_t(r.q);
    case Overflow::SAT_SYM: {
      if (!t.is_signed) return above ? hi : below ? lo : int64_t(r.q);
      // Symmetric saturation. ap_fixed_base.h (operator= and the double
      // constructor) sets `underflow |= neg_src && bits[W-2:0] == 0`, so a
      // negative source whose rounded code is exactly -2^(W-1) -- even though
      // that code is in range -- becomes -max = -2^(W-1)+1: the signed range
      // under SAT_SYM is [-max, max] for every value, not only on overflow.
      // (A value that cannot reach -2^(W-1) never takes that branch, so the
      // rule is simply "clamp to [-max, max]".) For W == 1 overflow_adjust
      // builds -max as (1 << (W-1)) | 1 == 1, i.e. the code -1 = min: a 1-bit
      // SAT_SYM type saturates like SAT.
      const int64_t sym_lo = t.width == 1 ? lo : lo + 1;
      if (above) return hi;
      if (below || (r.exact && r.q < i128(sym_lo))) return sym_lo;
      return int64_t(r.q);
    }
  }
  return 0;
}

// ---- parser helpers --------------------------------------------------------

[[noreturn]] void fail(std::string_view text, const std::string& why) {
  throw FixedTypeError("invalid type '" + std::string(text) + "': " + why);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// Parses a decimal integer (optional sign) that fits an int.
int parse_int(std::string_view text, std::string_view tok, const char* what) {
  std::string_view d = tok;
  bool neg = false;
  if (!d.empty() && (d.front() == '-' || d.front() == '+')) {
    neg = d.front() == '-';
    d.remove_prefix(1);
  }
  if (d.empty()) fail(text, std::string(what) + " '" + std::string(tok) + "' is not an integer");
  int64_t v = 0;
  for (char c : d) {
    if (c < '0' || c > '9')
      fail(text, std::string(what) + " '" + std::string(tok) + "' is not an integer");
    v = v * 10 + (c - '0');
    if (v > int64_t(std::numeric_limits<int>::max()))
      fail(text, std::string(what) + " '" + std::string(tok) + "' is out of range");
  }
  return int(neg ? -v : v);
}

Rounding parse_rounding(std::string_view text, std::string_view tok) {
  std::string_view m = tok;
  if (m.substr(0, 3) == "AP_") m.remove_prefix(3);
  static constexpr Rounding all[] = {Rounding::TRN,     Rounding::TRN_ZERO,
                                     Rounding::RND,     Rounding::RND_ZERO,
                                     Rounding::RND_INF, Rounding::RND_MIN_INF,
                                     Rounding::RND_CONV};
  for (Rounding r : all)
    if (m == to_string(r)) return r;
  fail(text, "unknown rounding mode '" + std::string(tok) +
                 "' (expected TRN, TRN_ZERO, RND, RND_ZERO, RND_INF, RND_MIN_INF or RND_CONV)");
}

Overflow parse_overflow(std::string_view text, std::string_view tok) {
  std::string_view m = tok;
  if (m.substr(0, 3) == "AP_") m.remove_prefix(3);
  static constexpr Overflow all[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO,
                                     Overflow::SAT_SYM};
  for (Overflow o : all)
    if (m == to_string(o)) return o;
  if (m == "WRAP_SM") fail(text, "overflow mode '" + std::string(tok) + "' is not supported");
  fail(text, "unknown overflow mode '" + std::string(tok) +
                 "' (expected WRAP, SAT, SAT_ZERO or SAT_SYM)");
}

std::string modes_suffix(const Fixed& t, const char* prefix) {
  if (t.rounding == Rounding::TRN && t.overflow == Overflow::WRAP) return "";
  std::string s = std::string(",") + prefix + to_string(t.rounding);
  if (t.overflow != Overflow::WRAP) s += std::string(",") + prefix + to_string(t.overflow);
  return s;
}

}  // namespace

// ---- Fixed members -----------------------------------------------------------

int64_t Fixed::min_raw() const {
  if (!is_signed) return 0;
  return width >= 64 ? std::numeric_limits<int64_t>::min() : -(int64_t(1) << (width - 1));
}

int64_t Fixed::max_raw() const {
  if (is_signed)
    return width >= 64 ? std::numeric_limits<int64_t>::max() : (int64_t(1) << (width - 1)) - 1;
  return width >= 63 ? std::numeric_limits<int64_t>::max() : (int64_t(1) << width) - 1;
}

double Fixed::lsb() const { return std::ldexp(1.0, -frac_bits()); }

double Fixed::value(int64_t raw) const { return std::ldexp(double(raw), -frac_bits()); }

void Fixed::validate() const {
  const int max_w = is_signed ? 64 : 63;
  if (width < 1 || width > max_w)
    fail(str(), is_signed ? "width must be 1..64" : "width must be 1..63 for unsigned types");
  if (int_bits < -kMaxBinaryPoint || int_bits > kMaxBinaryPoint)
    fail(str(), "integer bits must be within -" + std::to_string(kMaxBinaryPoint) + ".." +
                    std::to_string(kMaxBinaryPoint));
}

std::string Fixed::str() const {
  return std::string(is_signed ? "fixed<" : "ufixed<") + std::to_string(width) + "," +
         std::to_string(int_bits) + modes_suffix(*this, "") + ">";
}

std::string Fixed::ap_str() const {
  return std::string(is_signed ? "ap_fixed<" : "ap_ufixed<") + std::to_string(width) + "," +
         std::to_string(int_bits) + modes_suffix(*this, "AP_") + ">";
}

// ---- free functions -----------------------------------------------------------

const char* to_string(Rounding r) {
  switch (r) {
    case Rounding::TRN: return "TRN";
    case Rounding::TRN_ZERO: return "TRN_ZERO";
    case Rounding::RND: return "RND";
    case Rounding::RND_ZERO: return "RND_ZERO";
    case Rounding::RND_INF: return "RND_INF";
    case Rounding::RND_MIN_INF: return "RND_MIN_INF";
    case Rounding::RND_CONV: return "RND_CONV";
  }
  return "?";
}

const char* to_string(Overflow o) {
  switch (o) {
    case Overflow::WRAP: return "WRAP";
    case Overflow::SAT: return "SAT";
    case Overflow::SAT_ZERO: return "SAT_ZERO";
    case Overflow::SAT_SYM: return "SAT_SYM";
  }
  return "?";
}

Fixed parse_fixed(std::string_view text) {
  std::string_view s = trim(text);
  size_t lt = s.find('<');
  if (lt == std::string_view::npos) {
    if (s.empty()) fail(text, "empty type");
    fail(text, "expected '<' after the type name");
  }
  std::string_view name = trim(s.substr(0, lt));
  if (s.back() != '>') {
    if (s.find('>') != std::string_view::npos) fail(text, "unexpected text after '>'");
    fail(text, "missing '>'");
  }
  std::string_view body = s.substr(lt + 1, s.size() - lt - 2);
  if (body.find_first_of("<>") != std::string_view::npos) fail(text, "unbalanced '<' '>'");

  bool is_signed = true, int_form = false;
  if (name == "fixed" || name == "ap_fixed") {
  } else if (name == "ufixed" || name == "ap_ufixed") {
    is_signed = false;
  } else if (name == "int" || name == "ap_int") {
    int_form = true;
  } else if (name == "uint" || name == "ap_uint") {
    is_signed = false;
    int_form = true;
  } else {
    fail(text, "unknown type name '" + std::string(name) +
                   "' (expected fixed, ufixed, ap_fixed, ap_ufixed, int, uint, ap_int or "
                   "ap_uint)");
  }

  // Split the parameters at commas.
  std::string_view params[6];
  size_t n = 0;
  for (size_t pos = 0;;) {
    size_t comma = body.find(',', pos);
    std::string_view p = trim(body.substr(pos, comma == std::string_view::npos ? body.npos : comma - pos));
    if (n == 6) fail(text, "too many parameters");
    params[n++] = p;
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  for (size_t i = 0; i < n; ++i)
    if (params[i].empty()) fail(text, "empty parameter " + std::to_string(i + 1));
  if (int_form && n != 1)
    fail(text, "'" + std::string(name) + "' takes exactly one parameter (the width), got " +
                   std::to_string(n));
  if (!int_form && (n < 2 || n > 5))
    fail(text, "'" + std::string(name) + "' takes 2 to 5 parameters <W,I[,Q[,O[,N]]]>, got " +
                   std::to_string(n));

  Fixed t;
  t.is_signed = is_signed;
  t.width = parse_int(text, params[0], "width");
  t.int_bits = int_form ? t.width : parse_int(text, params[1], "integer bits");
  t.rounding = n >= 3 ? parse_rounding(text, params[2]) : Rounding::TRN;
  t.overflow = n >= 4 ? parse_overflow(text, params[3]) : Overflow::WRAP;
  if (n >= 5 && parse_int(text, params[4], "saturation bits") != 0)
    fail(text, "saturation bits N must be 0 (got " + std::string(params[4]) + ")");
  const int max_w = is_signed ? 64 : 63;
  if (t.width < 1 || t.width > max_w)
    fail(text, is_signed ? "width must be 1..64" : "width must be 1..63 for unsigned types");
  t.validate();  // the integer bits too: a configured type reaches interval analysis before any quantize()
  return t;
}

int64_t quantize(i128 raw, int frac, const Fixed& t) {
  t.validate();
  return apply_overflow(round_to_grid(raw, frac, t), t);
}

int64_t quantize(double v, const Fixed& t) {
  t.validate();
  if (std::isnan(v)) return 0;
  if (std::isinf(v)) {
    // As ap_fixed_base(double) does (exponent field 2047, hidden bit set):
    // +-inf is the value +-2^1024, beyond every range; WRAP keeps its low
    // W bits (0 unless the type has < -1024+64 fractional bits).
    return quantize(i128(v < 0 ? -1 : 1), -1024, t);
  }
  if (v == 0.0) return 0;
  int e = 0;
  const double m = std::frexp(v, &e);  // v = m * 2^e, 0.5 <= |m| < 1
  // m * 2^53 is an integer (|m| has at most 53 significant bits).
  const int64_t mant = int64_t(std::ldexp(m, 53));
  return quantize(i128(mant), 53 - e, t);  // v = mant * 2^-(53-e), exactly
}

Fixed type_for_range(i128 lo, i128 hi, int frac) {
  if (lo > hi)
    throw FixedTypeError("type_for_range: empty range [" + i128_str(lo) + ", " + i128_str(hi) +
                         "]");
  Fixed t;
  t.rounding = Rounding::TRN;
  t.overflow = Overflow::WRAP;
  int w = 1;
  if (lo >= 0) {
    t.is_signed = false;
    while (w < 127 && (hi >> w) != 0) ++w;  // bits needed for hi, at least 1
    if (w > 63)
      throw FixedTypeError("type_for_range: [" + i128_str(lo) + ", " + i128_str(hi) +
                           "] needs " + std::to_string(w) + " unsigned bits (max 63)");
  } else {
    t.is_signed = true;
    // smallest w with -2^(w-1) <= lo and hi <= 2^(w-1) - 1
    while (w < 127 && !(lo >= -(i128(1) << (w - 1)) && hi < (i128(1) << (w - 1)))) ++w;
    if (w > 64)
      throw FixedTypeError("type_for_range: [" + i128_str(lo) + ", " + i128_str(hi) +
                           "] needs " + std::to_string(w) + " signed bits (max 64)");
  }
  const int64_t ib = int64_t(w) - int64_t(frac);
  if (ib > std::numeric_limits<int>::max() || ib < std::numeric_limits<int>::min())
    throw FixedTypeError("type_for_range: fractional bits " + std::to_string(frac) +
                         " out of range");
  t.width = w;
  t.int_bits = int(ib);
  return t;
}

}  // namespace nanogate
