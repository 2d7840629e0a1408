// The Verilog RTL backend: lint-clean (verilator --lint-only -Wall), byte-identical
// output, and Verilator simulation bit-exact against the netlist semantics —
// nanogate::quantize for every rounding/overflow mode of Quantize (exhaustive
// on small widths) and an independent reference evaluator for the other ops;
// pipelining meets the period in the delay model; a corrupted constant is caught.
// The VHDL printed from the same netlists (backend/vhdl.hpp) analyses clean
// under GHDL (-Werror) and simulates bit-exact on the same references.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "nanogate/backend/pipeline.hpp"
#include "nanogate/backend/verilog.hpp"
#include "nanogate/backend/vhdl.hpp"
#include "nanogate/error.hpp"
#include "nanogate/netlist/demand.hpp"
#include "nanogate/netlist/netlist_emulator.hpp"

using namespace nanogate;
namespace fs = std::filesystem;

namespace {

bool have_verilator() { return std::system("verilator --version > /dev/null 2>&1") == 0; }
bool have_ghdl() { return std::system("ghdl --version > /dev/null 2>&1") == 0; }

fs::path scratch(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("nanogate_test_verilog_" + std::to_string(::getpid())) / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

/// Runs a shell command, returning its combined output and exit status.
std::pair<std::string, int> shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  size_t k;
  while ((k = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), k);
  int st = pclose(p);
  return {out, WEXITSTATUS(st)};
}

/// `verilator --lint-only -Wall` on the module; returns its output ("" = clean).
std::string lint(const fs::path& dir, const std::string& top) {
  auto [out, rc] = shell("cd " + dir.string() + " && verilator --lint-only -Wall " + top + ".v");
  if (rc != 0 && out.empty()) out = "exit " + std::to_string(rc);
  return out;
}

Fixed fx(bool s, int w, int i, Rounding r = Rounding::TRN, Overflow o = Overflow::WRAP) { return Fixed{s, w, i, r, o}; }

/// Adds an input port of `count` elements of type t; returns the value indices.
std::vector<int> add_input(Netlist& n, const std::string& name, const Fixed& t, int count) {
  NetPort p;
  p.name = name;
  p.tensor = name;
  p.type = t;
  const int port = int(n.inputs.size());
  for (int k = 0; k < count; ++k) {
    NetValue v;
    v.op = NetOp::Input;
    v.type = t;
    v.port = port;
    v.index = k;
    v.layer = "input";
    p.values.push_back(n.add(v));
  }
  n.inputs.push_back(p);
  return p.values;
}

int add_op(Netlist& n, NetOp op, const Fixed& t, std::vector<int> args, const std::string& layer = "ops") {
  NetValue v;
  v.op = op;
  v.type = t;
  v.args = std::move(args);
  v.layer = layer;
  return n.add(v);
}

void add_output(Netlist& n, const std::string& name, int value) {
  NetPort p;
  p.name = name;
  p.tensor = name;
  p.type = n.values[size_t(value)].type;
  p.values = {value};
  n.outputs.push_back(p);
}

// ---- an independent reference evaluator of netlist.hpp's semantics -----------

/// Exact value raw·2^(shift−frac) re-expressed on the grid 2^-F (F must be fine enough).
i128 on_grid(int64_t raw, int frac, int shift, int F) {
  const int k = F - (frac - shift);
  EXPECT_GE(k, 0);
  return i128(raw) << k;
}

std::vector<int64_t> reference(const Netlist& n, const std::vector<int64_t>& in) {
  std::vector<int64_t> val(n.values.size());
  size_t pos = 0;
  std::vector<size_t> port_off;
  for (const auto& p : n.inputs) {
    port_off.push_back(pos);
    pos += p.values.size();
  }
  for (size_t i = 0; i < n.values.size(); ++i) {
    const NetValue& v = n.values[i];
    const int F = v.type.frac_bits();
    auto A = [&](int k) { return val[size_t(v.args[size_t(k)])]; };
    auto TA = [&](int k) { return n.values[size_t(v.args[size_t(k)])].type; };
    auto exact = [&](int k, int grid) { return on_grid(A(k), TA(k).frac_bits(), 0, grid); };
    i128 r = 0;
    switch (v.op) {
      case NetOp::Input: r = in[port_off[size_t(v.port)] + size_t(v.index)]; break;
      case NetOp::Const: r = v.konst; break;
      case NetOp::Add: {
        i128 a = on_grid(A(0), TA(0).frac_bits(), v.shift_a, F), b = on_grid(A(1), TA(1).frac_bits(), v.shift_b, F);
        r = v.sub ? a - b : a + b;
        break;
      }
      case NetOp::Neg: r = -exact(0, F); break;
      case NetOp::Mul: r = (i128(A(0)) * A(1)) << (F - TA(0).frac_bits() - TA(1).frac_bits()); break;
      case NetOp::Relu: r = std::max<i128>(exact(0, F), 0); break;
      case NetOp::Max: r = std::max(exact(0, F), exact(1, F)); break;
      case NetOp::Min: r = std::min(exact(0, F), exact(1, F)); break;
      case NetOp::Cmp: {
        const int g = std::max(TA(0).frac_bits(), TA(1).frac_bits());
        const i128 a = exact(0, g), b = exact(1, g);
        r = v.cmp == CmpKind::GE ? a >= b : v.cmp == CmpKind::GT ? a > b : a == b;
        break;
      }
      case NetOp::Mux: r = A(0) != 0 ? exact(1, F) : exact(2, F); break;
      case NetOp::Lut: r = v.table[size_t(A(0) - TA(0).min_raw())]; break;
      case NetOp::Quantize: r = quantize(i128(A(0)), TA(0).frac_bits() - v.shift_a, v.type); break;
    }
    EXPECT_TRUE(r >= v.type.min_raw() && r <= v.type.max_raw()) << "value " << i << " leaves its type";
    val[i] = int64_t(r);
  }
  std::vector<int64_t> out;
  for (const auto& p : n.outputs)
    for (int j : p.values) out.push_back(val[size_t(j)]);
  return out;
}

/// Every combination of every input code (inputs varied odometer-style).
std::vector<int64_t> exhaustive_inputs(const Netlist& n, int64_t& rows) {
  std::vector<Fixed> types;
  for (const auto& p : n.inputs)
    for (size_t k = 0; k < p.values.size(); ++k) types.push_back(p.type);
  rows = 1;
  for (const auto& t : types) rows *= t.max_raw() - t.min_raw() + 1;
  std::vector<int64_t> x;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t q = r;
    for (const auto& t : types) {
      const int64_t span = t.max_raw() - t.min_raw() + 1;
      x.push_back(t.min_raw() + q % span);
      q /= span;
    }
  }
  return x;
}

