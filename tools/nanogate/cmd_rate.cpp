// nanogate rate MODEL --background BG [--signal SIG ...] (--rate-khz R | --threshold T)
//               [--bx-rate-mhz 40] [--score-output NAME] [-o OUT.json] [--csv OUT.csv]
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "nanogate/analysis/rate.hpp"
#include "nanogate/error.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string model, config, weights, background, score, out, csv;
  std::vector<std::string> signals;
  double rate_khz = 0, threshold = 0, bx_rate_mhz = 40;
  CLI::Option *rate_opt = nullptr, *thr_opt = nullptr;
  bool force = false, allow_inexact = false;
};

int run(const Opts& o) {
  std::vector<std::pair<const std::string*, const char*>> sources = {
      {&o.background, "background"}, {&o.model, "model"}, {&o.config, "configuration"}, {&o.weights, "weights"}};
  for (auto& s : o.signals) sources.push_back({&s, "signal"});
  check_output_file(o.out, sources, o.force);
  check_output_file(o.csv, sources, o.force);
  std::vector<std::string> warnings;
  Model m = load_exact_model(o.model, o.config, o.weights, o.allow_inexact, warnings);
  ScoreSpec s = resolve_score(m, o.score);
  Emulator emu(m);
  Table bg = read_events(o.background, emu, o.model);
  std::vector<int64_t> bg_codes = score_codes(emu, s, bg.data.data(), bg.rows);
  std::vector<ScoreSample> sig;
  for (auto& path : o.signals) {
    Table t = read_events(path, emu, o.model);
    sig.push_back({std::filesystem::path(path).stem().string(), score_codes(emu, s, t.data.data(), t.rows)});
  }
  std::optional<double> rate, thr;
  if (o.rate_opt->count()) rate = o.rate_khz;
  if (o.thr_opt->count()) thr = o.threshold;
  RateResult r = rate_analysis(o.model, s, std::move(bg_codes), std::move(sig), o.bx_rate_mhz, rate, thr);
  if (!o.out.empty()) write_text(o.out, rate_json(r).dump(1) + "\n");
  if (!o.csv.empty()) write_text(o.csv, rate_csv(r));
  print_warnings(warnings);
  std::fputs(format_rate(r).c_str(), stdout);
  return 0;
}
}  // namespace

Command add_rate(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("rate", "trigger threshold, rate and signal efficiencies from the firmware's exact scores");
  add_model_options(sub, o->model, o->weights);
  add_exactness_option(sub, o->allow_inexact);
  sub->add_option("--config,-c", o->config, "precision configuration (.json/.yaml)");
  sub->add_option("--background,-b", o->background, "background events (.npy or .csv, one event per row)")->required();
  sub->add_option("--signal", o->signals, "signal samples (repeatable)");
  o->rate_opt = sub->add_option("--rate-khz", o->rate_khz, "target rate in kHz: the threshold is derived from it");
  o->thr_opt = sub->add_option("--threshold", o->threshold, "threshold in score units (an event fires when score > T)");
  o->rate_opt->excludes(o->thr_opt);
  sub->add_option("--bx-rate-mhz", o->bx_rate_mhz, "bunch-crossing rate in MHz (default 40)");
  sub->add_option("--score-output", o->score, "score tensor or node, optionally NAME[k] (default: the only one-element output)");
  sub->add_option("--output,-o", o->out, "write the threshold and curves as JSON here");
  sub->add_option("--csv", o->csv, "write the rate/efficiency curves as CSV here");
  sub->add_flag("--force,-f", o->force, "overwrite the output files if they exist");
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
