// nanogate — inner loops of the Dense layer on exact integers held in doubles.
//
// Integer codes up to 2^53 are exact in IEEE-754 doubles, and so is every sum
// and product that stays below 2^53 — whatever the order. When interval bounds
// prove that (the caller checks), a Dense layer's integer arithmetic can run on
// the FPU's vector units: these kernels are compiled for AVX-512, AVX2 and the
// baseline ISA (GCC target_clones picks at load time) and give bit-identical
// results on all of them.
#pragma once

#include <cstdint>

namespace nanogate {

/// C[r][j] = sum_i X[r][i] * W[i][j] for r < rows (X: rows × n_in, W: n_in ×
/// n_out, C: rows × n_out, row-major). Exact when every partial sum < 2^53.
void dense_exact_f64(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t n_out, double* C);

/// C[r][j] = sum_i floor(X[r][i] * W[i][j]) (W pre-scaled by 2^-d): each
/// product truncated toward -inf before the sum, as when an exact product is
/// cast to a coarser TRN accumulator. Exact under the same bound.
void dense_floor_f64(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t n_out, double* C);

/// The same products and sums (floored products when `floor_products`), with W
/// and C padded to `ldw` columns, a multiple of 8 (padding columns of W are
/// zero): register-blocked over 8–32 columns, skipping zero inputs. Exact
/// under the same bound, so bit-identical to the two kernels above.
void dense_f64_padded(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t ldw, double* C,
                      bool floor_products);

/// dst[k] = double(src[k]) for k < n (exact for |src[k]| < 2^53).
void codes_to_f64(const int64_t* src, double* dst, int64_t n);

/// out[r][j] = int64(C[r][j]) + bias[j] for r < rows, j < n_out (C: rows × ldw
/// exact integers below 2^53; out: rows × n_out).
void f64_to_codes(const double* C, int64_t rows, int64_t ldw, int64_t n_out, const int64_t* bias, int64_t* out);

}  // namespace nanogate
