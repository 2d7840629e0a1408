// nanogate — Dense inner loops on exact integers in doubles (dense_kernels.hpp).
#include "emulate/dense_kernels.hpp"

#include <cmath>
#include <vector>

// The v8d helpers below are always inlined into their target clones: no
// vector crosses a function boundary, so GCC's note on the vector ABI is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

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

/// Eight doubles (one AVX-512 register, two AVX2 or four SSE2 registers).
typedef double v8d __attribute__((vector_size(64)));

[[gnu::always_inline]] inline v8d load8(const double* p) {
  v8d v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

typedef long long v8i __attribute__((vector_size(64)));

/// The product, floored when Floor. The kernels' bound keeps |p| < 2^51, where
/// t = (p + 1.5·2^52) - 1.5·2^52 is p rounded to an integer exactly (round to
/// nearest, the default mode) and floor(p) = t - (t > p): vector-friendly on
/// every ISA, equal to std::floor(p).
template <bool Floor>
[[gnu::always_inline]] inline v8d term(double xv, v8d w) {
  v8d p = xv * w;
  if constexpr (Floor) {
    const double magic = 0x1.8p52;
    v8d t = (p + magic) - magic;
    v8i above = t > p;                             // all ones where t > p
    v8i one = (v8i)(v8d{} + 1.0);                  // the bits of 1.0
    p = t - (v8d)(above & one);                    // t - 1.0 where t > p, else t - 0.0
  }
  return p;
}

/// NB×8 columns of one output row over the nonzero inputs idx[0..cnt): the
/// accumulators (two interleaved sets, for independent add chains; the sums
/// are exact, so their order does not matter) stay in vector registers.
template <bool Floor, int NB>
[[gnu::always_inline]] inline void dense_block(const double* x, const int32_t* idx, int64_t cnt, const double* W,
                                               int64_t ldw, double* c) {
  v8d a0[NB], a1[NB];
  for (int b = 0; b < NB; ++b) a0[b] = a1[b] = v8d{} ;
  int64_t t = 0;
  for (; t + 2 <= cnt; t += 2) {
    const double* w0 = W + int64_t(idx[t]) * ldw;
    const double* w1 = W + int64_t(idx[t + 1]) * ldw;
    double x0 = x[idx[t]], x1 = x[idx[t + 1]];
    for (int b = 0; b < NB; ++b) {
      a0[b] += term<Floor>(x0, load8(w0 + 8 * b));
      a1[b] += term<Floor>(x1, load8(w1 + 8 * b));
    }
  }
  if (t < cnt) {
    const double* w0 = W + int64_t(idx[t]) * ldw;
    double x0 = x[idx[t]];
    for (int b = 0; b < NB; ++b) a0[b] += term<Floor>(x0, load8(w0 + 8 * b));
  }
  for (int b = 0; b < NB; ++b) {
    v8d sum = a0[b] + a1[b];
    __builtin_memcpy(c + 8 * b, &sum, sizeof sum);
  }
}

template <bool Floor>
[[gnu::always_inline]] inline void dense_padded_loop(const double* X, int64_t rows, int64_t n_in, const double* W,
                                                     int64_t ldw, double* C, int32_t* idx) {
  for (int64_t r = 0; r < rows; ++r) {
    const double* x = X + r * n_in;
    double* c = C + r * ldw;
    int64_t cnt = 0;
    for (int64_t i = 0; i < n_in; ++i) {  // branch-free compaction of the nonzero inputs
      idx[cnt] = int32_t(i);
      cnt += x[i] != 0.0;
    }
    int64_t j = 0;
    for (; j + 32 <= ldw; j += 32) dense_block<Floor, 4>(x, idx, cnt, W + j, ldw, c + j);
    switch ((ldw - j) / 8) {
      case 3: dense_block<Floor, 3>(x, idx, cnt, W + j, ldw, c + j); break;
      case 2: dense_block<Floor, 2>(x, idx, cnt, W + j, ldw, c + j); break;
      case 1: dense_block<Floor, 1>(x, idx, cnt, W + j, ldw, c + j); break;
      default: break;
    }
  }
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void dense_padded_exact(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t ldw, double* C,
                        int32_t* idx) {
  dense_padded_loop<false>(X, rows, n_in, W, ldw, C, idx);
}

__attribute__((target_clones("avx512f", "avx2", "default")))
void dense_padded_floor(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t ldw, double* C,
                        int32_t* idx) {
  dense_padded_loop<true>(X, rows, n_in, W, ldw, C, idx);
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

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
void codes_to_f64(const int64_t* src, double* dst, int64_t n) {
  for (int64_t k = 0; k < n; ++k) dst[k] = double(src[k]);
}

__attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
void f64_to_codes(const double* C, int64_t rows, int64_t ldw, int64_t n_out, const int64_t* bias, int64_t* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const double* c = C + r * ldw;
    int64_t* y = out + r * n_out;
    for (int64_t j = 0; j < n_out; ++j) y[j] = int64_t(c[j]) + bias[j];
  }
}

void dense_f64_padded(const double* X, int64_t rows, int64_t n_in, const double* W, int64_t ldw, double* C,
                      bool floor_products) {
  int32_t small[1024];
  std::vector<int32_t> big;
  int32_t* idx = small;
  if (n_in > 1024) {
    big.resize(size_t(n_in));
    idx = big.data();
  }
  if (floor_products) dense_padded_floor(X, rows, n_in, W, ldw, C, idx);
  else dense_padded_exact(X, rows, n_in, W, ldw, C, idx);
}

}  // namespace nanogate
