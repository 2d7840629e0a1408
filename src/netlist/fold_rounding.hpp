// nanogate — folding round-half-up casts into the constant of the add before them.
#pragma once

#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Rewrites every Quantize q with rounding RND (round half up) that drops
/// d >= 1 LSBs of its argument, where that argument is an Add of a variable
/// and a Const (a Dense output and its bias) seen through at most four
/// single-use Relu values and wire Quantizes (lossless re-typings, possibly
/// shifted: a·2^shift_a held exactly), each value of the chain having one
/// user (an output port counts as a user): half of q's LSB, scaled back
/// through the wires' shifts, joins the Add's constant and q truncates (TRN)
/// instead, keeping its overflow mode. Exact: RND(v) = floor(v + h) with h
/// half an LSB; a wire is a scaling; and floor(max(v, 0) + h) =
/// max(floor(v + h), 0) because floor is monotone and 0 < h < 1 LSB. Each
/// fold saves the rounding incrementer (a carry chain as wide as q) at no
/// cost: the Add was there anyway. (alkaid 0.8.2 keeps these incrementers:
/// measured on the HGQ2 jet taggers, bench/README.md.)
///
/// The Add gets a new Const (placed just before it, so SSA order holds);
/// its type, and those of the chain above it, are recomputed exactly over
/// the new constant; the old Const may be left unused (remove_dead_values
/// drops it). A candidate whose shifted constant or range would not fit 64
/// bits is left as it is. Returns the number of casts folded. Throws nothing
/// on a well-formed netlist (Netlist::verify); malformed argument indices are
/// skipped.
int fold_rounding_into_constants(Netlist& n);

}  // namespace nanogate