/// `rows` input vectors of uniformly random in-range codes for every input
/// port element of n (row-major, ports in order): consecutive vectors differ,
/// so pipeline registers are exercised.
std::vector<int64_t> random_codes(const Netlist& n, int64_t rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> x;
  for (int64_t r = 0; r < rows; ++r)
    for (const auto& p : n.inputs)
      for (size_t k = 0; k < p.values.size(); ++k)
        x.push_back(p.type.min_raw() + int64_t(rng() % uint64_t(p.type.max_raw() - p.type.min_raw() + 1)));
  return x;
}

/// Builds the RTL of n in a scratch folder (Verilog, or VHDL when `vhdl`),
/// lints it (verilator -Wall; GHDL analysis with -Werror), simulates `x`
/// (Verilator; GHDL) and compares every output with the reference evaluator
/// and NetlistEmulator.
void expect_rtl_exact(const Netlist& n, const std::string& name, const std::vector<int64_t>& x, int64_t rows,
                      bool valid = true, bool vhdl = false) {
  VerilogOptions o;
  o.top = "ng_" + name;
  o.valid = valid;
  const fs::path dir = scratch(name + (vhdl ? "_vhdl" : ""));
  std::vector<int64_t> y;
  if (vhdl) {
    write_vhdl_files(dir.string(), n, o);
    EXPECT_EQ(shell("sh " + (dir / "sim_ghdl.sh").string() + " lint"), std::make_pair(std::string(), 0))
        << "GHDL analysis of " << (dir / (o.top + ".vhd"));
    y = run_ghdl_sim(dir.string(), n, o, x, rows);
  } else {
    write_rtl_files(dir.string(), n, o);
    EXPECT_EQ(lint(dir, o.top), "") << "lint of " << (dir / (o.top + ".v"));
    build_verilator_sim(dir.string(), o);
    y = run_verilator_sim(dir.string(), n, o, x, rows);
  }
  NetlistEmulator emu(n);
  const std::vector<int64_t> z = emu.run(x.data(), rows);
  ASSERT_EQ(y.size(), z.size());
  const size_t n_in = x.size() / size_t(rows), n_out = y.size() / size_t(rows);
  int shown = 0;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int64_t> xin(x.begin() + r * int64_t(n_in), x.begin() + (r + 1) * int64_t(n_in));
    const std::vector<int64_t> ref = reference(n, xin);
    for (size_t k = 0; k < n_out; ++k) {
      const int64_t rtl = y[size_t(r) * n_out + k], emu_v = z[size_t(r) * n_out + k];
      if ((rtl != ref[k] || emu_v != ref[k]) && shown++ < 10) {
        ADD_FAILURE() << name << ": vector " << r << " output " << k << " ('" << n.outputs[k].name
                      << "'): RTL " << rtl << ", reference " << ref[k] << ", NetlistEmulator " << emu_v;
      }
    }
  }
  EXPECT_EQ(shown, 0);
}

