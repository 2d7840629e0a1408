// nanogate convert MODEL -o DIR --backend verilog [--config CFG] [--clock-period NS]
//                  [--dc N] [--family xc7|xcup|ice40|ecp5] [--no-valid] [--force]
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "nanogate/backend/verilog_project.hpp"
#include "nanogate/error.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string backend = "verilog";
  VerilogProjectOptions p;
  std::string dir;
  bool no_valid = false;
};

int run(Opts& o) {
  if (o.backend != "verilog") throw Error(o.p.model_path, "unknown backend '" + o.backend + "' (supported: verilog)");
  o.p.valid = !o.no_valid;
  VerilogProject r = convert_to_verilog(o.dir, o.p);
  const auto& t = r.report.at("totals");
  std::printf("%s/%s: latency %d cycle(s) = %.3g ns at %.3g ns (%s delay model, worst stage %.2f ns%s)\n",
              o.dir.c_str(), r.verilog_file.c_str(), r.pipeline.latency_cycles, r.pipeline.latency_ns,
              r.pipeline.clock_period_ns, o.p.family.c_str(), r.pipeline.max_stage_delay_ns,
              r.pipeline.met ? "" : ", period NOT met: one op alone is slower");
  std::printf("  %lld adders (%lld adder bits), ~%lld LUTs estimated, %d register bits; report: %s/report.json\n",
              (long long)t.at("adders").get<int64_t>(), (long long)t.at("adder_bits").get<int64_t>(),
              (long long)t.at("luts_est").get<int64_t>(), r.pipeline.register_bits, o.dir.c_str());
  return 0;
}
}  // namespace

Command add_convert(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("convert", "compile a model to firmware (Verilog RTL + Verilator harness + report)");
  sub->add_option("MODEL", o->p.model_path, "ONNX / QONNX model file")->required();
  sub->add_option("--output,-o", o->dir, "output folder")->required();
  sub->add_option("--backend", o->backend, "backend: verilog")->capture_default_str();
  sub->add_option("--config,-c", o->p.config_path, "precision configuration (.json/.yaml)");
  sub->add_option("--clock-period", o->p.clock_period_ns, "target clock period in ns (0: combinational)")
      ->capture_default_str();
  sub->add_option("--dc", o->p.dc, "CMVM delay constraint: adder depth <= minimal + DC (-1: none)")->capture_default_str();
  sub->add_option("--family", o->p.family, "FPGA family (delay model, Yosys script): xc7, xcup, ice40, ecp5")
      ->check(CLI::IsMember({"xc7", "xcup", "ice40", "ecp5"}))
      ->capture_default_str();
  sub->add_flag("--no-valid", o->no_valid, "omit the valid_in / valid_out ports");
  sub->add_flag("--force,-f", o->p.force, "write into a non-empty folder not written by nanogate");
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
