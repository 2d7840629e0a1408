// nanogate — Dense inner loops on exact integers in doubles (dense_kernels.hpp).
#include "emulate/dense_kernels.hpp"

#include <cmath>

namespace nanogate {

namespace {
/// C = X·W, each product floored first when Floor (inlined into each clone below).
template <bool Floor>
inline void dense_loop(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t n_out, double* C) {
  for (int64_t r = 0; r < rows; ++r) {
    double* c = C + r * n_out;
    for (int64_t j = 0; j < n_out; ++j) c[j] = 0.0;
    const double* x = X + r * n_in;
    for (int64_t i = 0; i < n_in; ++i) {
      double xv = x[i];
      if (xv == 0.0) continue;
      const double* w = W + i * n_out;
      if constexpr (Floor)
        for (int64_t j = 0; j < n_out; ++j) c[j] += std::floor(xv * w[j]);
      else
        for (int64_t j = 0; j < n_out; ++j) c[j] += xv * w[j];
    }
  }
}
}  // namespace

__attribute__((target_clones("avx2", "default")))
void dense_exact_f64(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t n_out, double* C) {
  dense_loop<false>(X, rows, n_in, W, n_out, C);
}

__attribute__((target_clones("avx2", "default")))
void dense_floor_f64(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t n_out, double* C) {
  dense_loop<true>(X, rows, n_in, W, n_out, C);
}

}  // namespace nanogate
