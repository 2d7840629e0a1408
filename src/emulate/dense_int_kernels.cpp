// nanogate — Dense layers on int32 SIMD lanes (dense_int_kernels.hpp).
#include "emulate/dense_int_kernels.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "nanogate/error.hpp"
#include "nanogate/fixed.hpp"

#if !defined(__clang__)
// GCC 12's _mm512_sra_epi32 passes _mm512_undefined_epi32() (a self-initialized
// variable) as the unused merge source: a false -Wmaybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace nanogate {

const char* dense_kernel_name(DenseKernel k) {
  switch (k) {
    case DenseKernel::Auto: return "auto";
    case DenseKernel::Scalar: return "scalar";
    case DenseKernel::F64: return "f64";
    case DenseKernel::Avx2: return "avx2";
    case DenseKernel::Avx512: return "avx512";
    case DenseKernel::Vnni: return "vnni";
  }
  return "?";
}

bool dense_kernel_supported(DenseKernel k) {
  __builtin_cpu_init();
  switch (k) {
    case DenseKernel::Avx2: return __builtin_cpu_supports("avx2");
    case DenseKernel::Avx512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    case DenseKernel::Vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vnni");
    default: return true;
  }
}

DenseKernel best_int_kernel() {
  for (DenseKernel k : {DenseKernel::Vnni, DenseKernel::Avx512, DenseKernel::Avx2})
    if (dense_kernel_supported(k)) return k;
  return DenseKernel::Scalar;
}

DenseKernel dense_kernel_requested() {
  const char* e = std::getenv("NANOGATE_DENSE_KERNEL");
  std::string v = e ? e : "";
  if (v.empty() || v == "auto") return DenseKernel::Auto;
  for (DenseKernel k : {DenseKernel::Scalar, DenseKernel::F64, DenseKernel::Avx2, DenseKernel::Avx512,
                        DenseKernel::Vnni})
    if (v == dense_kernel_name(k)) {
      if (!dense_kernel_supported(k))
        throw Error("", "NANOGATE_DENSE_KERNEL=" + v + ": this CPU lacks the instructions of that path");
      return k;
    }
  throw Error("", "NANOGATE_DENSE_KERNEL=" + v + ": unknown path (auto, scalar, f64, avx2, avx512 or vnni)");
}

