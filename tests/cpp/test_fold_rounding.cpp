// nanogate tests — folding RND casts into the constant of the add before them
// (src/netlist/fold_rounding.hpp): each rewritten netlist must give the same
// output codes as the original on every input code.
#include <gtest/gtest.h>

#include <numeric>

#include "netlist/fold_rounding.hpp"
#include "netlist_fixture.hpp"

using namespace nanogate;
using namespace nanogate::test;

namespace {

int add_const(Netlist& n, int64_t raw, const Fixed& t) {
  NetValue c;
  c.op = NetOp::Const;
  c.konst = raw;
  c.type = t;
  return n.add(c);
}

/// An Add of input 0 and a constant: x·2^sx ± c·2^sc (const first when
/// `const_first`), typed exactly by interval analysis over fixed<8,4> x and
/// the constant 0x13 of fixed<6,2> (1.1875).
int bias_add(Netlist& n, bool const_first, bool sub, int sx, int sc, const Fixed& t) {
  const int c = add_const(n, 0x13, fx("fixed<6,2>"));
  NetValue v;
  v.op = NetOp::Add;
  v.args = const_first ? std::vector<int>{c, 0} : std::vector<int>{0, c};
  v.shift_a = const_first ? sc : sx;
  v.shift_b = const_first ? sx : sc;
  v.sub = sub;
  v.type = t;
  return n.add(v);
}

/// Every code of the 8-bit input.
std::vector<int64_t> all_codes() {
  std::vector<int64_t> x(256);
  std::iota(x.begin(), x.end(), -128);
  return x;
}

/// Runs n as is and after the fold; expects `folds` folds, the same outputs
/// on every input code, and no RND cast left when something folded.
void expect_same_after_fold(Netlist n, const std::vector<int>& outs, int folds) {
  const auto x = all_codes();
  const auto want = run(n, outs, x);
  Netlist f = n;
  EXPECT_EQ(fold_rounding_into_constants(f), folds);
  remove_dead_values(f);
  ASSERT_NO_THROW(f.verify());
  NetlistEmulator e(f);
  EXPECT_EQ(e.run(x.data(), int64_t(x.size())), want);
  if (folds > 0)
    for (int v : f.outputs.at(0).values) EXPECT_EQ(f.values[size_t(v)].type.rounding, Rounding::TRN);
}

}  // namespace

TEST(FoldRounding, BiasAddThenRoundHalfUpIsExactForEveryOperandOrderAndSign) {
  for (bool const_first : {false, true})
    for (bool sub : {false, true})
      for (const char* target : {"fixed<6,4,RND,WRAP>", "fixed<5,5,RND,SAT>", "ufixed<4,3,RND,SAT>"}) {
        SCOPED_TRACE(std::string(const_first ? "c op x" : "x op c") + (sub ? " sub " : " add ") + target);
        Netlist n = with_input(fx("fixed<8,4>"), 1);
        // x·2 in [−16, 15.875], c·2 = 2.375: within ±18.4 at frac 4 -> fixed<10,6>
        const int s = bias_add(n, const_first, sub, 1, 1, fx("fixed<10,6>"));
        const int q = add_value(n, NetOp::Quantize, fx(target), {s});
        expect_same_after_fold(n, {q}, 1);
      }
}

TEST(FoldRounding, SeesThroughReluAndWiredShifts) {
  Netlist n = with_input(fx("fixed<8,4>"), 1);
  const int s = bias_add(n, false, true, 0, 0, fx("fixed<9,5>"));  // x − c in [−9.19, 6.81]
  const int r = add_value(n, NetOp::Relu, fx("ufixed<8,4>"), {s});
  NetValue w;  // a wire: relu·2^-2, exactly
  w.op = NetOp::Quantize;
  w.type = fx("ufixed<8,2>");
  w.args = {r};
  w.shift_a = -2;
  const int wv = n.add(w);
  const int q = add_value(n, NetOp::Quantize, fx("ufixed<3,1,RND,SAT>"), {wv});
  expect_same_after_fold(n, {q}, 1);
}

TEST(FoldRounding, LeavesSharedValuesOtherRoundingsAndVariableSumsAlone) {
  {  // the Add also feeds a port: not folded
    Netlist n = with_input(fx("fixed<8,4>"), 1);
    const int s = bias_add(n, false, false, 0, 0, fx("fixed<9,5>"));
    const int q = add_value(n, NetOp::Quantize, fx("fixed<6,4,RND>"), {s});
    expect_same_after_fold(n, {q, s}, 0);
  }
  {  // ties to even: not round-half-up
    Netlist n = with_input(fx("fixed<8,4>"), 1);
    const int s = bias_add(n, false, false, 0, 0, fx("fixed<9,5>"));
    const int q = add_value(n, NetOp::Quantize, fx("fixed<6,4,RND_CONV>"), {s});
    expect_same_after_fold(n, {q}, 0);
  }
  {  // x + x has no constant to carry the half
    Netlist n = with_input(fx("fixed<8,4>"), 1);
    const int s = add_value(n, NetOp::Add, fx("fixed<9,5>"), {0, 0});
    const int q = add_value(n, NetOp::Quantize, fx("fixed<6,4,RND>"), {s});
    expect_same_after_fold(n, {q}, 0);
  }
}