const Rounding kRoundings[] = {Rounding::TRN,     Rounding::TRN_ZERO,    Rounding::RND,     Rounding::RND_ZERO,
                               Rounding::RND_INF, Rounding::RND_MIN_INF, Rounding::RND_CONV};
const Overflow kOverflows[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};

/// Quantize from a signed and an unsigned source to many targets in every
/// rounding and overflow mode: dropped bits (1, 3, more than the width),
/// appended bits, narrower/wider integer parts, 1-bit targets, shift_a.
Netlist quantize_netlist() {
  Netlist n;
  n.source = "quantize_modes";
  const int xs = add_input(n, "xs", fx(true, 6, 3), 1)[0];
  const int xu = add_input(n, "xu", fx(false, 5, 2), 1)[0];
  const std::array<std::pair<int, int>, 7> shapes = {{{4, 2}, {3, 1}, {3, 3}, {2, 6}, {8, 2}, {1, 1}, {2, 0}}};
  int k = 0;
  for (int src : {xs, xu})
    for (auto [w, i] : shapes)
      for (bool sgn : {true, false})
        for (Rounding r : kRoundings)
          for (Overflow o : kOverflows) {
            const int q = add_op(n, NetOp::Quantize, fx(sgn, w, i, r, o), {src}, "q");
            if (k % 5 == 0) n.values[size_t(q)].shift_a = (k % 3) - 1;  // -1, 0, +1
            add_output(n, "q" + std::to_string(k++), q);
          }
  return n;
}

/// One or more of every other op, on small signed/unsigned inputs.
Netlist ops_netlist() {
  Netlist n;
  n.source = "ops";
  const int a = add_input(n, "a", fx(true, 5, 2), 1)[0];    // [-4, 3.875]
  const int b = add_input(n, "b", fx(false, 4, 1), 1)[0];   // [0, 1.875]
  const int c = add_input(n, "c", fx(true, 4, 4), 1)[0];    // [-8, 7]
  const int k1 = add_op(n, NetOp::Const, fx(true, 6, 3), {});
  n.values[size_t(k1)].konst = -19;  // -2.375
  auto add = [&](int x, int y, int sa, int sb, bool sub, const Fixed& t) {
    const int v = add_op(n, NetOp::Add, t, {x, y});
    n.values[size_t(v)].shift_a = sa;
    n.values[size_t(v)].shift_b = sb;
    n.values[size_t(v)].sub = sub;
    return v;
  };
  add_output(n, "add", add(a, b, 0, 0, false, fx(true, 7, 4)));
  add_output(n, "add_shift", add(a, c, 1, -2, false, fx(true, 10, 5)));
  add_output(n, "sub", add(b, a, 0, 2, true, fx(true, 10, 6)));
  const int kc = add(c, k1, 0, 0, true, fx(true, 9, 6));
  add_output(n, "sub_const", kc);
  add_output(n, "neg_a", add_op(n, NetOp::Neg, fx(true, 6, 3), {a}));
  add_output(n, "neg_b", add_op(n, NetOp::Neg, fx(true, 5, 2), {b}));
  add_output(n, "mul", add_op(n, NetOp::Mul, fx(true, 9, 3), {a, b}));
  add_output(n, "mul_ss", add_op(n, NetOp::Mul, fx(true, 10, 7), {a, c}));
  add_output(n, "mul_uu", add_op(n, NetOp::Mul, fx(false, 8, 2), {b, b}));  // raw b² <= 225
  add_output(n, "square", add_op(n, NetOp::Mul, fx(false, 9, 3), {a, a}));  // raw a² <= 256: fewer bits than 5 + 5
  add_output(n, "relu", add_op(n, NetOp::Relu, fx(false, 4, 1), {a}));
  add_output(n, "relu_wide", add_op(n, NetOp::Relu, fx(false, 8, 4), {c}));
  add_output(n, "max", add_op(n, NetOp::Max, fx(true, 8, 4), {a, c}));
  add_output(n, "min", add_op(n, NetOp::Min, fx(true, 6, 3), {a, b}));
  for (CmpKind ck : {CmpKind::GE, CmpKind::GT, CmpKind::EQ}) {
    const int v = add_op(n, NetOp::Cmp, fx(false, 1, 1), {a, c});
    n.values[size_t(v)].cmp = ck;
    add_output(n, "cmp" + std::to_string(int(ck)), v);
  }
  const int sel = add_op(n, NetOp::Cmp, fx(false, 1, 1), {b, k1});
  add_output(n, "mux", add_op(n, NetOp::Mux, fx(true, 8, 4), {c, a, b}));
  add_output(n, "mux_cmp", add_op(n, NetOp::Mux, fx(true, 6, 3), {sel, k1, b}));
  const int lut_s = add_op(n, NetOp::Lut, fx(true, 7, 2), {a});
  for (int64_t r = -16; r < 16; ++r) n.values[size_t(lut_s)].table.push_back((r * r * 3) % 64 - 32);
  add_output(n, "lut_s", lut_s);
  const int lut_u = add_op(n, NetOp::Lut, fx(false, 3, 0), {b});
  for (int64_t r = 0; r < 16; ++r) n.values[size_t(lut_u)].table.push_back((r * 5) % 8);
  add_output(n, "lut_u", lut_u);
  add_output(n, "const", k1);
  add_output(n, "pass", c);
  // A chain that drops bits: the dropped LSBs must be lint-clean.
  const int q = add_op(n, NetOp::Quantize, fx(true, 4, 3, Rounding::RND_CONV, Overflow::SAT), {kc});
  add_output(n, "chain", add_op(n, NetOp::Relu, fx(false, 3, 2), {q}));
  // A wrapping chain: only the low bits of these adders are read (demand.hpp).
  const int s1 = add(a, c, 0, 1, false, fx(true, 9, 6));   // a + 2c in [-20, 17.875]
  const int s2 = add(s1, b, 0, 2, true, fx(true, 10, 7));  // − 4b (over s1's type: [-39.5, 31.875])
  const int ng = add_op(n, NetOp::Neg, fx(true, 11, 8), {s2});
  const int qw = add_op(n, NetOp::Quantize, fx(true, 4, 2, Rounding::RND, Overflow::WRAP), {ng});
  add_output(n, "wrap_sum", qw);
  // A wrapping cast read only by a narrower wrapping cast.
  const int qn = add_op(n, NetOp::Quantize, fx(true, 7, 5, Rounding::RND_CONV, Overflow::WRAP), {s1});
  add_output(n, "wrap_wrap", add_op(n, NetOp::Quantize, fx(false, 3, 2, Rounding::TRN, Overflow::WRAP), {qn}));
  // An unused input element and a dead value are allowed.
  add_input(n, "spare", fx(true, 3, 1), 2);
  add_op(n, NetOp::Neg, fx(true, 6, 3), {a});
  return n;
}