bool plan_dense_int(DenseKernel kernel, int64_t x_lo, int64_t x_hi, const std::vector<int64_t>& w, int64_t n_in,
                    int64_t n_out, const std::vector<int64_t>& bias, int shift, DenseIntLayer& out) {
  if (n_in <= 0 || n_out <= 0 || n_in > (int64_t(1) << 30) || n_out > (int64_t(1) << 30) || shift < 0 ||
      shift > 62 || x_lo > x_hi)
    return false;
  if (int64_t(bias.size()) != n_out || i128(w.size()) != i128(n_in) * n_out) return false;
  const i128 lim = (i128(1) << 31) - 1;
  const i128 mx = std::max(x_lo < 0 ? -i128(x_lo) : i128(x_lo), x_hi < 0 ? -i128(x_hi) : i128(x_hi));
  bool w16 = true, w32 = true;
  for (int64_t v : w) {
    w16 = w16 && v >= -32768 && v <= 32767;
    w32 = w32 && v >= INT32_MIN && v <= INT32_MAX;
  }
  bool w8 = true;
  for (int64_t v : w) w8 = w8 && v >= -128 && v <= 127;
  const bool quads = kernel == DenseKernel::Vnni && shift == 0 && w8 && x_lo >= 0 && x_hi <= 255;
  const bool pairs = !quads && shift == 0 && w16 && x_lo >= -32768 && x_hi <= 32767;
  if (!pairs && !quads && (!w32 || x_lo < INT32_MIN || x_hi > INT32_MAX)) return false;
  // The bound, per column, in 128 bits: every term is below 2^64 · 2^63.
  i128 top = 0;
  for (int64_t j = 0; j < n_out; ++j) {
    i128 s = bias[size_t(j)] < 0 ? -i128(bias[size_t(j)]) : i128(bias[size_t(j)]);
    if (s > lim) return false;
    for (int64_t i = 0; i < n_in; ++i) {
      int64_t wv = w[size_t(i * n_out + j)];
      i128 p = mx * (wv < 0 ? -i128(wv) : i128(wv));
      if (shift) {
        if (p > lim) return false;  // the product itself must be exact in int32
        p = (p + (i128(1) << shift) - 1) >> shift;
      }
      s += p;
      if (s > lim) return false;
    }
    top = std::max(top, s);
  }
  const int64_t per = quads ? 4 : pairs ? 2 : 1;  // inputs per lane
  const int64_t n_lanes = (n_in + per - 1) / per, lanes_pad = (n_lanes + 15) / 16 * 16;
  const int64_t reg = kernel == DenseKernel::Avx512 || kernel == DenseKernel::Vnni ? 16 : 8;
  const int64_t ldw = (n_out + reg - 1) / reg * reg;
  if (i128(lanes_pad) * ldw > (i128(1) << 26)) return false;  // 256 MB of packed weights: not worth it
  out = DenseIntLayer{};
  out.kernel = kernel;
  out.pairs = pairs;
  out.quads = quads;
  out.shift = shift;
  out.n_in = n_in;
  out.n_out = n_out;
  out.ldw = ldw;
  out.n_lanes = n_lanes;
  out.lanes_pad = lanes_pad;
  out.bound = int64_t(top);
  out.keep.assign(size_t(lanes_pad), 0);
  out.w.assign(size_t(lanes_pad * ldw), 0);
  auto w_at = [&](int64_t i, int64_t j) -> int64_t { return i < n_in ? w[size_t(i * n_out + j)] : 0; };
  for (int64_t k = 0; k < n_lanes; ++k) {
    bool any = false;
    for (int64_t j = 0; j < n_out; ++j) {
      uint32_t v = 0;  // input per·k + q in bits [32q/per, 32(q+1)/per) (two's complement)
      for (int64_t q = 0; q < per; ++q)
        v |= (uint32_t(w_at(per * k + q, j)) & (per == 1 ? ~0u : (1u << (32 / per)) - 1)) << (32 / per * q);
      out.w[size_t(k * ldw + j)] = int32_t(v);
      any = any || v != 0;
    }
    out.keep[size_t(k)] = any ? -1 : 0;  // zero-weight lanes are never loaded
    out.active += any;
  }
  // Every lane, the rows of a batch sharing the weight loads, unless some
  // lanes have no weights: then each row compacts its nonzero active lanes.
  // (Skipping zero codes by compaction did not pay on the jet tagger even
  // after its ReLUs: 3.0 / 3.8 / 4.2 M events/s on avx2 / avx512 / vnni,
  // against 4.1 / 4.7 / 4.9 M with shared loads.)
  out.compact = out.active < n_lanes;
  out.bias.assign(size_t(ldw), 0);
  for (int64_t j = 0; j < n_out; ++j) out.bias[size_t(j)] = int32_t(bias[size_t(j)]);
  return true;
}

