// nanogate convert MODEL -o DIR [--backend verilog|vhdl|vitis] [--config CFG] [--clock-period NS] [--force]
//   verilog, vhdl: [--dc N] [--family xc7|xcup|ice40|ecp5] [--no-valid] [--register-ports]
//            [--tb-vectors N] (events of the cocotb testbench in DIR/tb/)
//            [--wrapper none|packed|axis] [--field-bits N] (the integration wrapper, backend/rtl/wrapper.hpp)
//            (vhdl: the same pipelined netlist printed as VHDL-2008, see backend/vhdl.hpp)
//            [--reuse-factor R] [--parallelization-factor F] (verilog: R > 1 time-multiplexes every
//            convolution, F output positions per cycle, netlist/fold.hpp)
//   vitis:   [--strategy Latency|Resource|DA] [--reuse-factor R] [--top NAME] [--part PART]
//            [--io-type io_parallel|io_stream] [--dc N]
// The clock period, part and IO type come from the configuration file's
// ClockPeriod / Part / IOType when the command line does not give them.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "nanogate/backend/hls.hpp"
#include "nanogate/backend/verilog_project.hpp"
#include "nanogate/error.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string backend = "verilog";
  VerilogProjectOptions p;
  std::string dir;
  bool no_valid = false, allow_inexact = false;
  std::string wrapper = "none";
  // vitis
  std::string strategy, top = "myproject", part, io_type;
  int reuse = 0, parallel = 0;
  CLI::Option* period_opt = nullptr;
  CLI::Option* top_opt = nullptr;
};

int run_verilog(Opts& o, const Config& cfg) {
  o.p.hdl = o.backend == "vhdl" ? Hdl::Vhdl : Hdl::Verilog;
  o.p.valid = !o.no_valid;
  o.p.wrapper = o.wrapper == "packed" ? Wrapper::Packed : o.wrapper == "axis" ? Wrapper::Axis : Wrapper::None;
  if (o.period_opt->count() == 0 && cfg.clock_period_ns) o.p.clock_period_ns = *cfg.clock_period_ns;
  o.p.allow_inexact = o.allow_inexact;
  o.p.reuse_factor = o.reuse;
  o.p.parallelization_factor = o.parallel;
  VerilogProject r = convert_to_verilog(o.dir, o.p);
  print_warnings(r.warnings);
  for (const auto& note : r.report.at("notes")) std::fprintf(stderr, "nanogate: note: %s\n", note.get<std::string>().c_str());
  const auto& t = r.report.at("totals");
  std::printf("%s/%s: latency %d cycle(s)%s = %.3g ns at %.3g ns (%s delay model, worst stage %.2f ns%s)\n",
              o.dir.c_str(), r.verilog_file.c_str(), r.pipeline.latency_cycles,
              o.p.register_ports ? " with registered ports" : "", r.pipeline.latency_ns,
              r.pipeline.clock_period_ns, o.p.family.c_str(), r.pipeline.max_stage_delay_ns,
              r.pipeline.met ? "" : ", period NOT met: one op alone is slower");
  std::printf("  %lld adders (%lld adder bits), ~%lld LUTs estimated, %d register bits; report: %s/report.json\n",
              (long long)t.at("adders").get<int64_t>(), (long long)t.at("adder_bits").get<int64_t>(),
              (long long)t.at("luts_est").get<int64_t>(), r.pipeline.register_bits, o.dir.c_str());
  if (r.report.contains("folds"))
    std::printf("  %zu time-multiplexed convolution(s): II = %d cycles (report.json: folds)\n",
                r.report.at("folds").size(), r.report.at("latency").at("initiation_interval").get<int>());
  if (r.report.at("options").at("expand_products").get<bool>())
    std::printf("  products of two variables built as shift-and-add rows: one multiplier alone missed the period\n");
  return 0;
}

int run_vitis(Opts& o, const Config& cfg) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(o.dir, ec) && !fs::is_empty(o.dir, ec) && !o.p.force)  // before the model loads; write_hls_project checks again
    throw Error(o.dir, "folder is not empty; pass --force to replace the project nanogate wrote there (the files "
                       "its manifest lists; other files are kept)");
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::string> warnings;
  Model m = load_exact_model(o.p.model_path, o.p.config_path, o.p.weights_path, o.allow_inexact, warnings);
  HlsOptions h;
  h.model_path = o.p.model_path;
  h.weights_path = o.p.weights_path;
  h.config_path = o.p.config_path;
  h.top = o.top_opt->count() ? o.top : cfg.project_name.value_or(o.top);  // hls4ml's ProjectName
  h.clock_period_ns = o.period_opt->count() ? o.p.clock_period_ns : cfg.clock_period_ns.value_or(h.clock_period_ns);
  h.part = !o.part.empty() ? o.part : cfg.part.value_or(h.part);
  h.io_type = !o.io_type.empty() ? o.io_type : cfg.io_type.value_or(h.io_type);
  h.da_dc = o.p.dc;
  if (!o.strategy.empty()) h.strategy = o.strategy;
  if (o.reuse > 0) h.reuse_factor = o.reuse;
  h.force = o.p.force;
  HlsProject p = write_hls_project(m, h, o.dir);
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& n : p.notes) std::fprintf(stderr, "nanogate: note: %s\n", n.c_str());
  print_warnings(warnings);
  std::printf("%s: Vitis HLS project (%zu files, top '%s', part %s, %.3g ns, II = %d) written in %.3f s\n",
              o.dir.c_str(), p.files.size(), h.top.c_str(), h.part.c_str(), h.clock_period_ns, p.ii, dt);
  return 0;
}

