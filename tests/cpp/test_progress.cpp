// Progress bars: the rendered line (count, bar, percentage, rate, ETA).
#include <gtest/gtest.h>

#include "nanogate/progress.hpp"

using nanogate::render_progress;

TEST(Progress, KnownTotalShowsCountBarRateAndEta) {
  // 4,096 of 10,000 in 0.5 s: 40.96% -> 9 of 24 bar cells, 8.19 k/s,
  // 5,904 left at that rate = 0.72 s -> "0:01".
  EXPECT_EQ(render_progress("verify: simulation", "vectors", 4096, 10000, 0.5),
            "verify: simulation  4,096/10,000 vectors [#########...............]  40%  8.19 k/s  ETA 0:01");
}

TEST(Progress, FinishedShowsTotalTime) {
  EXPECT_EQ(render_progress("emulate", "events", 2000000, 2000000, 3725.0, 8),
            "emulate  2,000,000/2,000,000 events [########] 100%  537/s  1:02:05");
}

TEST(Progress, UnknownTotalShowsElapsedTime) {
  EXPECT_EQ(render_progress("verify: Verilator build", "", 0, 0, 72.4), "verify: Verilator build  1:12");
  EXPECT_EQ(render_progress("csim: testbench", "vectors", 1234567, 0, 5.0), "csim: testbench  1,234,567 vectors  0:05");
}

TEST(Progress, CountsBeyondTheTotalAreClamped) {
  EXPECT_EQ(render_progress("x", "", 12, 10, 0, 4), "x  10/10 [####] 100%");
  EXPECT_EQ(render_progress("x", "", -3, 10, 1.0, 4), "x  0/10 [....]   0%");
}

TEST(Progress, MillionsPerSecond) {
  EXPECT_EQ(render_progress("emulate", "events", 3000000, 6000000, 0.5, 2),
            "emulate  3,000,000/6,000,000 events [#.]  50%  6 M/s  ETA 0:01");  // 0.5 s rounds up
}