namespace {

/// Row-wise steps every ISA shares (portable C++; the ISAs below override).
struct GenericOps {
  /// xl[k] = lane k of row x (k < lanes_pad): a pair of int16 codes (low:
  /// input 2k) or one int32 code; 0 past the inputs.
  template <int Per>
  static inline void pack_row(const DenseIntLayer& L, const int64_t* x, int32_t* xl) {
    static_assert(Per == 1 || Per == 2, "quads: AVX-512 VNNI only");
    constexpr bool Pairs = Per == 2;
    int64_t k = 0;
    for (; k < L.n_in / (Pairs ? 2 : 1); ++k)
      xl[k] = Pairs ? int32_t(uint32_t(uint16_t(x[2 * k])) | uint32_t(uint16_t(x[2 * k + 1])) << 16) : int32_t(x[k]);
    if (Pairs && L.n_in % 2) xl[k++] = int32_t(uint16_t(x[L.n_in - 1]));
    for (; k < L.lanes_pad; ++k) xl[k] = 0;
  }
  /// The nonzero active lanes of xl: xv[t] their values, off[t] their
  /// weights' offset in L.w (lane · ldw); returns their count (branch-free).
  static inline int64_t compact(const DenseIntLayer& L, const int32_t* xl, int32_t* xv, int32_t* off) {
    int64_t cnt = 0;
    const int32_t* keep = L.keep.data();
    for (int64_t k = 0; k < L.lanes_pad; ++k) {
      int32_t v = xl[k] & keep[k];
      off[cnt] = int32_t(k * L.ldw);
      xv[cnt] = v;
      cnt += v != 0;
    }
    return cnt;
  }
  /// pack_row then compact (xl: lanes_pad scratch); returns the count.
  template <int Per>
  static inline int64_t pack_compact(const DenseIntLayer& L, const int64_t* x, int32_t* xl, int32_t* xv,
                                     int32_t* off) {
    pack_row<Per>(L, x, xl);
    return compact(L, xl, xv, off);
  }
};

/// The portable reference: the same modular int32 sums, one column at a time.
template <bool Pairs>
void rows_scalar(const DenseIntLayer& L, const int64_t* X, int64_t rows, int64_t* out, int32_t* xl, int32_t* xv,
                 int32_t* off, uint32_t* c) {
  for (int64_t r = 0; r < rows; ++r) {
    int64_t cnt = GenericOps::pack_compact<Pairs ? 2 : 1>(L, X + r * L.n_in, xl, xv, off);
    for (int64_t j = 0; j < L.ldw; ++j) c[j] = uint32_t(L.bias[size_t(j)]);
    for (int64_t t = 0; t < cnt; ++t) {
      const int32_t* w = L.w.data() + off[t];
      const int32_t x = xv[t];
      for (int64_t j = 0; j < L.ldw; ++j) {
        if constexpr (Pairs) {
          int32_t p0 = int32_t(int16_t(x)) * int16_t(w[j]), p1 = int32_t(int16_t(x >> 16)) * int16_t(w[j] >> 16);
          c[j] += uint32_t(p0) + uint32_t(p1);
        } else {
          c[j] += L.shift ? uint32_t((x * w[j]) >> L.shift) : uint32_t(x) * uint32_t(w[j]);
        }
      }
    }
    for (int64_t j = 0; j < L.n_out; ++j) out[r * L.n_out + j] = int32_t(c[j]);
  }
}

#define NG_AVX2 "avx2"
#define NG_AVX512 "avx512f,avx512bw"
#define NG_VNNI "avx512f,avx512bw,avx512vnni"

/// AVX2: 8 int32 lanes per register.
struct Avx2Ops : GenericOps {
  using V = __m256i;
  static constexpr int L = 8;
  static constexpr int kRows = 2;  // rows per batch (16 registers)
  static constexpr bool kQuads = false;
  [[gnu::target(NG_AVX2)]] static inline V load(const int32_t* p) { return _mm256_loadu_si256((const V*)p); }
  [[gnu::target(NG_AVX2)]] static inline V zero() { return _mm256_setzero_si256(); }
  [[gnu::target(NG_AVX2)]] static inline V bcast(int32_t x) { return _mm256_set1_epi32(x); }
  [[gnu::target(NG_AVX2)]] static inline V add(V a, V b) { return _mm256_add_epi32(a, b); }
  /// a + w0·x0 + w1·x1 per int32 lane (int16 halves), modulo 2^32.
  [[gnu::target(NG_AVX2)]] static inline V madd(V a, V w, V x) { return _mm256_add_epi32(a, _mm256_madd_epi16(w, x)); }
  /// a + ((w·x) >> d) per int32 lane (d = 0: exact sums modulo 2^32).
  [[gnu::target(NG_AVX2)]] static inline V mulsh(V a, V w, V x, __m128i d) {
    return _mm256_add_epi32(a, _mm256_sra_epi32(_mm256_mullo_epi32(w, x), d));
  }
  /// y[0..n) = the first n (1 <= n) int32 lanes of v, sign-extended.
  [[gnu::target(NG_AVX2)]] static inline void store_out(int64_t* y, V v, int64_t n) {
    V lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v)), hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1));
    if (n >= L) {
      _mm256_storeu_si256((V*)y, lo);
      _mm256_storeu_si256((V*)(y + 4), hi);
      return;
    }
    V nv = _mm256_set1_epi64x(n);
    _mm256_maskstore_epi64((long long*)y, _mm256_cmpgt_epi64(nv, _mm256_setr_epi64x(0, 1, 2, 3)), lo);
    _mm256_maskstore_epi64((long long*)(y + 4), _mm256_cmpgt_epi64(nv, _mm256_setr_epi64x(4, 5, 6, 7)), hi);
  }
};

