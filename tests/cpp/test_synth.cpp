// Tests for the synthesis reports (nanogate/report/synth.hpp, process.hpp):
// log parsers on captured real logs (tests/data/synth/*.log: Yosys 0.23
// synth_xilinx / synth_ice40, Yosys 0.70 synth_ecp5, nextpnr-ice40 0.4,
// nextpnr-ecp5 0.11), script and wrapper generation, the report.json merge, the
// subprocess runner, and end-to-end runs of Yosys/nextpnr on tiny hand-written
// designs (skipped with a printed reason when a tool is missing).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "nanogate/error.hpp"
#include "nanogate/report/process.hpp"
#include "nanogate/report/synth.hpp"

namespace fs = std::filesystem;
using namespace nanogate::report;

namespace {

const fs::path kData = fs::path(NANOGATE_SOURCE_DIR) / "tests" / "data" / "synth";

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << text;
}

/// A fresh, empty directory per test, removed afterwards.
class Synth : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("nanogate_synth_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(dir_, ec);
  }
  /// Copies tests/data/synth/NAME.v into the folder with a report.json like
  /// `nanogate convert` writes (plus keys the merge must keep).
  void design(const std::string& name) {
    fs::copy_file(kData / (name + ".v"), dir_ / (name + ".v"));
    spit(dir_ / "report.json", R"({"top": ")" + name + R"(", "verilog": ")" + name +
                                   R"(.v", "latency": {"cycles": 1, "ns": 5.0}, "layers": [{"name": "fc1"}],)"
                                   R"( "totals": {"adders": 3}})");
  }
  fs::path dir_;
};

// ---------------------------------------------------------------- parsers

TEST(SynthParse, XilinxStatTree4) {
  auto c = parse_yosys_stat(slurp(kData / "ng_tree4_xc7.log"), "ng_tree4");
  EXPECT_EQ(c.luts, 25);
  EXPECT_EQ(c.ffs, 30);
  EXPECT_EQ(c.carries, 9);
  EXPECT_EQ(c.dsps, 0);
  ASSERT_TRUE(c.estimated_lcs);
  EXPECT_EQ(*c.estimated_lcs, 13);
  EXPECT_EQ(c.cells.at("LUT2"), 25);
  EXPECT_EQ(c.total_cells, 64);
}

TEST(SynthParse, XilinxStatConstMultiplierSumsLutSizes) {
  auto c = parse_yosys_stat(slurp(kData / "ng_cmul_xc7.log"), "ng_cmul");
  EXPECT_EQ(c.luts, 3 + 2 + 3 + 3 + 15);  // LUT2..LUT6
  EXPECT_EQ(c.ffs, 23);
  EXPECT_EQ(c.carries, 4);
  EXPECT_EQ(c.muxes, 7);  // MUXF7 + MUXF8
  EXPECT_EQ(c.dsps, 0);   // -nodsp
  EXPECT_EQ(*c.estimated_lcs, 23);
  EXPECT_EQ(c.total_cells, 60);
}

TEST(SynthParse, XilinxCellDelayEstimate) {
  auto s = parse_yosys_sta(slurp(kData / "ng_tree4_xc7.log"));
  ASSERT_TRUE(s.arrival_ps && s.logic_levels);
  EXPECT_DOUBLE_EQ(*s.arrival_ps, 1517);
  EXPECT_EQ(*s.logic_levels, 4);
  auto m = parse_yosys_sta(slurp(kData / "ng_cmul_xc7.log"));
  EXPECT_DOUBLE_EQ(*m.arrival_ps, 2100);
  EXPECT_EQ(*m.logic_levels, 6);
  auto none = parse_yosys_sta("3. Printing statistics.\n");
  EXPECT_FALSE(none.arrival_ps);
  EXPECT_FALSE(none.logic_levels);
}

TEST(SynthParse, Ice40DesignAndWrapperAreTellApart) {
  std::string log = slurp(kData / "ng_tree4_ice40.log");
  auto c = parse_yosys_stat(log, "ng_tree4");  // the design itself (first synth_ice40)
  EXPECT_EQ(c.luts, 28);
  EXPECT_EQ(c.ffs, 30);
  EXPECT_EQ(c.carries, 25);
  EXPECT_FALSE(c.estimated_lcs);
  auto w = parse_yosys_stat(log, "ng_tree4_serial");  // the place-and-route wrapper
  EXPECT_EQ(w.ffs, 107);  // SB_DFF 73 + SB_DFFE 33 + SB_DFFSR 1
  EXPECT_GT(w.ffs, c.ffs + 33 + 33);  // + input shift and parallel registers
}

