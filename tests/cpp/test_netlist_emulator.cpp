// nanogate tests — the netlist emulator's compiled program (int64 loops,
// reused slots, dead values skipped) against the per-value 128-bit definition
// (NetStep), on random netlists of every op with types from wide to 1 bit.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "nanogate/error.hpp"
#include "netlist/net_eval.hpp"
#include "netlist_fixture.hpp"

namespace nanogate {
namespace {

using test::add_value;

/// A random type: signed or not, 1..max_w bits, binary point anywhere in -8..+24 of it.
Fixed random_type(std::mt19937_64& g, int max_w) {
  Fixed t;
  t.is_signed = g() % 2;
  t.width = 1 + int(g() % uint64_t(t.is_signed ? max_w : max_w - 1));
  t.int_bits = t.width - int(g() % 33) + 8;
  return t;
}

/// Appends an exact op with the smallest type holding its result, or returns
/// -1 when that needs more than max_bits bits.
int exact(Netlist& n, NetValue v, int max_bits) {
  v.type = Fixed();
  Interval r = net_interval(n, v);
  try {
    v.type = type_for_range(r.lo, r.hi, r.frac);
  } catch (const FixedTypeError&) {
    return -1;
  }
  return v.type.width + !v.type.is_signed > max_bits ? -1 : n.add(v);
}

/// A random netlist of `ops` values over 5 inputs and 3 constants (the
/// constants first: their slots must not be reused), outputs the last 6
/// values and 4 random ones; narrow: every value fits int32 (else inputs up to
/// 40 bits and values up to 64).
Netlist random_netlist(std::mt19937_64& g, int ops, bool narrow) {
  Netlist n;
  n.source = "unit";
  for (int k = 0; k < 5; ++k) {
    Fixed t = random_type(g, k < 3 || narrow ? 12 : 40);  // some narrow, some wide
    n.inputs.push_back(NetPort{"in_" + std::to_string(k), "x" + std::to_string(k), t, {}});
    NetValue v;
    v.op = NetOp::Input;
    v.type = t;
    v.port = k;
    n.inputs.back().values.push_back(n.add(v));
  }
  for (int k = 0; k < 3; ++k) {  // constants, read by later values
    NetValue v;
    v.op = NetOp::Const;
    v.type = random_type(g, 20);
    v.konst = v.type.min_raw() + int64_t(g() % uint64_t(v.type.max_raw() - v.type.min_raw() + 1));
    n.add(v);
  }
  auto pick = [&]() { return int(g() % n.values.size()); };
  while (int(n.values.size()) < 8 + ops) {
    NetValue v;
    const int kind = int(g() % 12);
    const int a = pick(), b = pick(), c = pick();
    switch (kind) {
      case 0:
      case 1:
        v.op = NetOp::Add, v.args = {a, b}, v.sub = g() % 2;
        v.shift_a = int(g() % 9) - 4, v.shift_b = int(g() % 9) - 4;
        break;
      case 2: v.op = NetOp::Neg, v.args = {a}; break;
      case 3: v.op = NetOp::Mul, v.args = {a, b}; break;
      case 4: v.op = NetOp::Relu, v.args = {a}; break;
      case 5: v.op = g() % 2 ? NetOp::Max : NetOp::Min, v.args = {a, b}; break;
      case 6:
        v.op = NetOp::Cmp, v.args = {a, b}, v.cmp = CmpKind(g() % 3);
        v.type = parse_fixed("ufixed<1,1>");
        n.add(v);
        continue;
      case 7: {
        // a select: a Cmp of a and b, then a Mux
        NetValue s;
        s.op = NetOp::Cmp, s.args = {a, b}, s.cmp = CmpKind::GT, s.type = parse_fixed("ufixed<1,1>");
        const int sv = n.add(s);
        v.op = NetOp::Mux, v.args = {sv, b, c};
        break;
      }
      case 8:
      case 9: {
        v.op = NetOp::Quantize, v.args = {a}, v.shift_a = int(g() % 7) - 3;
        v.type = random_type(g, 16);
        v.type.rounding = Rounding(g() % 7);
        v.type.overflow = Overflow(g() % 3);
        n.add(v);
        continue;
      }
      case 10: {  // a cast that changes no code (two more integer bits): shares its argument's slot
        v.op = NetOp::Quantize, v.args = {a}, v.type = n.values[size_t(a)].type;
        if (v.type.width + 2 > (v.type.is_signed ? 64 : 63)) continue;
        v.type.width += 2, v.type.int_bits += 2;
        v.type.overflow = Overflow(g() % 3);
        n.add(v);
        continue;
      }
      default: {
        const Fixed& ta = n.values[size_t(a)].type;
        if (ta.width > 6) continue;
        v.op = NetOp::Lut, v.args = {a}, v.type = random_type(g, 10);
        for (int64_t k = 0; k < (int64_t(1) << ta.width); ++k)
          v.table.push_back(v.type.min_raw() + int64_t(g() % uint64_t(v.type.max_raw() - v.type.min_raw() + 1)));
        n.add(v);
        continue;
      }
    }
    exact(n, v, narrow ? 32 : 64);
  }
  const int nv = int(n.values.size());
  std::vector<int> outs;
  for (int k = nv - 6; k < nv; ++k) outs.push_back(k);
  for (int k = 0; k < 4; ++k) outs.push_back(pick());
  for (int v : outs) n.outputs.push_back(NetPort{"out_" + std::to_string(v), "y", n.values[size_t(v)].type, {v}});
  n.verify();
  return n;
}

/// Every value of every event by NetStep, one value at a time (the reference).
std::vector<int64_t> reference(const Netlist& n, const std::vector<int64_t>& x, int64_t rows) {
  const size_t nv = n.values.size();
  std::vector<NetStep> steps;
  for (const NetValue& v : n.values)
    steps.push_back(v.op == NetOp::Input || v.op == NetOp::Const ? NetStep() : NetStep(n, v));
  std::vector<int64_t> all(size_t(rows) * nv);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t* y = &all[size_t(r) * nv];
    for (size_t i = 0; i < nv; ++i) {
      const NetValue& v = n.values[i];
      auto arg = [&](size_t k) { return k < v.args.size() ? y[v.args[k]] : 0; };
      if (v.op == NetOp::Input) y[i] = x[size_t(r * int64_t(n.inputs.size()) + v.port)];
      else if (v.op == NetOp::Const) y[i] = v.konst;
      else y[i] = steps[i](arg(0), arg(1), arg(2));
    }
  }
  return all;
}

TEST(NetlistEmulatorProgram, RandomNetlistsEqualTheDefinitionOnEveryValue) {
  std::mt19937_64 g(7);
  const int64_t rows = 600;  // two full blocks of 256 and a partial one
  int wide_runs = 0;         // netlists on int64 lanes
  for (int seed = 0; seed < 40; ++seed) {
    const bool narrow = seed % 2 == 0;
    Netlist n = random_netlist(g, 60, narrow);
    std::vector<int64_t> x;
    for (int64_t r = 0; r < rows; ++r)
      for (const NetPort& p : n.inputs) {
        const Fixed& t = p.type;
        // extremes first, then random codes
        int64_t c = r == 0   ? t.min_raw()
                    : r == 1 ? t.max_raw()
                             : t.min_raw() + int64_t(g() % (uint64_t(t.max_raw() - t.min_raw()) + 1));
        x.push_back(c);
      }
    const std::vector<int64_t> want = reference(n, x, rows);
    NetlistEmulator e(n);
    if (narrow) ASSERT_EQ(e.lane_bits(), 32) << "seed " << seed;
    wide_runs += e.lane_bits() == 64;
    const std::vector<int64_t> y = e.run(x.data(), rows), all = e.run_all(x.data(), rows);
    ASSERT_EQ(all, want) << "seed " << seed << "\n" << to_text(n);
    const size_t nv = n.values.size(), no = n.outputs.size();
    for (int64_t r = 0; r < rows; ++r)
      for (size_t k = 0; k < no; ++k)
        ASSERT_EQ(y[size_t(r) * no + k], want[size_t(r) * nv + size_t(n.outputs[k].values[0])])
            << "seed " << seed << " event " << r << " output " << k;
  }
  EXPECT_GE(wide_runs, 10);  // both lane types were exercised
}

TEST(NetlistEmulatorProgram, WideComparisonsTakeThe128BitPath) {
  // a 60-bit integer compared with a value 10 binary places finer: a << 10
  // does not fit int64, so the comparison must not wrap
  Netlist n = test::with_input(parse_fixed("fixed<60,60>"), 1);
  n.inputs.push_back(NetPort{"in_b", "b", parse_fixed("fixed<8,-2>"), {}});
  NetValue vb;
  vb.op = NetOp::Input, vb.type = n.inputs[1].type, vb.port = 1;
  n.inputs[1].values.push_back(n.add(vb));
  const int c = add_value(n, NetOp::Cmp, parse_fixed("ufixed<1,1>"), {0, 1});
  const int64_t big = int64_t(1) << 54;  // << 10 is 2^64: 0 in wrap-around int64
  std::vector<int64_t> x = {big, 1, -big, -1, 0, 0, -1, -128};
  std::vector<int64_t> y = test::run(n, {c}, x);
  EXPECT_EQ(y, (std::vector<int64_t>{1, 0, 1, 0}));
}

TEST(NetlistEmulatorProgram, WideOutputCastOfANarrowValueRunsOnInt32LanesWhenItsCodesFit) {
  // an output port's wide type over a narrow value: a lossless cast whose
  // codes (x << 16, |x| < 2^7) fit int32, so the program runs on int32 lanes
  for (const char* in : {"fixed<8,4>", "fixed<24,24>"}) {
    Netlist n = test::with_input(parse_fixed(in), 1);
    NetValue q;
    q.op = NetOp::Quantize;
    q.args = {0};
    q.type = parse_fixed(std::string(in) == "fixed<8,4>" ? "fixed<40,20>" : "fixed<40,30>");
    const int v = n.add(q);
    n.outputs.push_back(NetPort{"out_y", "y", q.type, {v}});
    NetlistEmulator e(n);
    const Fixed t = parse_fixed(in);
    const int shift = q.type.frac_bits() - t.frac_bits();  // 16, then 10: codes up to 2^23, then 2^33
    EXPECT_EQ(e.lane_bits(), shift == 16 ? 32 : 64) << in;
    std::vector<int64_t> x = {t.min_raw(), t.max_raw(), -1, 0, 1};
    std::vector<int64_t> want;
    for (int64_t c : x) want.push_back(c * (int64_t(1) << shift));
    EXPECT_EQ(e.run(x.data(), int64_t(x.size())), want) << in;
  }
}

TEST(NetlistEmulatorProgram, FloatInputsAreCastAsTheLayerEmulatorCastsThem) {
  // run_values = run on quantize(v, port type) codes, over whole blocks and
  // the per-value path; a value that would wrap (or a NaN) is refused
  for (const char* in : {"fixed<8,4,RND,WRAP>", "fixed<6,2,TRN,SAT>"}) {
    const Fixed t = parse_fixed(in);
    Netlist n = test::with_input(t, 3);
    const int s = add_value(n, NetOp::Add, parse_fixed("fixed<9,5>"), {0, 1});
    n.outputs.push_back(NetPort{"out_y", "y", n.values[size_t(s)].type, {s}});
    n.outputs.push_back(NetPort{"out_z", "z", t, {2}});
    std::mt19937_64 g(3);
    std::uniform_real_distribution<double> u(t.value(t.min_raw()), t.value(t.max_raw()));
    std::vector<double> x;
    std::vector<int64_t> codes;
    for (int k = 0; k < 3 * 700; ++k) {
      double v = k % 7 == 0 ? std::ldexp(std::round(std::ldexp(u(g), 5)), -5) : u(g);  // ties too
      x.push_back(v);
      codes.push_back(quantize(v, t));
    }
    NetlistEmulator e(n);
    EXPECT_EQ(e.run_values(x.data(), 700), e.run(codes.data(), 700)) << in;
    x[3 * 300 + 1] = t.overflow == Overflow::WRAP ? 100.0 : 1e9;
    if (t.overflow == Overflow::WRAP) {
      EXPECT_THROW(e.run_values(x.data(), 700), Error) << in;
      x[3 * 300 + 1] = std::nan("");
      EXPECT_THROW(e.run_values(x.data(), 700), Error) << in;
    } else {
      codes[3 * 300 + 1] = t.max_raw();  // SAT: a saturated code, as quantize gives it
      EXPECT_EQ(e.run_values(x.data(), 700), e.run(codes.data(), 700)) << in;
    }
  }
}

}  // namespace
}  // namespace nanogate
