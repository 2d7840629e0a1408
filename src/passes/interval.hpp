// nanogate — interval analysis on exact fixed-point values.
#pragma once

#include <optional>
#include <vector>

#include "nanogate/fixed.hpp"
#include "nanogate/graph.hpp"

namespace nanogate {

/// A closed range of exact values [lo, hi] * 2^-frac (raw integers at a
/// common binary point). Operations are exact; an operation whose result
/// would need more than ~120 bits throws FixedTypeError.
struct Interval {
  i128 lo = 0, hi = 0;
  int frac = 0;

  /// The full range of a type.
  static Interval of(const Fixed& t);
  /// The range of constant values after quantizing them to t.
  static Interval of_values(const std::vector<double>& v, const Fixed& t);
  Interval add(const Interval& o) const;
  Interval sub(const Interval& o) const;
  Interval mul(const Interval& o) const;
  /// x*x for one operand (never negative).
  Interval square() const;
  Interval relu() const;
  /// Sum of n terms, each in this range.
  Interval times(int64_t n) const;
  Interval unite(const Interval& o) const;
  /// Same range at a finer binary point (f >= frac).
  Interval at(int f) const;
  /// The smallest exact type (TRN/WRAP) holding the range; throws
  /// FixedTypeError beyond 64 bits.
  Fixed type() const;
};

/// Range of a Dense accumulator y_j = b_j + sum_i W[i][j] * x_i with x of
/// type tx and W, b quantized to tw, tb: the union over outputs j of the
/// exact per-output bounds (frac = max(fx + fw, fb)).
Interval dense_interval(const Fixed& tx, const Tensor& W, const Fixed& tw, const Tensor* b, const std::optional<Fixed>& tb);

/// The exact type of constant values when every value has at most
/// `max_significant_bits` significant bits (and the type fits 64 bits).
std::optional<Fixed> exact_type_of_values(const std::vector<double>& v, int max_significant_bits);

}  // namespace nanogate
