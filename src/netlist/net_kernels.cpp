// nanogate — the netlist emulator's loops (net_kernels.hpp): each written once
// as an inline template over the lane type, compiled per lane type and ISA by
// the wrappers below.
#include "netlist/net_kernels.hpp"

#include <type_traits>

namespace nanogate::netk {

namespace {
template <class T>
using U = std::make_unsigned_t<T>;
/// a << e in wrap-around arithmetic (0 <= e < bits(T) - 1).
template <class T>
[[gnu::always_inline]] inline T shl(T a, int e) {
  return T(U<T>(a) << e);
}

template <class T, bool Sub, bool ShiftA, bool ShiftB>
[[gnu::always_inline]] inline void add_loop(const T* a, int ea, const T* b, int eb, T* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) {
    const U<T> x = ShiftA ? U<T>(shl(a[r], ea)) : U<T>(a[r]), y = ShiftB ? U<T>(shl(b[r], eb)) : U<T>(b[r]);
    o[r] = T(Sub ? x - y : x + y);
  }
}
/// add_loop without the shifts that are 0 (most adder-graph terms shift one operand at most).
template <class T, bool Sub>
[[gnu::always_inline]] inline void add_loops(const T* a, int ea, const T* b, int eb, T* o, int64_t n) {
  if (ea == 0 && eb == 0) add_loop<T, Sub, false, false>(a, ea, b, eb, o, n);
  else if (ea == 0) add_loop<T, Sub, false, true>(a, ea, b, eb, o, n);
  else if (eb == 0) add_loop<T, Sub, true, false>(a, ea, b, eb, o, n);
  else add_loop<T, Sub, true, true>(a, ea, b, eb, o, n);
}
template <class T>
[[gnu::always_inline]] inline void neg_loop(const T* a, int ea, T* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = T(U<T>(0) - U<T>(shl(a[r], ea)));
}
template <class T>
[[gnu::always_inline]] inline void mul_loop(const T* a, const T* b, int ea, T* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = shl(T(U<T>(a[r]) * U<T>(b[r])), ea);
}
template <class T>
[[gnu::always_inline]] inline void relu_loop(const T* a, int ea, T* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = a[r] > 0 ? shl(a[r], ea) : T(0);
}
template <class T>
[[gnu::always_inline]] inline void minmax_loop(bool is_max, const T* a, int ea, const T* b, int eb, T* o, int64_t n) {
  if (is_max)
    for (int64_t r = 0; r < n; ++r) {
      T x = shl(a[r], ea), y = shl(b[r], eb);
      o[r] = x > y ? x : y;
    }
  else
    for (int64_t r = 0; r < n; ++r) {
      T x = shl(a[r], ea), y = shl(b[r], eb);
      o[r] = x < y ? x : y;
    }
}
template <class T>
[[gnu::always_inline]] inline void cmp_loop(CmpKind k, const T* a, int ea, const T* b, int eb, T* o, int64_t n) {
  switch (k) {
    case CmpKind::GE:
      for (int64_t r = 0; r < n; ++r) o[r] = shl(a[r], ea) >= shl(b[r], eb);
      break;
    case CmpKind::GT:
      for (int64_t r = 0; r < n; ++r) o[r] = shl(a[r], ea) > shl(b[r], eb);
      break;
    case CmpKind::EQ:
      for (int64_t r = 0; r < n; ++r) o[r] = shl(a[r], ea) == shl(b[r], eb);
      break;
  }
}
template <class T>
[[gnu::always_inline]] inline void mux_loop(const T* s, const T* b, int eb, const T* c, int ec, T* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = s[r] != 0 ? shl(b[r], eb) : shl(c[r], ec);
}
}  // namespace

#define NG_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#define NG_NETK_DEFINE(T)                                                                                         \
  NG_CLONES void add(const T* a, int ea, const T* b, int eb, bool sub, T* o, int64_t n) {                         \
    if (sub) add_loops<T, true>(a, ea, b, eb, o, n);                                                              \
    else add_loops<T, false>(a, ea, b, eb, o, n);                                                                 \
  }                                                                                                               \
  NG_CLONES void neg(const T* a, int ea, T* o, int64_t n) { neg_loop(a, ea, o, n); }                              \
  NG_CLONES void mul(const T* a, const T* b, int ea, T* o, int64_t n) { mul_loop(a, b, ea, o, n); }               \
  NG_CLONES void relu(const T* a, int ea, T* o, int64_t n) { relu_loop(a, ea, o, n); }                            \
  NG_CLONES void minmax(bool is_max, const T* a, int ea, const T* b, int eb, T* o, int64_t n) {                   \
    minmax_loop(is_max, a, ea, b, eb, o, n);                                                                      \
  }                                                                                                               \
  NG_CLONES void cmp(CmpKind k, const T* a, int ea, const T* b, int eb, T* o, int64_t n) {                        \
    cmp_loop(k, a, ea, b, eb, o, n);                                                                              \
  }                                                                                                               \
  NG_CLONES void mux(const T* s, const T* b, int eb, const T* c, int ec, T* o, int64_t n) {                       \
    mux_loop(s, b, eb, c, ec, o, n);                                                                              \
  }                                                                                                               \
  void lut(const T* a, const int64_t* table, int64_t tmin, T* o, int64_t n) {                                     \
    for (int64_t r = 0; r < n; ++r) o[r] = T(table[a[r] - tmin]);                                                 \
  }

NG_NETK_DEFINE(int32_t)
NG_NETK_DEFINE(int64_t)
#undef NG_NETK_DEFINE

#undef NG_CLONES

}  // namespace nanogate::netk