/// AVX-512 F + BW: 16 int32 lanes per register.
struct Avx512Ops : GenericOps {
  using V = __m512i;
  static constexpr int L = 16;
  static constexpr int kRows = 4;  // rows per batch (32 registers)
  static constexpr bool kQuads = false;
  [[gnu::target(NG_AVX512)]] static inline V load(const int32_t* p) { return _mm512_loadu_si512(p); }
  [[gnu::target(NG_AVX512)]] static inline V zero() { return _mm512_setzero_si512(); }
  [[gnu::target(NG_AVX512)]] static inline V bcast(int32_t x) { return _mm512_set1_epi32(x); }
  [[gnu::target(NG_AVX512)]] static inline V add(V a, V b) { return _mm512_add_epi32(a, b); }
  [[gnu::target(NG_AVX512)]] static inline V madd(V a, V w, V x) { return _mm512_add_epi32(a, _mm512_madd_epi16(w, x)); }
  [[gnu::target(NG_AVX512)]] static inline V mulsh(V a, V w, V x, __m128i d) {
    return _mm512_add_epi32(a, _mm512_sra_epi32(_mm512_mullo_epi32(w, x), d));
  }
  [[gnu::target(NG_AVX512)]] static inline void store_out(int64_t* y, V v, int64_t n) {
    V lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)), hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1));
    if (n >= L) {
      _mm512_storeu_si512(y, lo);
      _mm512_storeu_si512(y + 8, hi);
      return;
    }
    unsigned m = (1u << n) - 1;
    _mm512_mask_storeu_epi64(y, __mmask8(m), lo);
    _mm512_mask_storeu_epi64(y + 8, __mmask8(m >> 8), hi);
  }
  /// x[i..i+8) as int64, zeros past n.
  [[gnu::target(NG_AVX512)]] static inline V load8(const int64_t* x, int64_t i, int64_t n) {
    int64_t rem = n - i;
    __mmask8 m = rem >= 8 ? __mmask8(0xff) : rem <= 0 ? __mmask8(0) : __mmask8((1u << rem) - 1);
    return _mm512_maskz_loadu_epi64(m, x + i);
  }
  /// x[i..i+32) as 32 int16 (truncation, vpmovqw), zeros past n.
  [[gnu::target(NG_AVX512)]] static inline V words32(const int64_t* x, int64_t i, int64_t n) {
    __m256i lo = _mm256_set_m128i(_mm512_cvtepi64_epi16(load8(x, i + 8, n)), _mm512_cvtepi64_epi16(load8(x, i, n)));
    __m256i hi = _mm256_set_m128i(_mm512_cvtepi64_epi16(load8(x, i + 24, n)), _mm512_cvtepi64_epi16(load8(x, i + 16, n)));
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  }
  /// GenericOps::pack_compact in registers, 16 lanes at a time: masked loads
  /// of the codes (zeros past the row), vpmovqw / vpmovqd (truncation, as the
  /// casts there), vpcompressd (register form: the memory form is microcoded
  /// on AMD Zen 4). xv and off have room for 16 more lanes.
  template <int Per>
  [[gnu::target(NG_AVX512)]] static inline int64_t pack_compact(const DenseIntLayer& L, const int64_t* x, int32_t*,
                                                                int32_t* xv, int32_t* off) {
    const V ldw16 = _mm512_set1_epi32(int(16 * L.ldw));
    V o = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                             _mm512_set1_epi32(int(L.ldw)));
    int64_t cnt = 0;
    for (int64_t k = 0; k < L.lanes_pad; k += 16, o = _mm512_add_epi32(o, ldw16)) {
      V v = _mm512_and_si512(lanes16<Per>(L, x, k), _mm512_loadu_si512(L.keep.data() + k));
      __mmask16 m = _mm512_test_epi32_mask(v, v);
      _mm512_storeu_si512(xv + cnt, _mm512_maskz_compress_epi32(m, v));
      _mm512_storeu_si512(off + cnt, _mm512_maskz_compress_epi32(m, o));
      cnt += __builtin_popcount(unsigned(m));
    }
    return cnt;
  }
  /// GenericOps::pack_row in registers (lanes16).
  template <int Per>
  [[gnu::target(NG_AVX512)]] static inline void pack_row(const DenseIntLayer& L, const int64_t* x, int32_t* xl) {
    for (int64_t k = 0; k < L.lanes_pad; k += 16) _mm512_storeu_si512(xl + k, lanes16<Per>(L, x, k));
  }
  /// Lanes k..k+16 of row x (k a multiple of 16): masked loads of the codes
  /// (zeros past the row), then vpmovqw / vpmovwb / vpmovqd (truncation, as
  /// the casts of GenericOps).
  template <int Per>
  [[gnu::target(NG_AVX512)]] static inline V lanes16(const DenseIntLayer& L, const int64_t* x, int64_t k) {
    const int64_t i = k * Per;
    if constexpr (Per == 4)
      return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi16_epi8(words32(x, i, L.n_in))),
                                _mm512_cvtepi16_epi8(words32(x, i + 32, L.n_in)), 1);
    else if constexpr (Per == 2)
      return words32(x, i, L.n_in);
    else
      return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(load8(x, i, L.n_in))),
                                _mm512_cvtepi64_epi32(load8(x, i + 8, L.n_in)), 1);
  }
};