TEST(SynthParse, NextpnrIce40TakesThePostRouteFmax) {
  auto r = parse_nextpnr_log(slurp(kData / "ng_tree4_ice40.log"));
  EXPECT_TRUE(r.routed);
  ASSERT_TRUE(r.fmax_mhz);
  EXPECT_DOUBLE_EQ(*r.fmax_mhz, 313.87);  // not the pre-route 308.64
  EXPECT_EQ(r.lcs_used.value_or(-1), 110);
  EXPECT_EQ(r.lcs_total.value_or(-1), 7680);
  EXPECT_EQ(r.ios_used.value_or(-1), 4);
  EXPECT_TRUE(r.error.empty());
}

TEST(SynthParse, NewerYosysStatLayout) {
  // Yosys 0.70 (yowasp): "N cells" / "N   TYPE", and "N submodules" inside synth.
  std::string log = slurp(kData / "ng_tree4_ecp5_yosys070.log");
  auto c = parse_yosys_stat(log, "ng_tree4");
  EXPECT_EQ(c.carries, 15);  // CCU2C
  EXPECT_EQ(c.ffs, 30);      // TRELLIS_FF
  EXPECT_EQ(c.luts, 0);      // the adders live in the carry cells
  EXPECT_EQ(c.total_cells, 45);
  auto w = parse_yosys_stat(log, "ng_tree4_serial");
  EXPECT_EQ(w.luts, 11);
  EXPECT_EQ(w.ffs, 107);
  EXPECT_EQ(w.total_cells, 134);
}

TEST(SynthParse, NextpnrEcp5) {
  auto r = parse_nextpnr_log(slurp(kData / "ng_tree4_ecp5_nextpnr.log"));
  EXPECT_TRUE(r.routed);
  EXPECT_DOUBLE_EQ(r.fmax_mhz.value_or(0), 346.26);  // not the pre-route 424.27
  EXPECT_EQ(r.lcs_used.value_or(-1), 55);
  EXPECT_EQ(r.lcs_total.value_or(-1), 24288);
  EXPECT_EQ(r.ios_total.value_or(-1), 197);
}

TEST(SynthParse, RobustToTruncatedAndFailedLogs) {
  std::string log = slurp(kData / "ng_tree4_ice40.log");
  // Cut before routing (a router that was killed): no Fmax.
  auto cut = parse_nextpnr_log(log.substr(0, log.find("Info: Routing complete.")));
  EXPECT_FALSE(cut.routed);
  EXPECT_FALSE(cut.fmax_mhz);
  EXPECT_TRUE(cut.lcs_used);
  // An error line: not routed, the error kept.
  auto err = parse_nextpnr_log("Info: Routing complete.\nERROR: Unable to place cell 'x'\n");
  EXPECT_FALSE(err.routed);
  EXPECT_EQ(err.error, "ERROR: Unable to place cell 'x'");
  // Empty input.
  auto empty = parse_nextpnr_log("");
  EXPECT_FALSE(empty.routed || empty.fmax_mhz || empty.lcs_used);
  EXPECT_THROW(parse_yosys_stat("", "x"), nanogate::Error);
  EXPECT_THROW(parse_yosys_stat("1. Executing Verilog-2005 frontend: a.v\nERROR: syntax error\n"), nanogate::Error);
  // CRLF line endings parse the same.
  std::string crlf;
  for (char ch : slurp(kData / "ng_tree4_xc7.log")) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  auto c = parse_yosys_stat(crlf, "ng_tree4");
  EXPECT_EQ(c.luts, 25);
  EXPECT_EQ(*c.estimated_lcs, 13);
  // An unknown top falls back to the last stat block.
  EXPECT_EQ(parse_yosys_stat(slurp(kData / "ng_tree4_xc7.log"), "other").ffs, 30);
}

TEST(SynthParse, DesignHierarchyTotalsWin) {
  const char* log =
      "5. Printing statistics.\n\n"
      "=== sub ===\n\n   Number of cells:                  3\n     LUT2                            3\n\n"
      "=== ng_top ===\n\n   Number of cells:                  5\n     FDRE                            4\n"
      "     sub                             1\n\n"
      "=== design hierarchy ===\n\n   ng_top                            1\n     sub                             1\n\n"
      "   Number of cells:                  7\n     FDRE                            4\n"
      "     LUT2                            3\n\n   Estimated number of LCs:          3\n\n"
      "6. Executing CHECK pass.\n";
  auto c = parse_yosys_stat(log, "ng_top");
  EXPECT_EQ(c.luts, 3);
  EXPECT_EQ(c.ffs, 4);
  EXPECT_EQ(c.total_cells, 7);
  EXPECT_EQ(c.estimated_lcs.value_or(-1), 3);
}

