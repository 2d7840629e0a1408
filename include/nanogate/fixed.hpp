// nanogate — exact fixed-point types with Vitis HLS ap_fixed semantics.
//
// A value of type Fixed{signed, width W, int_bits I, rounding Q, overflow O} is
// raw * 2^-(W-I), where raw is a W-bit integer (two's complement when signed).
// This is ap_fixed<W,I,Q,O> (ap_ufixed when unsigned). int_bits may be negative
// or larger than W (then the type has negative fractional bits).
//
// Quantising ("casting") an exact value to a type follows the Vitis HLS user
// guide (UG1399, "Arbitrary Precision Fixed-Point Data Types", quantization and
// overflow modes) and the ap_fixed_base.h headers: first the rounding mode is
// applied at the LSB of the target, then the overflow mode to its range.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "nanogate/error.hpp"

namespace nanogate {

/// Signed 128-bit integer used for exact intermediate arithmetic.
using i128 = __int128;

/// Quantization (rounding) modes, ap_fixed's Q parameter.
enum class Rounding {
  TRN,          ///< truncate toward -inf (floor); ap_fixed default
  TRN_ZERO,     ///< truncate toward zero
  RND,          ///< round to nearest, ties toward +inf
  RND_ZERO,     ///< round to nearest, ties toward zero
  RND_INF,      ///< round to nearest, ties away from zero
  RND_MIN_INF,  ///< round to nearest, ties toward -inf
  RND_CONV,     ///< round to nearest, ties to even (convergent)
};

/// Overflow modes, ap_fixed's O parameter (sat_bits N is always 0).
enum class Overflow {
  WRAP,      ///< keep the low W bits (two's complement wrap); ap_fixed default
  SAT,       ///< clamp to [min, max]
  SAT_ZERO,  ///< out-of-range values become 0
  SAT_SYM,   ///< signed: clamp to [-max, max]; unsigned: as SAT
             ///< (as in ap_fixed_base.h, an in-range -2^(W-1) also becomes
             ///< -max; a 1-bit signed type saturates like SAT, see fixed.cpp)
};

/// Raised for an unparsable or impossible type (width < 1, width > 64, ...).
/// what() names the offending text and the reason.
class FixedTypeError : public std::invalid_argument {
 public:
  /// what(): `what` with its control characters escaped (one_line, error.hpp).
  explicit FixedTypeError(const std::string& what) : std::invalid_argument(one_line(what)) {}
};

/// Largest |integer bits| a type may have: beyond the binary point of any
/// double (LSBs 2^-1074 .. 2^1023), which no model needs; larger ones would
/// make shifts and widths overflow.
inline constexpr int kMaxBinaryPoint = 1100;

/// An exact fixed-point type. Widths are in bits; 1 <= width <= 64 (signed)
/// and 1 <= width <= 63 (unsigned) so that every raw code fits an int64_t.
struct Fixed {
  bool is_signed = true;
  int width = 16;     ///< total bits W
  int int_bits = 6;   ///< integer bits I (including the sign bit when signed)
  Rounding rounding = Rounding::TRN;
  Overflow overflow = Overflow::WRAP;

  /// Fractional bits F = W - I (may be negative). A value is raw * 2^-F.
  int frac_bits() const { return width - int_bits; }
  /// Smallest raw code: -2^(W-1) when signed, 0 otherwise.
  int64_t min_raw() const;
  /// Largest raw code: 2^(W-1)-1 when signed, 2^W-1 otherwise.
  int64_t max_raw() const;
  /// Value of one LSB, 2^-F.
  double lsb() const;
  /// Real value of a raw code (exact for |raw| < 2^53).
  double value(int64_t raw) const;
  /// Checks 1 <= W <= 64 (63 unsigned) and |I| <= kMaxBinaryPoint; throws
  /// FixedTypeError otherwise, e.g. "invalid type 'fixed<0,3>': width must be 1..64".
  void validate() const;
  /// Canonical nanogate spelling: "fixed<W,I>" / "ufixed<W,I>", with the
  /// rounding and overflow modes appended only when they are not TRN/WRAP,
  /// e.g. "fixed<8,6,RND_CONV,SAT>".
  std::string str() const;
  /// Vitis spelling, e.g. "ap_fixed<8,6,AP_RND_CONV,AP_SAT>" (same rule for
  /// which modes are written as str()).
  std::string ap_str() const;

  bool operator==(const Fixed&) const = default;
};

/// Parses a type. Accepted spellings (case-sensitive keywords, spaces allowed):
///   fixed<W,I[,Q[,O[,N]]]>, ufixed<...>, ap_fixed<...>, ap_ufixed<...>,
///   int<W>, uint<W>, ap_int<W>, ap_uint<W>;
/// Q and O may be written with or without the "AP_" prefix (TRN, AP_RND_CONV,
/// ...); N (saturation bits) is accepted only when 0. int<W> means fixed<W,W>.
/// parse_fixed(t.str()) == t and parse_fixed(t.ap_str()) == t for every valid t.
/// Throws FixedTypeError naming the text and the reason, e.g.
/// "invalid type 'fixed<0,3>': width must be 1..64".
Fixed parse_fixed(std::string_view text);

/// Name of a rounding / overflow mode without the AP_ prefix ("RND_CONV");
/// the spelling used by Fixed::str() and accepted by parse_fixed().
const char* to_string(Rounding r);
const char* to_string(Overflow o);

/// Quantises the exact value raw * 2^-frac (frac: fractional bits of the
/// source, any int, negative meaning a coarser-than-integer LSB) to type t
/// and returns t's raw code: rounding at t's LSB (2^-(W-I)) with t.rounding,
/// then t.overflow to [t.min_raw(), t.max_raw()] -- exactly what the Vitis HLS
/// cast ap_fixed<W,I,Q,O> = ap_fixed<..> does (UG1399; cross-checked against
/// ap_fixed_base.h). Exact for every raw and frac (128-bit intermediates;
/// shifts of 128 bits or more are classified, never performed).
/// Throws FixedTypeError if t is invalid (see Fixed::validate).
int64_t quantize(i128 raw, int frac, const Fixed& t);

/// Quantises a double, taken as the exact binary value it holds (frexp gives
/// a 53-bit integer mantissa and an exponent; the integer path does the rest),
/// to t. NaN gives 0. +-inf are taken as +-2^1024, as ap_fixed_base(double)
/// does, i.e. beyond the range of every type with int_bits <= 1024 (SAT gives
/// max/min, SAT_ZERO and WRAP give 0). Throws FixedTypeError if t is invalid.
int64_t quantize(double v, const Fixed& t);

/// Smallest type with fractional bits `frac` that holds every raw code in
/// [lo, hi] exactly: unsigned when lo >= 0 (width = bit length of hi, at
/// least 1), else signed (smallest W with -2^(W-1) <= lo, hi < 2^(W-1));
/// int_bits = W - frac. Modes are TRN/WRAP.
/// Throws FixedTypeError if lo > hi, or if it would need more than 64 bits
/// (63 unsigned).
Fixed type_for_range(i128 lo, i128 hi, int frac);

}  // namespace nanogate