DelayModel unit_model() {
  return parse_delay_model(R"({"family": "unit", "clk_to_q_ns": 0.5, "setup_ns": 0.5, "ops": {
    "Add": {"base_ns": 1, "per_bit_ns": 0.1}, "Neg": {"base_ns": 1, "per_bit_ns": 0},
    "Mul": {"base_ns": 2, "per_bit_ns": 0}, "Relu": {"base_ns": 0.5, "per_bit_ns": 0},
    "Max": {"base_ns": 1, "per_bit_ns": 0, "bits": "operand"}, "Min": {"base_ns": 1, "per_bit_ns": 0},
    "Cmp": {"base_ns": 1, "per_bit_ns": 0}, "Mux": {"base_ns": 0.5, "per_bit_ns": 0},
    "Lut": {"base_ns": 1, "per_bit_ns": 0, "bits": "operand"}, "QuantizeRound": {"base_ns": 1, "per_bit_ns": 0},
    "QuantizeSaturate": {"base_ns": 1, "per_bit_ns": 0}}})",
                           "unit.json");
}

}  // namespace

TEST(VerilogWriter, QuantizeEveryModeIsLintCleanAndBitExact) {
  if (!have_verilator()) GTEST_SKIP() << "verilator not installed";
  Netlist n = quantize_netlist();
  n.verify();
  int64_t rows = 0;
  const auto x = exhaustive_inputs(n, rows);  // 64 × 32 codes
  expect_rtl_exact(n, "quantize_modes", x, rows, false);
}

TEST(VerilogWriter, EveryOpIsLintCleanAndBitExact) {
  if (!have_verilator()) GTEST_SKIP() << "verilator not installed";
  Netlist n = ops_netlist();
  n.verify();
  int64_t rows = 0;
  const auto x = exhaustive_inputs(n, rows);  // 32 × 16 × 16 × 8 × 8
  expect_rtl_exact(n, "ops", x, rows);
}

TEST(VhdlWriter, QuantizeEveryModeAnalysesCleanAndIsBitExact) {
  if (!have_ghdl()) GTEST_SKIP() << "ghdl not installed";
  Netlist n = quantize_netlist();
  int64_t rows = 0;
  const auto x = exhaustive_inputs(n, rows);  // 64 × 32 codes
  expect_rtl_exact(n, "quantize_modes", x, rows, false, true);
}

TEST(VhdlWriter, EveryOpAnalysesCleanAndIsBitExactPipelined) {
  // Every op combinationally (valid_out = valid_in) and at 2+ cycles
  // (registers, the valid shift register); random codes, as GHDL is slow.
  if (!have_ghdl()) GTEST_SKIP() << "ghdl not installed";
  for (double period : {0.0, 1.6}) {
    Netlist n = ops_netlist();
    const PipelineResult r = pipeline_netlist(n, unit_model(), period);
    if (period > 0) EXPECT_GE(r.latency_cycles, 2);
    const int64_t rows = 3000;
    expect_rtl_exact(n, "ops_" + std::to_string(r.latency_cycles), random_codes(n, rows, 11), rows, true, true);
  }
}

