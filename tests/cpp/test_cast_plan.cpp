// CastPlan (the emulator's fast cast) against nanogate::quantize, the reference.
#include <gtest/gtest.h>

#include <random>

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
