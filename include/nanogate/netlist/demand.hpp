// nanogate — demanded bits: how many low bits of each netlist value the
// hardware must compute.
//
// A netlist value's type holds its result exactly, but a consumer may read
// only its low bits: a Quantize with WRAP overflow keeps the low W bits of the
// rounded code, and an adder whose own result is only needed modulo 2^n needs
// its operands only modulo 2^n (carries run from the LSB up, never down). So a
// sum of products cast to a wrapping accumulator, as hls4ml's dense_latency
// with a narrow `accum_t` computes it, needs no adder wider than the
// accumulator. This is the "demanded bits" analysis of compilers (e.g. LLVM's
// DemandedBits), restricted to the MSB side.
//
// Rules (a value's demand is the maximum over its consumers; every count is in
// the consumer's or the operand's own raw bits):
//   output port                       all of its bits
//   Add / Neg consumer c (demand n_c) operand a: n_c + frac(a·2^shift_a) − frac(c)
//   Quantize with WRAP, target T      operand a: n_T + frac(a·2^shift_a) − frac(T)
//                                     (the dropped LSBs stay demanded: rounding reads them)
//   every other consumer              all of its operands' bits
// each clamped to [0, operand width]. Add, Neg and WRAP Quantize values are
// then implemented at their demanded width (at least 1 bit): the hardware
// computes them modulo 2^width, and every consumer sign- or zero-extends from
// there, which changes only bits no one reads. Other values keep their width.
#pragma once

#include <vector>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Implemented width in bits of every value of n (index-aligned with
/// n.values): the demanded width for Add, Neg and WRAP Quantize values, the
/// type width for every other value (see the file comment). Values no output
/// depends on get 1 when narrowable. Argument and output indices that do not
/// name an earlier value are ignored (Netlist::verify and the backends report
/// them); nothing is thrown.
std::vector<int> implemented_widths(const Netlist& n);

/// Whether value v is implemented modulo 2^width (Add, Neg, Quantize with
/// WRAP overflow): its implemented width may be narrower than its type.
bool narrowable(const NetValue& v);

}  // namespace nanogate