TEST(Demand, WrappingSumsAreImplementedAtTheBitsTheirConsumersRead) {
  const Netlist n = ops_netlist();
  n.verify();
  const std::vector<int> w = implemented_widths(n);
  auto named = [&](const std::string& port) {
    for (const auto& p : n.outputs)
      if (p.name == port) return p.values[0];
    ADD_FAILURE() << "no port " << port;
    return 0;
  };
  // wrap_sum = (fixed<4,2,RND,WRAP>)(−(a + 2c − 4b)): 4 result bits + 1 dropped LSB (read by the rounding)
  const int qw = named("wrap_sum"), ng = n.values[size_t(qw)].args[0], s2 = n.values[size_t(ng)].args[0];
  const int s1 = n.values[size_t(s2)].args[0];
  EXPECT_EQ(w[size_t(qw)], 4);
  EXPECT_EQ(w[size_t(ng)], 5);
  EXPECT_EQ(w[size_t(s2)], 5);
  // s1 is also read by the RND_CONV cast qn (fixed<7,5>: 1 dropped LSB) whose only reader,
  // ufixed<3,2>, keeps 3 bits and drops 1: qn needs 4 bits, s1 max(4 + 1, 5) = 5
  const int q3 = named("wrap_wrap"), qn = n.values[size_t(q3)].args[0];
  EXPECT_EQ(w[size_t(q3)], 3);
  EXPECT_EQ(w[size_t(qn)], 4);
  EXPECT_EQ(w[size_t(s1)], 5);
  // values read in full keep their type widths: inputs, Relu, a SAT cast's argument, outputs
  for (size_t i = 0; i < n.values.size(); ++i)
    if (!narrowable(n.values[i])) EXPECT_EQ(w[i], n.values[i].type.width) << "value " << i;
  EXPECT_EQ(w[size_t(named("add"))], n.values[size_t(named("add"))].type.width);
}

TEST(VerilogWriter, PipelinedDesignIsBitExactAtEveryLatency) {
  if (!have_verilator()) GTEST_SKIP() << "verilator not installed";
  int max_latency = 0;
  for (double period : {3.0, 2.0, 1.6}) {  // the unit model's adders take 1.4-2 ns: 1, 2, 3+ cycles
    Netlist n = ops_netlist();
    const PipelineResult r = pipeline_netlist(n, unit_model(), period);
    max_latency = std::max(max_latency, r.latency_cycles);
    const int64_t rows = 3000;
    expect_rtl_exact(n, "ops_pipelined_" + std::to_string(r.latency_cycles), random_codes(n, rows, 7), rows);
  }
  EXPECT_GE(max_latency, 2);
}

TEST(VerilogWriter, RegisteredPortsAddOneCycleEachAndStayBitExact) {
  // register_ports: inputs in stage 0, every op in stages 1 .. latency - 1,
  // so each input and each output crosses at least one register; two cycles
  // more than the same netlist without port registers (2 when combinational).
  for (double period : {0.0, 3.0, 2.0}) {
    Netlist plain = ops_netlist();
    const int bare = pipeline_netlist(plain, unit_model(), period).latency_cycles;
    Netlist n = ops_netlist();
    const PipelineResult r = pipeline_netlist(n, unit_model(), period, true);
    EXPECT_EQ(r.latency_cycles, bare + 2) << "period " << period;
    EXPECT_EQ(n.latency, r.latency_cycles);
    const std::vector<bool> live = live_values(n);
    for (size_t i = 0; i < n.values.size(); ++i) {
      const NetValue& v = n.values[i];
      if (v.op == NetOp::Input) EXPECT_EQ(v.stage, 0);
      if (!live[i] || v.op == NetOp::Input || v.op == NetOp::Const) continue;
      EXPECT_GE(v.stage, 1) << "value " << i << ", period " << period;
      EXPECT_LE(v.stage, r.latency_cycles - 1) << "value " << i << ", period " << period;
    }
    if (period == 3.0) {  // every op alone fits 3 ns (at 2 ns some do not: `met` is false there)
      EXPECT_TRUE(r.met);
      for (double d : r.stage_delay_ns) EXPECT_LE(d, period + 1e-9);
    }
    if (!have_verilator()) continue;
    const int64_t rows = 2000;
    expect_rtl_exact(n, "ops_ports_" + std::to_string(r.latency_cycles), random_codes(n, rows, 5), rows);
  }
}

