// nanogate HLS backend — spelling nanogate types as Vitis HLS types.
#pragma once

#include <string>

#include "nanogate/fixed.hpp"

namespace nanogate::hls {

/// The Vitis HLS type of t with its rounding and overflow modes exactly:
/// ap_fixed<W,I[,Q[,O]]> (signed) or ap_ufixed<...> (unsigned). Integer
/// types stay ap_fixed<W,W> rather than ap_int<W>: a conversion to ap_int
/// truncates toward zero and ignores the overflow mode, a cast to
/// ap_fixed<W,W,Q,O> applies Q and O as the emulator does.
std::string ap_type(const Fixed& t);

/// The integer type holding t's raw codes: ap_int<W> (signed) or ap_uint<W>.
std::string raw_type(const Fixed& t);

/// The smallest signed ap_int<W> holding every integer in [lo, hi] (for the
/// exact integer sums the DA emitter forms).
std::string exact_raw_int_type(i128 lo, i128 hi);

/// `T::range(W-1, 0)`-style expression reading the raw code of `expr` (of
/// type t) as raw_type(t).
std::string raw_of(const std::string& expr, const Fixed& t);

/// A one-line description for comments, e.g. "fixed<6,1,RND_CONV,SAT>".
std::string describe(const Fixed& t);

}  // namespace nanogate::hls
