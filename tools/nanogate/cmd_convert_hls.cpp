// nanogate convert-hls MODEL -o DIR [--config CFG] [--strategy S] [--reuse-factor R]
//                      [--top NAME] [--part PART] [--clock-period NS] [--io-type T]
// (hidden, temporary: to be folded into `convert --backend vitis`.)
#include <chrono>
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "nanogate/backend/hls.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string model, config, dir, strategy;
  int reuse = 0;
  HlsOptions hls;
};

int run(Opts& o) {
  auto t0 = std::chrono::steady_clock::now();
  Model m = load_model(o.model, o.config);
  o.hls.model_path = o.model;
  o.hls.config_path = o.config;
  if (!o.strategy.empty()) o.hls.strategy = o.strategy;
  if (o.reuse > 0) o.hls.reuse_factor = o.reuse;
  HlsProject p = write_hls_project(m, o.hls, o.dir);
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (auto& n : p.notes) std::fprintf(stderr, "nanogate: note: %s\n", n.c_str());
  std::fprintf(stderr, "wrote Vitis HLS project %s (%zu files, top '%s', II = %d) in %.3f s\n", o.dir.c_str(),
               p.files.size(), o.hls.top.c_str(), p.ii, dt);
  return 0;
}
}  // namespace

Command add_convert_hls(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("convert-hls", "write a Vitis HLS C++ project (temporary; becomes convert --backend vitis)");
  sub->group("");  // hidden
  sub->add_option("MODEL", o->model, "ONNX / QONNX model file")->required();
  sub->add_option("--output,-o", o->dir, "project directory")->required();
  sub->add_option("--config,-c", o->config, "precision configuration (.json/.yaml)");
  sub->add_option("--strategy", o->strategy, "override every layer's strategy")
      ->check(CLI::IsMember({"Latency", "Resource", "DA"}));
  sub->add_option("--reuse-factor", o->reuse, "override every layer's ReuseFactor (Resource)")->check(CLI::PositiveNumber);
  sub->add_option("--top", o->hls.top, "top function name")->capture_default_str();
  sub->add_option("--part", o->hls.part, "FPGA part for build_prj.tcl")->capture_default_str();
  sub->add_option("--clock-period", o->hls.clock_period_ns, "clock period in ns for build_prj.tcl")->capture_default_str();
  sub->add_option("--io-type", o->hls.io_type, "io_parallel (io_stream needs streaming layers)")->capture_default_str();
  sub->add_option("--da-dc", o->hls.da_dc, "DA: CMVM delay constraint (-1: none)")->capture_default_str();
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
