// nanogate synth DIR [--family xc7|xcup|ice40|ecp5] [--timeout S] [--freq MHZ]:
// runs Yosys (and nextpnr) on the output folder of `nanogate convert`, prints
// the resource counts and Fmax, and records them in DIR/report.json under
// "synth" -> family.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "nanogate/report/synth.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string dir, family = "xc7";
  double timeout = 1800, freq = 100;
  int seeds = 3;
  bool quiet = false;
};

int run(const Opts& o) {
  report::SynthOptions so;
  so.family = report::parse_family(o.family);
  so.timeout_s = o.timeout;
  so.target_mhz = o.freq;
  so.pnr_seeds = o.seeds;
  so.progress = o.quiet ? nullptr : &std::cerr;
  report::SynthResult r = report::run_synth(o.dir, so);
  std::string report_path = (std::filesystem::path(o.dir) / "report.json").string();
  report::merge_synth_report(report_path, so.family, r.to_json());

  std::printf("%s on %s (%s, %.1f s)\n", r.top.c_str(), o.family.c_str(), r.tool_version.c_str(), r.elapsed_s);
  std::printf("  LUTs     %lld\n", (long long)r.counts.luts);
  std::printf("  FFs      %lld\n", (long long)r.counts.ffs);
  std::printf("  DSPs     %lld\n", (long long)r.counts.dsps);
  std::printf("  carries  %lld\n", (long long)r.counts.carries);
  if (r.counts.estimated_lcs) std::printf("  LCs      %lld (Yosys estimate)\n", (long long)*r.counts.estimated_lcs);
  if (r.pnr && r.pnr->lcs_used)
    std::printf("  P&R LCs  %lld / %lld (serial wrapper included)\n", (long long)*r.pnr->lcs_used,
                (long long)r.pnr->lcs_total.value_or(0));
  if (r.sta.arrival_ps)
    std::printf("  delay    %.2f ns over cells, %lld levels (no routing)\n", *r.sta.arrival_ps / 1000.0,
                (long long)r.sta.logic_levels.value_or(0));
  if (r.fmax_mhz) std::printf("  Fmax     %.1f MHz (%s)\n", *r.fmax_mhz, r.fmax_note.c_str());
  else std::printf("  Fmax     unavailable (%s)\n", r.fmax_note.c_str());
  std::printf("recorded under \"synth\".\"%s\" in %s; log: %s\n", o.family.c_str(), report_path.c_str(),
              (std::filesystem::path(o.dir) / r.log_file).c_str());
  return 0;
}
}  // namespace

Command add_synth(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("synth", "synthesize a converted design with Yosys (+ nextpnr): LUT/FF/DSP/carry counts, Fmax");
  sub->add_option("DIR", o->dir, "output folder of `nanogate convert` (with report.json)")->required();
  sub->add_option("--family", o->family, "FPGA family: xc7, xcup (counts), ice40 (counts + nextpnr Fmax), ecp5 (needs yowasp)")
      ->check(CLI::IsMember({"xc7", "xcup", "ice40", "ecp5"}))
      ->capture_default_str();
  sub->add_option("--timeout", o->timeout, "wall-clock limit for the whole flow, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--freq", o->freq, "target clock for nextpnr, MHz")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--seeds", o->seeds, "nextpnr attempts with seeds 1..N (its router can loop)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  sub->add_flag("--quiet,-q", o->quiet, "no progress lines on stderr");
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
