// CastPlan (the emulator's fast cast) against nanogate::quantize, the reference.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "emulate/cast.hpp"

using namespace nanogate;

TEST(CastPlan, AgreesWithQuantizeOnSmallTypesExhaustively) {
  const Rounding rs[] = {Rounding::TRN, Rounding::TRN_ZERO, Rounding::RND, Rounding::RND_ZERO,
                         Rounding::RND_INF, Rounding::RND_MIN_INF, Rounding::RND_CONV};
  const Overflow os[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};
  int64_t checked = 0;
  for (bool sg : {true, false})
    for (int w = 1; w <= 7; ++w)
      for (int i = -2; i <= 9; ++i)
        for (auto r : rs)
          for (auto o : os)
            for (int from_frac = -3; from_frac <= 8; ++from_frac) {
              Fixed t{sg, w, i, r, o};
              CastPlan p(from_frac, t);
              for (int64_t v = -300; v <= 300; ++v, ++checked)
                ASSERT_EQ(p(v), quantize(i128(v), from_frac, t))
                    << t.str() << " from frac " << from_frac << " v=" << v;
            }
  EXPECT_GT(checked, 1000000);
}

TEST(CastPlan, AgreesWithQuantizeOnWideRandomValues) {
  std::mt19937_64 rng(5);
  for (int k = 0; k < 200000; ++k) {
    bool sg = rng() & 1;
    int w = 1 + int(rng() % (sg ? 64 : 63));
    int i = int(rng() % 80) - 10;
    Fixed t{sg, w, i, Rounding(rng() % 7), Overflow(rng() % 4)};
    int from_frac = int(rng() % 140) - 70;
    int64_t v = int64_t(rng()) >> (rng() % 64);
    CastPlan p(from_frac, t);
    ASSERT_EQ(p(v), quantize(i128(v), from_frac, t)) << t.str() << " from frac " << from_frac << " v=" << v;
  }
}

TEST(CastPlan, BatchesOnInt64AndInt32CodesAgreeWithQuantize) {
  // every loop kind (TRN / RND / RND_CONV right shifts, no shift, left
  // shifts, the per-value fallback) on both storages; int32 needs results
  // that fit int32: target widths up to 32 bits
  std::mt19937_64 rng(11);
  for (int k = 0; k < 4000; ++k) {
    bool sg = rng() & 1;
    int w = 1 + int(rng() % (sg ? 32 : 31));
    int i = int(rng() % 40) - 8;
    Fixed t{sg, w, i, Rounding(rng() % 7), Overflow(rng() % 4)};
    int from_frac = t.frac_bits() + int(rng() % 41) - 20;
    CastPlan p(from_frac, t);
    const int64_t n = 1 + int64_t(rng() % 70);
    std::vector<int64_t> src(static_cast<size_t>(n)), dst(static_cast<size_t>(n));
    std::vector<int32_t> src32(static_cast<size_t>(n)), dst32(static_cast<size_t>(n));
    const int span = int(rng() % 32);
    for (int64_t j = 0; j < n; ++j) {
      src32[size_t(j)] = int32_t(int64_t(int32_t(rng())) >> span);
      src[size_t(j)] = src32[size_t(j)];
    }
    p.apply(src.data(), dst.data(), n);
    p.apply(src32.data(), dst32.data(), n);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t want = quantize(i128(src[size_t(j)]), from_frac, t);
      ASSERT_EQ(dst[size_t(j)], want) << t.str() << " from frac " << from_frac << " v=" << src[size_t(j)];
      ASSERT_EQ(dst32[size_t(j)], want) << "int32: " << t.str() << " from frac " << from_frac << " v=" << src[size_t(j)];
    }
  }
}
