// nanogate verify DIR [--vectors N] [--input IN [--raw]] [--seed S]
//
// Builds the Verilator model of a `nanogate convert --backend verilog` folder
// (or analyses and runs the GHDL testbench of a `--backend vhdl` folder),
// simulates N generated raw vectors (all-min, all-max, the two min/max
// alternations, zero, then uniform random codes over each input's range) plus
// the rows of IN, and compares every output bit with the netlist emulator and
// the layer emulator. IN holds float values per model input (quantized by the
// emulator's own input path, preprocessing included), or with --raw the raw
// codes at the firmware ports. Prints "N/N bit-exact" (exit 0) or the first
// mismatch (exit 1).
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "nanogate/backend/verilog_project.hpp"

namespace nanogate::cli {

Command add_verify(CLI::App& app) {
  struct Opts {
    std::string dir;
    VerifyOptions v;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("verify", "simulate a converted design (Verilator for Verilog, GHDL for VHDL) and compare it bit for bit with the emulators");
  sub->add_option("DIR", o->dir, "output folder of `nanogate convert --backend verilog|vhdl`")->required();
  sub->add_option("--vectors,-n", o->v.vectors, "generated raw vectors (extremes, alternations, random)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--input,-i", o->v.input, "extra vectors (.npy/.csv): float model inputs, or raw codes with --raw");
  sub->add_flag("--raw", o->v.input_raw, "--input holds raw codes at the firmware input ports");
  sub->add_option("--seed", o->v.seed, "random seed")->capture_default_str();
  return {sub, [o] {
            VerifyResult r = verify_verilog_project(o->dir, o->v);
            if (r.exact == r.vectors) {
              std::printf("%lld/%lld bit-exact (%lld outputs each; RTL == netlist emulator == layer emulator; latency %d cycle(s))\n",
                          (long long)r.exact, (long long)r.vectors, (long long)r.outputs, r.latency);
              return 0;
            }
            std::printf("%lld/%lld bit-exact; first mismatch: vector %lld, output %lld (%s): RTL %lld, netlist emulator %lld, layer emulator %lld\n",
                        (long long)r.exact, (long long)r.vectors, (long long)r.bad_vector, (long long)r.bad_output,
                        r.bad_port.c_str(), (long long)r.rtl, (long long)r.netlist, (long long)r.layer);
            return 1;
          }};
}

}  // namespace nanogate::cli