TEST(VerilogWriter, OutputIsByteIdentical) {
  Netlist a = ops_netlist(), b = ops_netlist();
  pipeline_netlist(a, unit_model(), 4.0);
  pipeline_netlist(b, unit_model(), 4.0);
  VerilogOptions o;
  o.top = "ng_ops";
  EXPECT_EQ(write_verilog(a, o), write_verilog(b, o));
  EXPECT_EQ(write_verilog(a, o), write_verilog(a, o));
  EXPECT_EQ(write_verilator_testbench(a, o), write_verilator_testbench(b, o));
  const std::string text = write_verilog(a, o);
  EXPECT_NE(text.find("module ng_ops ("), std::string::npos);
  EXPECT_NE(text.find("element k of a port of element width W sits at bits [(k+1)*W-1 : k*W]"), std::string::npos);
}

TEST(VerilogWriter, ModuleNamesAreLegal) {
  EXPECT_EQ(verilog_module_name("/x/y/small.onnx"), "ng_small");
  EXPECT_EQ(verilog_module_name("TFC_2W2A.onnx"), "ng_TFC_2W2A");
  EXPECT_EQ(verilog_module_name("a-b.c.onnx"), "ng_a_b_c");
}

TEST(VerilogWriter, RejectsBadNetlists) {
  Netlist n = ops_netlist();
  n.values.back().args = {int(n.values.size())};  // refers forward
  VerilogOptions o;
  EXPECT_THROW(write_verilog(n, o), Error);
}

TEST(Pipeline, MeetsThePeriodAndLatencyGrowsAsThePeriodShrinks) {
  // A chain of 12 dependent 8-bit adds: 1.8 ns each in the unit model.
  Netlist n;
  n.source = "chain";
  auto x = add_input(n, "x", fx(true, 8, 8), 2);
  int acc = x[0];
  for (int i = 0; i < 12; ++i) {
    const int v = add_op(n, NetOp::Add, fx(true, 8, 8), {acc, x[1]});
    n.values[size_t(v)].sub = i % 2 == 1;
    acc = v;
  }
  add_output(n, "y", acc);
  const DelayModel m = unit_model();
  int last = -1;
  for (double period : {100.0, 12.0, 6.0, 4.0, 2.9}) {
    PipelineResult r = pipeline_netlist(n, m, period);
    EXPECT_TRUE(r.met);
    EXPECT_EQ(n.latency, r.latency_cycles);
    EXPECT_EQ(n.clock_period_ns, period);
    for (double d : r.stage_delay_ns) EXPECT_LE(d, period + 1e-9);
    // ASAP under the model: floor(budget / 1.8) adds per stage.
    const int per_stage = int((period - 1.0) / 1.8 + 1e-9);
    EXPECT_EQ(r.latency_cycles, (12 + per_stage - 1) / per_stage - 1) << "period " << period;
    EXPECT_GE(r.latency_cycles, last);
    last = r.latency_cycles;
    EXPECT_DOUBLE_EQ(r.latency_ns, r.latency_cycles * period);
    for (size_t i = 0; i < n.values.size(); ++i)
      for (int a : n.values[i].args) EXPECT_LE(n.values[size_t(a)].stage, n.values[i].stage);
  }
  EXPECT_EQ(last, 11);
  PipelineResult c = pipeline_netlist(n, m, 0);  // combinational
  EXPECT_EQ(c.latency_cycles, 0);
  EXPECT_NEAR(c.latency_ns, 12 * 1.8, 1e-9);
  PipelineResult tight = pipeline_netlist(n, m, 2.0);  // one add alone exceeds the budget
  EXPECT_FALSE(tight.met);
}

TEST(Pipeline, RegistersTheFewestBitsAtTheMinimumLatency) {
  // Three outputs at a 4 ns period (3 ns of logic per stage after 1 ns of
  // register overhead): a chain of six 1 ns negations (sets the latency to 1
  // cycle; it must be cut after its third negation, 7 bits); a 16-bit sum of
  // two 2-bit inputs (1 + 0.1 * 16 = 2.6 ns), best computed in stage 1 from
  // its registered 2-bit inputs (4 bits, not 16); and a 1-bit comparison of
  // two 16-bit inputs, best computed in stage 0 (1 bit, not 32). Hand count:
  // 7 + 4 + 1 = 12 bits. All in ASAP stages: 7 + 16 + 1 = 24; all in ALAP
  // stages: 7 + 4 + 32 = 43.
  Netlist n;
  n.source = "fewest";
  int v = add_input(n, "x", fx(true, 4, 4), 1)[0];
  for (int k = 0; k < 6; ++k) v = add_op(n, NetOp::Neg, fx(true, 5 + k, 5 + k), {v});  // exact: one bit more each
  add_output(n, "chain", v);
  const auto ab = add_input(n, "ab", fx(false, 2, 2), 2);
  const int sum = add_op(n, NetOp::Add, fx(false, 16, 16), {ab[0], ab[1]});
  add_output(n, "sum", sum);
  const auto pq = add_input(n, "pq", fx(true, 16, 16), 2);
  const int ge = add_op(n, NetOp::Cmp, fx(false, 1, 1), {pq[0], pq[1]});
  add_output(n, "ge", ge);
  const PipelineResult r = pipeline_netlist(n, unit_model(), 4.0);
  EXPECT_TRUE(r.met);
  EXPECT_EQ(r.latency_cycles, 1);
  EXPECT_EQ(r.register_bits, 7 + 2 + 2 + 1);
  EXPECT_EQ(n.values[size_t(sum)].stage, 1);
  EXPECT_EQ(n.values[size_t(ge)].stage, 0);
  for (double d : r.stage_delay_ns) EXPECT_LE(d, 4.0 + 1e-9);
  if (!have_verilator()) GTEST_SKIP() << "verilator not installed";
  std::mt19937_64 rng(3);
  std::vector<int64_t> x;
  const int64_t rows = 500;
  for (int64_t k = 0; k < rows; ++k) {
    x.push_back(int64_t(rng() % 16) - 8);
    x.push_back(int64_t(rng() % 4));
    x.push_back(int64_t(rng() % 4));
    x.push_back(int64_t(rng() % 65536) - 32768);
    x.push_back(int64_t(rng() % 65536) - 32768);
  }
  expect_rtl_exact(n, "fewest", x, rows);
}

