// nanogate — the netlist emulator's loops: one netlist value over a block of
// events (value-major buffers of raw codes, n events each, as int32 lanes
// when every value of the netlist fits 32 bits, else int64).
//
// Every value of a verified netlist holds its exact result in its type
// (Netlist::verify, net_interval), and its code fits the lane (T). So the
// ops whose result is a ring expression of the arguments (Add, Neg, Mul, and
// Relu / Mux, which select one) can run in wrap-around arithmetic on the
// lane's unsigned type: the result is exact modulo 2^bits(T), and it lies in
// T, so it is the exact integer whatever intermediate wrapped. The comparing
// ops (Max, Min, Cmp) need the true shifted operands: the caller uses these
// loops only when every shifted argument code fits T (else NetStep's 128-bit
// path). Shifts are left shifts aligning an argument onto the value's binary
// point, 0 <= shift < bits(T) - 1 (the caller takes NetStep's path beyond).
//
// Each loop is compiled for x86-64-v4, AVX2 and the baseline
// (target_clones, chosen once at load time); all give the same bits.
#pragma once

#include <cstdint>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate::netk {

#define NG_NETK_DECLARE(T)                                                                              \
  /** o[r] = (a[r] << ea) ± (b[r] << eb) (sub: minus), for r < n. */                                  \
  void add(const T* a, int ea, const T* b, int eb, bool sub, T* o, int64_t n);                         \
  /** o[r] = -(a[r] << ea). */                                                                         \
  void neg(const T* a, int ea, T* o, int64_t n);                                                       \
  /** o[r] = (a[r] · b[r]) << ea. */                                                                   \
  void mul(const T* a, const T* b, int ea, T* o, int64_t n);                                           \
  /** o[r] = a[r] > 0 ? a[r] << ea : 0. */                                                             \
  void relu(const T* a, int ea, T* o, int64_t n);                                                      \
  /** o[r] = max (is_max) or min of a[r] << ea and b[r] << eb (both fit T). */                        \
  void minmax(bool is_max, const T* a, int ea, const T* b, int eb, T* o, int64_t n);                   \
  /** o[r] = 1 when (a[r] << ea) GE / GT / EQ (b[r] << eb) (both fit T), else 0. */                   \
  void cmp(CmpKind k, const T* a, int ea, const T* b, int eb, T* o, int64_t n);                        \
  /** o[r] = s[r] != 0 ? b[r] << eb : c[r] << ec. */                                                   \
  void mux(const T* s, const T* b, int eb, const T* c, int ec, T* o, int64_t n);                       \
  /** o[r] = table[a[r] - tmin] (every a[r] - tmin indexes table: the netlist verifies). */            \
  void lut(const T* a, const int64_t* table, int64_t tmin, T* o, int64_t n);

NG_NETK_DECLARE(int32_t)
NG_NETK_DECLARE(int64_t)
#undef NG_NETK_DECLARE

}  // namespace nanogate::netk
