// nanogate — the netlist emulator's loops: one netlist value over a block of
// events (value-major buffers of int64 raw codes, n events each).
//
// Every value of a verified netlist holds its exact result in its type
// (Netlist::verify, net_interval), and every type fits an int64 code. So the
// ops whose result is a ring expression of the arguments (Add, Neg, Mul, and
// Relu / Mux, which select one) can run in wrap-around uint64 arithmetic: the
// result is exact modulo 2^64, and it lies in int64, so it is the exact
// integer whatever intermediate wrapped. The comparing ops (Max, Min, Cmp)
// need the true shifted operands: the caller uses these loops only when
// every shifted argument code fits int64 (else NetStep's 128-bit path).
// Shifts are left shifts aligning an argument onto the value's binary point,
// 0 <= shift <= 62 (the caller takes NetStep's path beyond).
//
// Each loop is compiled for x86-64-v4, AVX2 and the baseline
// (target_clones, chosen once at load time); all give the same bits.
#pragma once

#include <cstdint>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate::netk {

/// o[r] = (a[r] << ea) ± (b[r] << eb) (sub: minus), for r < n.
void add(const int64_t* a, int ea, const int64_t* b, int eb, bool sub, int64_t* o, int64_t n);
/// o[r] = -(a[r] << ea).
void neg(const int64_t* a, int ea, int64_t* o, int64_t n);
/// o[r] = (a[r] · b[r]) << ea.
void mul(const int64_t* a, const int64_t* b, int ea, int64_t* o, int64_t n);
/// o[r] = a[r] > 0 ? a[r] << ea : 0.
void relu(const int64_t* a, int ea, int64_t* o, int64_t n);
/// o[r] = max (is_max) or min of a[r] << ea and b[r] << eb (both fit int64).
void minmax(bool is_max, const int64_t* a, int ea, const int64_t* b, int eb, int64_t* o, int64_t n);
/// o[r] = 1 when (a[r] << ea) GE / GT / EQ (b[r] << eb) (both fit int64), else 0.
void cmp(CmpKind k, const int64_t* a, int ea, const int64_t* b, int eb, int64_t* o, int64_t n);
/// o[r] = s[r] != 0 ? b[r] << eb : c[r] << ec.
void mux(const int64_t* s, const int64_t* b, int eb, const int64_t* c, int ec, int64_t* o, int64_t n);
/// o[r] = table[a[r] - tmin] (every a[r] - tmin indexes table: the netlist verifies).
void lut(const int64_t* a, const int64_t* table, int64_t tmin, int64_t* o, int64_t n);

}  // namespace nanogate::netk