TEST(SynthParse, PortsInDeclarationOrder) {
  const char* json = R"({"modules": {"ng_t": {"ports": {
      "clk": {"direction": "input", "bits": [2]},
      "x": {"direction": "input", "bits": [3, 4, 5]},
      "valid_in": {"direction": "input", "bits": [6]},
      "y": {"direction": "output", "bits": [7, 8]}}}}})";
  auto p = parse_yosys_ports(json, "ng_t");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[1].name, "x");
  EXPECT_EQ(p[1].width, 3);
  EXPECT_EQ(p[2].name, "valid_in");
  EXPECT_EQ(p[3].direction, "output");
  EXPECT_THROW(parse_yosys_ports(json, "ng_other"), nanogate::Error);
  EXPECT_THROW(parse_yosys_ports("{", "ng_t"), nanogate::Error);
}

// ------------------------------------------------------ script generation

TEST(SynthScript, Xilinx) {
  std::string s = yosys_script(Family::Xc7, "ng_a.v", "ng_a");
  EXPECT_NE(s.find("read_verilog ng_a.v\n"), std::string::npos);
  EXPECT_NE(s.find("synth_xilinx -family xc7 -top ng_a -flatten -noiopad -noclkbuf -nodsp\n"), std::string::npos);
  EXPECT_NE(s.find("stat -tech xilinx\n"), std::string::npos);
  EXPECT_NE(s.find("read_verilog -lib -specify +/xilinx/cells_sim.v +/xilinx/cells_xtra.v\nsta\n"),
            std::string::npos);
  EXPECT_LT(s.find("stat -tech xilinx"), s.find("sta\n"));  // counts are printed before the estimate
  // xcup: the same mapping in yosys 0.23; no sta when not asked.
  ScriptOptions no_sta;
  no_sta.sta = false;
  std::string u = yosys_script(Family::Xcup, "ng_a.v", "ng_a", no_sta);
  EXPECT_NE(u.find("synth_xilinx -family xc7 -top ng_a"), std::string::npos);
  EXPECT_EQ(u.find("sta\n"), std::string::npos);
  EXPECT_NE(yosys_script(Family::Xc7, "ng_a.sv", "ng_a").find("read_verilog -sv ng_a.sv"), std::string::npos);
}

TEST(SynthScript, Ice40WithWrapperSynthesizesBoth) {
  ScriptOptions o;
  o.wrapper_file = "ng_a_serial.v";
  o.json_out = "ng_a_ice40_pnr.json";
  std::string s = yosys_script(Family::Ice40, "ng_a.v", "ng_a", o);
  EXPECT_NE(s.find("read_verilog ng_a_serial.v\ndesign -save rtl\nsynth_ice40 -top ng_a\nstat\n"), std::string::npos);
  EXPECT_NE(s.find("design -load rtl\nsynth_ice40 -top ng_a_serial -json ng_a_ice40_pnr.json\nstat\n"),
            std::string::npos);
  std::string e = yosys_script(Family::Ecp5, "ng_a.v", "ng_a");
  EXPECT_NE(e.find("synth_ecp5 -top ng_a -json ng_a_pnr.json"), std::string::npos);
}

TEST(SynthScript, RejectsNamesThatWouldInjectCommands) {
  EXPECT_THROW(yosys_script(Family::Xc7, "a.v", "ng_a; shell rm -rf x"), nanogate::Error);
  EXPECT_THROW(yosys_script(Family::Xc7, "a.v", "1abc"), nanogate::Error);
  EXPECT_THROW(yosys_script(Family::Xc7, "a;b.v", "ng_a"), nanogate::Error);
  EXPECT_THROW(yosys_script(Family::Xc7, "a b.v", "ng_a"), nanogate::Error);
  EXPECT_THROW(yosys_script(Family::Xc7, "-p.v", "ng_a"), nanogate::Error);
  EXPECT_THROW(yosys_script(Family::Xc7, "a\nshell x.v", "ng_a"), nanogate::Error);
  EXPECT_NO_THROW(yosys_script(Family::Xc7, "sub/ng-a_1.v", "ng_a"));
}