/// AVX-512 VNNI: the pair madd and the add in one instruction (vpdpwssd).
struct VnniOps : Avx512Ops {
  static constexpr bool kQuads = true;
  [[gnu::target(NG_VNNI)]] static inline V madd(V a, V w, V x) { return _mm512_dpwssd_epi32(a, w, x); }
  /// a + the four u8 (x) × s8 (w) byte products of each int32 lane, modulo 2^32 (vpdpbusd).
  [[gnu::target(NG_VNNI)]] static inline V madd4(V a, V w, V x) { return _mm512_dpbusd_epi32(a, x, w); }
};

/// Zero lanes (value 0, offset 0: adding 0·w) from cnt up to `to`.
inline void pad_lanes(int32_t* xv, int32_t* off, int64_t cnt, int64_t to) {
  for (int64_t t = cnt; t < to; ++t) xv[t] = off[t] = 0;
}

// The ISA-generic loops (dense_int_simd.inc) are compiled once per ISA, each
// copy inside a region whose functions all carry that ISA's target attribute
// (GCC: #pragma GCC target; clang: #pragma clang attribute), so that no vector
// crosses a function compiled for another ISA. Each copy's entry point, run(),
// inlines every helper (flatten).
#if defined(__clang__)
#define NG_TARGET_REGION(t) _Pragma(t)
#define NG_TARGET_AVX2 "clang attribute push (__attribute__((target(\"avx2\"))), apply_to = function)"
#define NG_TARGET_AVX512 "clang attribute push (__attribute__((target(\"avx512f,avx512bw\"))), apply_to = function)"
#define NG_TARGET_VNNI \
  "clang attribute push (__attribute__((target(\"avx512f,avx512bw,avx512vnni\"))), apply_to = function)"
#define NG_TARGET_END _Pragma("clang attribute pop")
#else
#define NG_TARGET_REGION(t) _Pragma("GCC push_options") _Pragma(t)
#define NG_TARGET_AVX2 "GCC target(\"avx2\")"
#define NG_TARGET_AVX512 "GCC target(\"avx512f,avx512bw\")"
#define NG_TARGET_VNNI "GCC target(\"avx512f,avx512bw,avx512vnni\")"
#define NG_TARGET_END _Pragma("GCC pop_options")
#endif

namespace isa_avx2 {
using O = Avx2Ops;
NG_TARGET_REGION(NG_TARGET_AVX2)
#include "emulate/dense_int_simd.inc"
NG_TARGET_END
}  // namespace isa_avx2

namespace isa_avx512 {
using O = Avx512Ops;
NG_TARGET_REGION(NG_TARGET_AVX512)
#include "emulate/dense_int_simd.inc"
NG_TARGET_END
}  // namespace isa_avx512

namespace isa_vnni {
using O = VnniOps;
NG_TARGET_REGION(NG_TARGET_VNNI)
#include "emulate/dense_int_simd.inc"
NG_TARGET_END
}  // namespace isa_vnni

}  // namespace

void dense_int_run(const DenseIntLayer& L, const int64_t* X, int64_t rows, int64_t* out) {
  // Scratch: one row's lanes, its compacted lanes (16 spare for the vector
  // compaction's stores) and, for the scalar path, its accumulators; the
  // sizes come from the plan, which bounds them.
  const size_t nl = size_t(L.lanes_pad);
  std::vector<int32_t> scratch(9 * nl + 128 + size_t(L.ldw));
  int32_t* xl = scratch.data();
  int32_t* xv = xl + nl;              // four rows of nl + 16
  int32_t* off = xv + 4 * (nl + 16);  // four rows of nl + 16
  switch (L.kernel) {
    case DenseKernel::Avx2: isa_avx2::run(L, X, rows, out, xl, xv, off); return;
    case DenseKernel::Avx512: isa_avx512::run(L, X, rows, out, xl, xv, off); return;
    case DenseKernel::Vnni: isa_vnni::run(L, X, rows, out, xl, xv, off); return;
    default: {
      uint32_t* c = reinterpret_cast<uint32_t*>(off + 4 * (nl + 16));
      if (L.pairs) rows_scalar<true>(L, X, rows, out, xl, xv, off, c);
      else rows_scalar<false>(L, X, rows, out, xl, xv, off, c);
    }
  }
}

}  // namespace nanogate