TEST(Pipeline, RegisterBitsAreTheMinimumOverEveryValidSchedule) {
  // Random small netlists, every stage assignment enumerated: a schedule is
  // valid at latency L when no argument sits in a later stage than its user,
  // inputs sit in stage 0, outputs in stages <= L, and inside a stage every
  // op whose same-stage arguments finish after time 0 still finishes within
  // the period minus the register overhead. The pipeliner's schedule must be
  // valid, no schedule may be valid at L - 1, and no valid schedule at L may
  // need fewer register bits. Every other trial registers the ports: then
  // every op must also sit in stages 1 .. L - 1.
  const DelayModel m = unit_model();
  std::mt19937_64 rng(11);
  int asap_beaten = 0;  // trials where the all-ASAP schedule is not the minimum
  for (int trial = 0; trial < 150; ++trial) {
    Netlist n;
    n.source = "random";
    std::vector<int> pool;
    for (int k = 0, inputs = 2 + int(rng() % 2); k < inputs; ++k) {
      const int w = 1 + int(rng() % 12);
      pool.push_back(add_input(n, "in" + std::to_string(k), fx(true, w, w), 1)[0]);
    }
    for (int k = 0, ops = 5 + int(rng() % 5); k < ops; ++k) {
      const int a = pool[rng() % pool.size()], b = pool[rng() % pool.size()];
      const int w = std::max(n.values[size_t(a)].type.width, n.values[size_t(b)].type.width) + 1;
      switch (rng() % 3) {
        case 0: pool.push_back(add_op(n, NetOp::Add, fx(true, w, w), {a, b})); break;
        case 1: pool.push_back(add_op(n, NetOp::Neg, fx(true, w, w), {a})); break;
        default: pool.push_back(add_op(n, NetOp::Cmp, fx(false, 1, 1), {a, b})); break;
      }
    }
    add_output(n, "y", pool.back());
    add_output(n, "z", pool[pool.size() - 2 - rng() % 2]);
    const double period = 3.0 + 0.5 * double(rng() % 3), budget = period - 1.0;
    const bool ports = trial % 2 == 1;
    const PipelineResult r = pipeline_netlist(n, m, period, ports);
    const int L = r.latency_cycles;
    const std::vector<int> widths = implemented_widths(n);
    const size_t nv = n.values.size();
    const std::vector<bool> live = live_values(n);
    std::vector<double> delay(nv);
    for (size_t i = 0; i < nv; ++i) delay[i] = m.delay_ns(n, int(i), &widths);
    // Register bits of schedule `st` at latency `lat`, or -1 when it is not valid.
    auto bits = [&](const std::vector<int>& st, int lat) {
      std::vector<double> finish(nv, 0.0);
      std::vector<int> last(nv, -1);
      for (size_t i = 0; i < nv; ++i) {
        if (!live[i]) continue;
        if (n.values[i].op == NetOp::Input && st[i] != 0) return -1;
        if (ports && n.values[i].op != NetOp::Input && (st[i] < 1 || st[i] > lat - 1)) return -1;
        double start = 0;
        for (int a : n.values[i].args) {
          if (st[size_t(a)] > st[i]) return -1;
          last[size_t(a)] = std::max(last[size_t(a)], st[i]);
          if (st[size_t(a)] == st[i]) start = std::max(start, finish[size_t(a)]);
        }
        if (start > 0 && start + delay[i] > budget + 1e-9) return -1;
        finish[i] = start + delay[i];
      }
      for (const auto& p : n.outputs) {
        if (st[size_t(p.values[0])] > lat) return -1;
        last[size_t(p.values[0])] = lat;
      }
      int total = 0;
      for (size_t i = 0; i < nv; ++i)
        if (live[i]) total += widths[i] * (last[i] - st[i]);
      return total;
    };
    std::vector<int> st(nv, 0);
    for (size_t i = 0; i < nv; ++i) st[i] = n.values[i].stage;
    ASSERT_EQ(bits(st, L), r.register_bits) << "trial " << trial << ": the pipeliner's schedule is not valid";
    std::vector<size_t> ops;  // the live ops; inputs stay in stage 0
    for (size_t i = 0; i < nv; ++i)
      if (live[i] && n.values[i].op != NetOp::Input) ops.push_back(i);
    auto fewest = [&](int lat) {  // minimum over every schedule with stages in [0, lat]
      int best = -1;
      const int64_t all = int64_t(std::llround(std::pow(lat + 1, double(ops.size()))));
      for (int64_t code = 0; code < all; ++code) {
        int64_t c = code;
        for (size_t i : ops) {
          st[i] = int(c % (lat + 1));
          c /= lat + 1;
        }
        const int b = bits(st, lat);
        if (b >= 0 && (best < 0 || b < best)) best = b;
      }
      return best;
    };
    EXPECT_EQ(r.register_bits, fewest(L)) << "trial " << trial << ", latency " << L << ", period " << period;
    if (L > 0) EXPECT_EQ(fewest(L - 1), -1) << "trial " << trial << ": a shorter latency is valid";
    // The all-ASAP schedule: each op in its arguments' latest stage, one later when it does not fit.
    std::vector<double> finish(nv, 0.0);
    for (size_t i : ops) {
      int s = ports ? 1 : 0;
      for (int a : n.values[i].args) s = std::max(s, live[size_t(a)] ? st[size_t(a)] : 0);
      double start = 0;
      for (int a : n.values[i].args)
        if (st[size_t(a)] == s) start = std::max(start, finish[size_t(a)]);
      if (start > 0 && start + delay[i] > budget + 1e-9) ++s, start = 0;
      st[i] = s;
      finish[i] = start + delay[i];
    }
    const int asap = bits(st, L);
    ASSERT_GE(asap, 0) << "trial " << trial;
    asap_beaten += asap > r.register_bits;
  }
  EXPECT_GT(asap_beaten, 0) << "no trial needed more than the ASAP schedule: the test does not exercise the retiming";
}