TEST(SynthScript, FamiliesAndNextpnrArgv) {
  for (auto n : {"xc7", "xcup", "ice40", "ecp5"}) EXPECT_EQ(family_name(parse_family(n)), n);
  EXPECT_THROW(parse_family("xc9"), nanogate::Error);
  auto a = nextpnr_argv(Family::Ice40, "nextpnr-ice40", "d.json", "d.asc", 125);
  std::vector<std::string> want = {"nextpnr-ice40", "--hx8k", "--package", "ct256", "--json", "d.json",
                                   "--asc",         "d.asc",  "--freq",    "125"};
  EXPECT_EQ(a, want);
  EXPECT_EQ(nextpnr_argv(Family::Ecp5, "p", "d.json", "d.cfg", 100)[1], "--25k");
  EXPECT_THROW(nextpnr_argv(Family::Xc7, "p", "d.json", "d", 100), nanogate::Error);
}

TEST(SynthScript, SerialWrapperPacksPortsMsbFirst) {
  std::vector<Port> ports = {{"clk", "input", 1}, {"valid_in", "input", 1}, {"x", "input", 32},
                             {"y", "output", 10}, {"valid_out", "output", 1}};
  std::string v = serial_wrapper("ng_tree4", ports);
  EXPECT_NE(v.find("module ng_tree4_serial ("), std::string::npos);
  EXPECT_NE(v.find("reg  [32:0] ishift;"), std::string::npos);
  EXPECT_NE(v.find(".clk(clk)"), std::string::npos);
  EXPECT_NE(v.find(".valid_in(ipar[32:32])"), std::string::npos);
  EXPECT_NE(v.find(".x(ipar[31:0])"), std::string::npos);
  EXPECT_NE(v.find(".y(dout[10:1])"), std::string::npos);
  EXPECT_NE(v.find(".valid_out(dout[0:0])"), std::string::npos);
  // One-bit registers need no concatenation.
  std::string one = serial_wrapper("ng_inv", {{"a", "input", 1}, {"y", "output", 1}});
  EXPECT_NE(one.find("ishift <= sin;"), std::string::npos);
  EXPECT_NE(one.find("oshift <= 1'b0;"), std::string::npos);
  EXPECT_THROW(serial_wrapper("ng_x", {{"io", "inout", 4}, {"y", "output", 1}}), nanogate::Error);
  EXPECT_THROW(serial_wrapper("ng_x", {{"clk", "input", 1}, {"y", "output", 1}}), nanogate::Error);
}

// Simulates the wrapper around the 8-bit adder with Icarus Verilog: shift a and
// b in, load, shift the sum out.
TEST_F(Synth, SerialWrapperSimulates) {
  if (find_program("iverilog").empty() || find_program("vvp").empty()) GTEST_SKIP() << "iverilog/vvp not installed";
  spit(dir_ / "w.v", serial_wrapper("ng_add8", {{"clk", "input", 1}, {"a", "input", 8}, {"b", "input", 8},
                                                 {"y", "output", 8}}));
  // a = 0x5c, b = 0x3b: 16 bits, a first (MSB first); y = 0x97 after load.
  spit(dir_ / "tb.v", R"(module tb;
  reg clk = 0, sin = 0, load = 0; wire sout;
  reg [15:0] in = {8'h5c, 8'h3b}; reg [7:0] out = 0; integer i;
  ng_add8_serial dut(.clk(clk), .sin(sin), .load(load), .sout(sout));
  always #5 clk = ~clk;
  initial begin
    for (i = 15; i >= 0; i = i - 1) begin sin = in[i]; @(posedge clk); #1; end
    load = 1; @(posedge clk); #1; load = 0;  // ipar <= inputs
    @(posedge clk); #1;                      // the adder registers y
    load = 1; @(posedge clk); #1; load = 0;  // oshift <= y
    for (i = 7; i >= 0; i = i - 1) begin out[i] = sout; @(posedge clk); #1; end
    $display("OUT=%h", out); $finish;
  end
endmodule
)");
  fs::copy_file(kData / "ng_add8.v", dir_ / "ng_add8.v");
  ProcessOptions po;
  po.cwd = dir_.string();
  po.log_path = (dir_ / "sim.log").string();
  po.timeout_s = 60;
  ASSERT_TRUE(run_process({"iverilog", "-o", "sim", "tb.v", "w.v", "ng_add8.v"}, po).ok()) << slurp(dir_ / "sim.log");
  ASSERT_TRUE(run_process({"vvp", "sim"}, po).ok()) << slurp(dir_ / "sim.log");
  EXPECT_NE(slurp(dir_ / "sim.log").find("OUT=97"), std::string::npos) << slurp(dir_ / "sim.log");
}