int run(Opts& o) {
  Config cfg;
  if (!o.p.config_path.empty()) cfg = load_config(o.p.config_path);
  if (o.backend == "verilog" || o.backend == "vhdl") return run_verilog(o, cfg);
  if (o.backend == "vitis") return run_vitis(o, cfg);
  throw Error(o.p.model_path, "unknown backend '" + o.backend + "' (supported: verilog, vhdl, vitis)");
}
}  // namespace

Command add_convert(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("convert", "compile a model to firmware: Verilog RTL (+ Verilator harness, Yosys "
                                            "script, report), VHDL-2008 RTL (+ GHDL testbench, report) or a Vitis "
                                            "HLS C++ project");
  add_model_options(sub, o->p.model_path, o->p.weights_path);
  add_exactness_option(sub, o->allow_inexact);
  sub->add_option("--output,-o", o->dir, "output folder")->required();
  sub->add_option("--backend", o->backend, "backend: verilog, vhdl (the same circuit as VHDL-2008) or vitis")
      ->check(CLI::IsMember({"verilog", "vhdl", "vitis"}))
      ->capture_default_str();
  sub->add_option("--config,-c", o->p.config_path, "precision configuration (.json/.yaml)");
  o->period_opt = sub->add_option("--clock-period", o->p.clock_period_ns, "target clock period in ns (0: combinational)")
                      ->capture_default_str();
  sub->add_option("--dc", o->p.dc, "CMVM delay constraint: adder depth <= minimal + DC (-1: none)")
      ->check(CLI::Range(-1, 64))
      ->capture_default_str();
  sub->add_option("--cse-budget", o->p.cse_budget,
                  "CMVM sharing search budget in two-term patterns per matrix; larger matrices get plain adder "
                  "trees (-1: no limit)")
      ->capture_default_str();
  sub->add_option("--family", o->p.family, "verilog: FPGA family (delay model, Yosys script): xc7, xcup, ice40, ecp5")
      ->check(CLI::IsMember({"xc7", "xcup", "ice40", "ecp5"}))
      ->capture_default_str();
  sub->add_flag("--no-valid", o->no_valid, "verilog: omit the valid_in / valid_out ports");
  sub->add_flag("--register-ports", o->p.register_ports,
                "verilog: register every input and output port (one cycle each, counted in the latency)");
  sub->add_option("--tb-vectors", o->p.testbench_vectors,
                  "verilog, vhdl: events in the cocotb testbench's vectors (DIR/tb/, run: python DIR/tb/run.py)")
      ->check(CLI::Range(int64_t(1), int64_t(100000)))
      ->capture_default_str();
  sub->add_option("--wrapper", o->wrapper,
                  "verilog, vhdl: integration top <top>_packed (in_valid/in_data -> out_valid/out_data) or "
                  "<top>_axis (s_axis_tvalid/tdata/tready -> m_axis_tvalid/tdata): the model's fields packed LSB "
                  "first, one event per clock, ports registered")
      ->check(CLI::IsMember({"none", "packed", "axis"}))
      ->capture_default_str();
  sub->add_option("--field-bits", o->p.field_bits,
                  "wrapper: bits per packed field (0: each field its own fixed-point width; else >= the widest)")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  sub->add_option("--strategy", o->strategy, "vitis: override every layer's Strategy")
      ->check(CLI::IsMember({"Latency", "Resource", "DA"}));
  sub->add_option("--reuse-factor", o->reuse, "override every layer's ReuseFactor (vitis: Resource strategy; verilog: a convolution with R > 1 is "
                  "time-multiplexed, one output position per cycle)")->check(CLI::PositiveNumber);
  sub->add_option("--parallelization-factor", o->parallel,
                  "verilog: output positions per cycle of a time-multiplexed convolution (kernel instances)")
      ->check(CLI::Range(1, 4096));
  o->top_opt = sub->add_option("--top", o->top, "vitis: top function name (default: the config's ProjectName)")
                   ->capture_default_str();
  sub->add_option("--part", o->part, "vitis: FPGA part (default: config Part, else xcvu13p-flga2577-2-e)");
  sub->add_option("--io-type", o->io_type, "vitis: io_parallel (arrays, II = 1) or io_stream (pixel streams, line buffers)");
  sub->add_flag("--force,-f", o->p.force,
                "write into a non-empty folder: first delete the files its previous project's manifest lists "
                "(other files are kept)");
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