TEST(Pipeline, FamilyModelsLoadAndWiringIsFree) {
  for (const char* f : {"xc7", "xcup", "ice40", "ecp5"}) {
    DelayModel m = load_delay_model(f);
    EXPECT_EQ(m.family, f);
    EXPECT_FALSE(m.source.empty());
    EXPECT_GT(m.ops.at("Add").per_bit_ns, 0);
  }
  EXPECT_THROW(load_delay_model("no_such_family"), Error);
  EXPECT_THROW(parse_delay_model("{\"family\": \"x\"}", "x.json"), Error);
  Netlist n;
  auto x = add_input(n, "x", fx(true, 8, 4), 1);
  const int trunc = add_op(n, NetOp::Quantize, fx(true, 4, 2), {x[0]});  // TRN, WRAP: wires
  const int rnd = add_op(n, NetOp::Quantize, fx(true, 4, 2, Rounding::RND), {x[0]});
  const int sat = add_op(n, NetOp::Quantize, fx(true, 4, 2, Rounding::TRN, Overflow::SAT), {x[0]});
  const int safe = add_op(n, NetOp::Quantize, fx(true, 10, 6, Rounding::TRN, Overflow::SAT), {x[0]});
  const DelayModel m = load_delay_model("xc7");
  EXPECT_EQ(m.delay_ns(n, trunc), 0);
  EXPECT_GT(m.delay_ns(n, rnd), 0);
  EXPECT_GT(m.delay_ns(n, sat), 0);
  EXPECT_EQ(m.delay_ns(n, safe), 0);  // cannot overflow: no range check
}

TEST(VerilogWriter, CorruptedConstantIsCaughtBySimulation) {
  if (!have_verilator()) GTEST_SKIP() << "verilator not installed";
  Netlist n = ops_netlist();
  VerilogOptions o;
  o.top = "ng_corrupt";
  const fs::path dir = scratch("corrupt");
  write_rtl_files(dir.string(), n, o);
  const fs::path v = dir / "ng_corrupt.v";
  std::stringstream ss;
  ss << std::ifstream(v).rdbuf();
  std::string text = ss.str();
  const std::string konst = "= 6'h2d;";  // the constant -19 in 6 bits
  const size_t at = text.find(konst);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, konst.size(), "= 6'h2c;");
  std::ofstream(v) << text;
  build_verilator_sim(dir.string(), o);
  int64_t rows = 0;
  const auto x = exhaustive_inputs(n, rows);
  const auto y = run_verilator_sim(dir.string(), n, o, x, rows);
  const auto z = NetlistEmulator(n).run(x.data(), rows);
  EXPECT_NE(y, z);
}