// ------------------------------------------------------- report.json merge

TEST_F(Synth, MergeKeepsOtherKeysAndOrder) {
  fs::path p = dir_ / "report.json";
  spit(p, R"({"top": "ng_a", "verilog": "ng_a.v", "latency": {"cycles": 3, "ns": 7.5},)"
          R"( "layers": [1, 2], "synth": {"ice40": {"luts": 9}}, "totals": {"adders": 4}})");
  nlohmann::ordered_json e;
  e["luts"] = 12;
  e["fmax_mhz"] = nullptr;
  merge_synth_report(p.string(), Family::Xc7, e);
  auto j = nlohmann::ordered_json::parse(slurp(p));
  EXPECT_EQ(j["latency"]["cycles"], 3);
  EXPECT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["totals"]["adders"], 4);
  EXPECT_EQ(j["synth"]["ice40"]["luts"], 9);
  EXPECT_EQ(j["synth"]["xc7"]["luts"], 12);
  EXPECT_TRUE(j["synth"]["xc7"]["fmax_mhz"].is_null());
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  std::vector<std::string> want = {"top", "verilog", "latency", "layers", "synth", "totals"};
  EXPECT_EQ(keys, want);
  // Replacing an entry; no temporary file is left behind.
  e["luts"] = 13;
  merge_synth_report(p.string(), Family::Xc7, e);
  EXPECT_EQ(nlohmann::json::parse(slurp(p))["synth"]["xc7"]["luts"], 13);
  int files = 0;
  for (auto& f : fs::directory_iterator(dir_)) files += f.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST_F(Synth, MergeRejectsBadReports) {
  nlohmann::ordered_json e = {{"luts", 1}};
  EXPECT_THROW(merge_synth_report((dir_ / "missing.json").string(), Family::Xc7, e), nanogate::Error);
  spit(dir_ / "arr.json", "[1, 2]");
  EXPECT_THROW(merge_synth_report((dir_ / "arr.json").string(), Family::Xc7, e), nanogate::Error);
  spit(dir_ / "bad.json", "{\"top\": ");
  EXPECT_THROW(merge_synth_report((dir_ / "bad.json").string(), Family::Xc7, e), nanogate::Error);
  EXPECT_EQ(slurp(dir_ / "bad.json"), "{\"top\": ");  // untouched
}

// ------------------------------------------------------------ subprocesses

TEST_F(Synth, ProcessExitCodesLogsAndTimeouts) {
  EXPECT_FALSE(find_program("sh").empty());
  EXPECT_TRUE(find_program("nanogate-no-such-tool").empty());
  ProcessOptions po;
  po.log_path = (dir_ / "p.log").string();
  auto r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"}, po);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(slurp(dir_ / "p.log"), "out\nerr\n");
  // Arguments are not shell-interpreted.
  po.log_path = (dir_ / "q.log").string();
  EXPECT_TRUE(run_process({"echo", "$(touch pwned); x"}, po).ok());
  EXPECT_EQ(slurp(dir_ / "q.log"), "$(touch pwned); x\n");
  // A timeout kills the whole group, quickly, and a heartbeat is called.
  po.timeout_s = 0.5;
  po.heartbeat_s = 0.2;
  int beats = 0;
  po.heartbeat = [&](double) { ++beats; };
  auto t = run_process({"sh", "-c", "sleep 30; sleep 30"}, po);
  EXPECT_TRUE(t.timed_out);
  EXPECT_LT(t.elapsed_s, 5);
  EXPECT_GE(beats, 1);
  EXPECT_THROW(run_process({"nanogate-no-such-tool"}, {}), std::runtime_error);
}

// --------------------------------------------------------- end to end

