// nanogate — inner loops of the Dense layer on exact integers held in doubles.
//
// Integer codes up to 2^53 are exact in IEEE-754 doubles, and so is every sum
// and product that stays below 2^53 — whatever the order. When interval bounds
// prove that (the caller checks), a Dense layer's integer arithmetic can run on
// the FPU's vector units: these kernels are compiled for AVX2 and for the
// baseline ISA (GCC target_clones picks at load time) and give bit-identical
// results on both.
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

}  // namespace nanogate
