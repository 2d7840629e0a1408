// nanogate — the netlist emulator's loops (net_kernels.hpp).
#include "netlist/net_kernels.hpp"

namespace nanogate::netk {

namespace {
using u64 = uint64_t;
/// a << e in wrap-around arithmetic (0 <= e <= 62).
inline u64 shl(int64_t a, int e) { return u64(a) << e; }
}  // namespace

#define NG_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))

NG_CLONES void add(const int64_t* a, int ea, const int64_t* b, int eb, bool sub, int64_t* o, int64_t n) {
  if (sub)
    for (int64_t r = 0; r < n; ++r) o[r] = int64_t(shl(a[r], ea) - shl(b[r], eb));
  else
    for (int64_t r = 0; r < n; ++r) o[r] = int64_t(shl(a[r], ea) + shl(b[r], eb));
}

NG_CLONES void neg(const int64_t* a, int ea, int64_t* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = int64_t(u64(0) - shl(a[r], ea));
}

NG_CLONES void mul(const int64_t* a, const int64_t* b, int ea, int64_t* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = int64_t((u64(a[r]) * u64(b[r])) << ea);
}

NG_CLONES void relu(const int64_t* a, int ea, int64_t* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = a[r] > 0 ? int64_t(shl(a[r], ea)) : 0;
}

NG_CLONES void minmax(bool is_max, const int64_t* a, int ea, const int64_t* b, int eb, int64_t* o, int64_t n) {
  if (is_max)
    for (int64_t r = 0; r < n; ++r) {
      int64_t x = int64_t(shl(a[r], ea)), y = int64_t(shl(b[r], eb));
      o[r] = x > y ? x : y;
    }
  else
    for (int64_t r = 0; r < n; ++r) {
      int64_t x = int64_t(shl(a[r], ea)), y = int64_t(shl(b[r], eb));
      o[r] = x < y ? x : y;
    }
}

NG_CLONES void cmp(CmpKind k, const int64_t* a, int ea, const int64_t* b, int eb, int64_t* o, int64_t n) {
  switch (k) {
    case CmpKind::GE:
      for (int64_t r = 0; r < n; ++r) o[r] = int64_t(shl(a[r], ea)) >= int64_t(shl(b[r], eb));
      break;
    case CmpKind::GT:
      for (int64_t r = 0; r < n; ++r) o[r] = int64_t(shl(a[r], ea)) > int64_t(shl(b[r], eb));
      break;
    case CmpKind::EQ:
      for (int64_t r = 0; r < n; ++r) o[r] = int64_t(shl(a[r], ea)) == int64_t(shl(b[r], eb));
      break;
  }
}

NG_CLONES void mux(const int64_t* s, const int64_t* b, int eb, const int64_t* c, int ec, int64_t* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = s[r] != 0 ? int64_t(shl(b[r], eb)) : int64_t(shl(c[r], ec));
}

void lut(const int64_t* a, const int64_t* table, int64_t tmin, int64_t* o, int64_t n) {
  for (int64_t r = 0; r < n; ++r) o[r] = table[a[r] - tmin];
}

#undef NG_CLONES

}  // namespace nanogate::netk
