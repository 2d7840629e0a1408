// nanogate profile MODEL --input EVENTS [--config CFG] [--weights W] [-o OUT.json]
//                  [--suggest CFG_OUT] [--margin N] [--no-luts] [--force]
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "nanogate/analysis/profile.hpp"
#include "nanogate/error.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string model, config, weights, in, out, suggest;
  int margin = 1;
  bool no_luts = false, force = false, allow_inexact = false;
};

int run(const Opts& o) {
  const std::vector<std::pair<const std::string*, const char*>> sources = {
      {&o.in, "input"}, {&o.model, "model"}, {&o.config, "configuration"}, {&o.weights, "weights"}};
  check_output_file(o.out, sources, o.force);
  check_output_file(o.suggest, sources, o.force);
  std::vector<std::string> warnings;
  Model m = load_exact_model(o.model, o.config, o.weights, o.allow_inexact, warnings);
  Table x = read_events(o.in, Emulator(m), o.model);
  ProfileOptions po;
  po.margin_int_bits = o.margin;
  po.suggest = true;
  po.estimate_luts = !o.no_luts;
  ProfileResult r = profile_model(m, x.data.data(), x.rows, po);
  if (!o.out.empty()) write_text(o.out, profile_json(r).dump(1) + "\n");
  if (!o.suggest.empty()) write_text(o.suggest, config_to_json_text(r.suggested_config));
  print_warnings(warnings);
  std::fputs(format_profile(r).c_str(), stdout);
  if (!o.out.empty()) std::printf("profile: %s\n", o.out.c_str());
  if (!o.suggest.empty()) std::printf("suggested configuration: %s\n", o.suggest.c_str());
  return 0;
}
}  // namespace

Command add_profile(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("profile", "per-tensor ranges, overflows and rounding on real events; suggested types");
  add_model_options(sub, o->model, o->weights);
  add_exactness_option(sub, o->allow_inexact);
  sub->add_option("--input,-i", o->in, "events (.npy or .csv, one event per row, flattened)")->required();
  sub->add_option("--config,-c", o->config, "precision configuration (.json/.yaml)");
  sub->add_option("--output,-o", o->out, "write everything as JSON here");
  sub->add_option("--suggest,-s", o->suggest, "write the suggested configuration (JSON) here");
  sub->add_option("--margin", o->margin, "integer bits added to the observed need in the suggestion (default 1)");
  sub->add_flag("--no-luts", o->no_luts, "skip the netlist LUT estimates of the original and suggested models");
  sub->add_flag("--force,-f", o->force, "overwrite the output files if they exist");
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
