// nanogate — Dense layers on int32 SIMD lanes, where interval bounds prove it exact.
//
// A Dense layer's output column j is c_j = b_j + sum_i t(x_i, w_ij), with
// t = x·w (an exact sum, the layer emulator's exact_acc case) or
// t = floor(x·w / 2^d) (each exact product truncated onto a coarser TRN
// accumulator, f64 mode 2). All of these kernels add in int32 lanes with
// wrap-around (two's complement, modulo 2^32). Modular sums are exact modulo
// 2^32 whatever the order and whatever the intermediate wrap, so the result is
// the exact integer whenever the true |c_j| < 2^31; plan_dense_int proves that
// per output column from the codes' type range and the actual weights:
//     |b_j| + sum_i max|x_i| · |w_ij| <= 2^31 - 1      (exact sums)
//     |b_j| + sum_i ceil(max|x_i| · |w_ij| / 2^d) <= 2^31 - 1, and every
//     max|x_i| · |w_ij| <= 2^31 - 1 (each product exact in int32)   (floor)
// in checked 128-bit arithmetic; a layer that fails stays on the double or
// 64/128-bit kernels. Every path below therefore returns the same bits.
//
// Paths (one per layer, chosen once when the emulator is set up):
//   scalar  portable C++ (the reference; GCC may auto-vectorize it for the
//           baseline ISA)
//   avx2    _mm256_madd_epi16 (pairs of int16 inputs × int16 weights, 8 columns
//           per register); floor mode: _mm256_mullo_epi32 + arithmetic shift
//   avx512  _mm512_madd_epi16 (AVX-512BW, 16 columns per register)
//   vnni    _mm512_dpwssd_epi32 (AVX-512 VNNI: the madd and the add in one);
//           _mm512_dpbusd_epi32 on quads of bytes when the codes are in
//           [0, 255] and the weights in [-128, 127] (e.g. after a ReLU)
//   f64     no integer kernel: the exact-integers-in-doubles kernels
//           (dense_kernels.hpp) or the 64/128-bit loops, as before
// The environment variable NANOGATE_DENSE_KERNEL=scalar|f64|avx2|avx512|vnni
// forces one path for every layer whose bound holds (unset, empty or "auto":
// the best path this CPU supports). Exact-sum layers whose codes and weights
// fit int16 use the madd layout (on vnni: byte quads when they fit u8 × s8);
// the others (and floor layers) use int32 lanes. The ISA paths run batches of
// 2 (AVX2) or 4 (AVX-512) rows that share every weight load, over every lane
// with a nonzero weight; the loops are written once (dense_int_simd.inc) and
// compiled per ISA.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nanogate {

/// A Dense kernel path (see the file comment).
enum class DenseKernel { Auto, Scalar, F64, Avx2, Avx512, Vnni };

/// The lower-case name of a path ("auto", "scalar", "f64", "avx2", "avx512", "vnni").
const char* dense_kernel_name(DenseKernel k);

/// The path named by NANOGATE_DENSE_KERNEL (Auto when unset, empty or "auto").
/// Throws nanogate::Error naming the variable for an unknown name, or for a
/// path whose instructions this CPU lacks (AVX2; AVX-512 F+BW; AVX-512 VNNI).
DenseKernel dense_kernel_requested();

/// True when this CPU runs path k (Auto, Scalar and F64: always).
bool dense_kernel_supported(DenseKernel k);

/// The fastest integer path this CPU supports: Vnni, Avx512, Avx2 or Scalar.
DenseKernel best_int_kernel();

/// One Dense layer packed for the integer kernels (built by plan_dense_int).
struct DenseIntLayer {
  DenseKernel kernel = DenseKernel::Scalar;  ///< Scalar, Avx2, Avx512 or Vnni
  bool pairs = false;   ///< madd layout: lane k holds inputs 2k (low int16) and 2k+1 (high int16)
  bool quads = false;   ///< vnni byte layout: lane k holds inputs 4k..4k+3 (u8 codes, s8 weights; vpdpbusd)
  int shift = 0;        ///< floor mode: d > 0, each product is floor(x·w / 2^d); 0: exact sums
  int64_t n_in = 0, n_out = 0;
  int64_t ldw = 0;      ///< padded columns: a multiple of the path's register (8 or 16 int32); padding is 0
  int64_t n_lanes = 0;  ///< lanes: the inputs, or pairs of inputs (ceil(n_in / 2))
  int64_t lanes_pad = 0;  ///< n_lanes rounded up to 16 (padding lanes are 0)
  int64_t active = 0;   ///< lanes with a nonzero weight (the others are never loaded)
  int64_t bound = 0;    ///< max over the columns of the proven bound: every |out| <= bound < 2^31
  /// Some lanes have no weights: each row runs over its nonzero active lanes
  /// only (compacted); else over every lane, the rows of a batch (2 or 4)
  /// sharing the weight loads.
  bool compact = true;
  std::vector<int32_t> keep;   ///< lanes_pad masks: -1 for an active lane, else 0
  std::vector<int32_t> w;      ///< lane-major packed weights: lanes_pad × ldw (int32, or two int16)
  std::vector<int32_t> bias;   ///< ldw biases, the accumulators' start
};

/// Builds the integer kernel of a Dense layer, or returns false (and leaves
/// `out` unspecified) when the bound of the file comment does not hold.
/// x_lo, x_hi: the range of the input codes (their type's min_raw, max_raw);
/// w: n_in × n_out row-major weight codes; bias: n_out codes at the sum's
/// binary point (added exactly); shift: 0 for exact sums, d in [1, 62] for
/// floored products; kernel: Scalar, Avx2, Avx512 or Vnni (not checked
/// against the CPU here). Exact sums use byte quads (Vnni only) when x is in
/// [0, 255] and w in [-128, 127], else int16 pairs when both fit int16; floor
/// mode and wider codes use one input per lane.
bool plan_dense_int(DenseKernel kernel, int64_t x_lo, int64_t x_hi, const std::vector<int64_t>& w, int64_t n_in,
                    int64_t n_out, const std::vector<int64_t>& bias, int shift, DenseIntLayer& out);

/// out[r][j] = bias_j + sum_i t(X[r][i], w_ij) for r < rows, j < n_out, on
/// layer L's path (X: rows × n_in codes in [x_lo, x_hi]; out: rows × n_out;
/// both row-major int64). Exact: identical on every path.
void dense_int_run(const DenseIntLayer& L, const int64_t* X, int64_t rows, int64_t* out);

}  // namespace nanogate
