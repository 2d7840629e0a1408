// nanogate — when a Dense layer's accumulation is exact modular arithmetic,
// shared by the layer emulator (exact_acc) and the netlist lowering (CMVM
// adder graphs), which must take the same decision.
#pragma once

#include "nanogate/fixed.hpp"

namespace nanogate {

/// Whether every product x*w (binary point fp = tx.frac + tw.frac) and the
/// bias land exactly in a wrapping accumulator `acc`, so that the sum can be
/// formed exactly in 64 bits and wrapped once: acc wraps, holds fp and the
/// bias' binary point, the products leave 24 bits of headroom, and the bias
/// shifted to fp fits 63 bits (a bias type with very few fractional bits
/// would otherwise be shifted by more than the word: UB, a fuzz finding).
inline bool dense_accumulates_exactly(const Fixed& tx, const Fixed& tw, const Fixed& tb, const Fixed& acc) {
  const int fp = tx.frac_bits() + tw.frac_bits();
  return acc.overflow == Overflow::WRAP && acc.frac_bits() >= fp && acc.frac_bits() >= tb.frac_bits() &&
         tb.frac_bits() <= fp && tx.width + tw.width + 24 < 63 && fp - tb.frac_bits() + tb.width < 63;
}

}  // namespace nanogate