TEST_F(Synth, Xc7AdderCountsArePlausible) {
  if (find_program("yosys").empty()) GTEST_SKIP() << "yosys not installed (apt-get install yosys)";
  design("ng_add8");
  SynthOptions o;
  o.timeout_s = 120;
  auto r = run_synth(dir_.string(), o);
  EXPECT_EQ(r.counts.ffs, 8);                           // y is 8 registered bits
  EXPECT_GE(r.counts.luts + 4 * r.counts.carries, 8);   // one LUT or carry bit per sum bit
  EXPECT_GE(r.counts.carries, 2);                       // 8 bits = 2 CARRY4
  EXPECT_EQ(r.counts.dsps, 0);
  ASSERT_TRUE(r.counts.estimated_lcs);
  EXPECT_GT(*r.counts.estimated_lcs, 0);
  ASSERT_TRUE(r.sta.arrival_ps);
  EXPECT_GT(*r.sta.arrival_ps, 200);
  EXPECT_LT(*r.sta.arrival_ps, 5000);
  EXPECT_FALSE(r.fmax_mhz);
  EXPECT_TRUE(fs::exists(dir_ / "synth_xc7.log"));
  merge_synth_report((dir_ / "report.json").string(), o.family, r.to_json());
  auto j = nlohmann::json::parse(slurp(dir_ / "report.json"));
  EXPECT_EQ(j["synth"]["xc7"]["ffs"], 8);
  EXPECT_EQ(j["totals"]["adders"], 3);
}

TEST_F(Synth, Xc7ConstantMultiplierUsesNoDsp) {
  if (find_program("yosys").empty()) GTEST_SKIP() << "yosys not installed (apt-get install yosys)";
  design("ng_cmul");
  SynthOptions o;
  o.timeout_s = 120;
  o.sta = false;
  auto r = run_synth(dir_.string(), o);
  EXPECT_EQ(r.counts.dsps, 0);  // -nodsp
  EXPECT_GE(r.counts.ffs, 23);  // 8 input + 16 output bits, y[0] == xr[0] may merge
  EXPECT_LE(r.counts.ffs, 24);
  EXPECT_GT(r.counts.luts, 8);
  EXPECT_FALSE(r.sta.arrival_ps);
}

TEST_F(Synth, Ice40NextpnrFmax) {
  if (find_program("yosys").empty()) GTEST_SKIP() << "yosys not installed (apt-get install yosys)";
  if (find_program("nextpnr-ice40").empty()) GTEST_SKIP() << "nextpnr-ice40 not installed (apt-get install nextpnr-ice40)";
  design("ng_tree4");
  SynthOptions o;
  o.family = Family::Ice40;
  o.timeout_s = 120;
  o.pnr_seeds = 2;
  auto r = run_synth(dir_.string(), o);
  EXPECT_EQ(r.counts.ffs, 30);  // 9+9+1 stage 1, 10+1 stage 2
  EXPECT_EQ(r.counts.dsps, 0);
  EXPECT_GT(r.counts.luts + r.counts.carries, 18);
  ASSERT_TRUE(r.fmax_mhz) << r.fmax_note;
  EXPECT_GT(*r.fmax_mhz, 30);
  EXPECT_LT(*r.fmax_mhz, 1000);
  ASSERT_TRUE(r.pnr && r.pnr->ios_used);
  EXPECT_EQ(*r.pnr->ios_used, 4);  // clk, sin, load, sout
  EXPECT_TRUE(fs::exists(dir_ / "ng_tree4_serial.v"));
}

TEST_F(Synth, ErrorsAreOneLineNamingTheFolder) {
  try {
    run_synth(dir_.string(), {});
    FAIL() << "no report.json accepted";
  } catch (const nanogate::Error& e) {
    EXPECT_EQ(std::string(e.what()).find(dir_.string() + ": no report.json"), 0u) << e.what();
  }
  spit(dir_ / "report.json", R"({"top": "ng_a", "verilog": "missing.v"})");
  EXPECT_THROW(run_synth(dir_.string(), {}), nanogate::Error);
  spit(dir_ / "report.json", R"({"top": "ng_a"})");
  EXPECT_THROW(run_synth(dir_.string(), {}), nanogate::Error);
}

#ifdef NANOGATE_CLI
// The CLI with an empty PATH: a missing tool is one line naming it and how to
// install it; the report is untouched.
TEST_F(Synth, CliMissingToolIsOneLine) {
  design("ng_add8");
  std::string before = slurp(dir_ / "report.json");
  std::string cmd = "PATH=/nonexistent '" + std::string(NANOGATE_CLI) + "' synth '" + dir_.string() +
                    "' --family ice40 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  int status = ::pclose(f);
  EXPECT_NE(status, 0);
  EXPECT_EQ(out, "nanogate: error: " + dir_.string() + ": yosys not found on PATH (apt-get install yosys)\n");
  EXPECT_EQ(slurp(dir_ / "report.json"), before);
}
#endif

}  // namespace
