// nanogate emulate MODEL --input IN --output OUT [--config CFG] [--float] [--raw]
//                  [--tensor NAME]... [--force]
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/io/table.hpp"

namespace nanogate::cli {

namespace {
struct Opts {
  std::string model, config, weights, in, out;
  bool float_mode = false, raw = false, force = false, allow_inexact = false;
  std::vector<std::string> tensors;
};

int run(const Opts& o) {
  check_output_file(o.out, {{&o.in, "input"}, {&o.model, "model"}, {&o.config, "configuration"}, {&o.weights, "weights"}},
                    o.force);
  if (o.raw && o.float_mode) throw Error(o.out, "--raw needs fixed-point mode (drop --float)");
  std::vector<std::string> warnings;
  Model m = o.float_mode ? load_model(o.model, o.config, o.weights)
                         : load_exact_model(o.model, o.config, o.weights, o.allow_inexact, warnings);
  Emulator emu(m, o.float_mode);
  Table x = read_events(o.in, emu, o.model, false);
  auto t0 = std::chrono::steady_clock::now();
  EmulatorResult r = emu.run(x.data.data(), x.rows, !o.tensors.empty(), o.tensors);
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Table y;
  y.rows = r.rows;
  if (!o.tensors.empty()) {  // the named tensors, concatenated, instead of the graph outputs
    for (auto& name : o.tensors) {
      auto it = r.trace.find(name);
      if (it == r.trace.end()) throw Error(o.model, "no tensor named '" + name + "' to output");
      y.cols += r.rows ? int64_t(it->second.size()) / r.rows : 0;
    }
    y.data.resize(size_t(y.rows * y.cols));
    int64_t c0 = 0;
    for (auto& name : o.tensors) {
      const auto& v = r.trace.at(name);
      int64_t c = r.rows ? int64_t(v.size()) / r.rows : 0;
      for (int64_t row = 0; row < r.rows; ++row)
        for (int64_t k = 0; k < c; ++k) y.data[row * y.cols + c0 + k] = v[row * c + k];
      c0 += c;
    }
  } else {
    y.cols = r.cols;
    if (o.raw) y.data.assign(r.raw.begin(), r.raw.end());
    else y.data = std::move(r.values);
  }
  write_table(o.out, y);
  print_warnings(warnings);
  std::fprintf(stderr, "%lld events in %.3f s: %.0f events/s (%s; threads: %s)\n", (long long)x.rows, dt,
               dt > 0 ? double(x.rows) / dt : 0.0, o.float_mode ? "float" : "fixed-point",
               std::getenv("NANOGATE_THREADS") ? std::getenv("NANOGATE_THREADS") : "all cores for large batches");
  return 0;
}
}  // namespace

Command add_emulate(CLI::App& app) {
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("emulate", "bit-exact fixed-point emulation of a batch of events");
  add_model_options(sub, o->model, o->weights);
  add_exactness_option(sub, o->allow_inexact);
  sub->add_option("--input,-i", o->in, "input events (.npy or .csv, one event per row, flattened)")->required();
  sub->add_option("--output,-o", o->out, "output file (.npy or .csv)")->required();
  sub->add_option("--config,-c", o->config, "precision configuration (.json/.yaml)");
  sub->add_flag("--float", o->float_mode, "evaluate the float model (no fixed-point casts)");
  sub->add_flag("--raw", o->raw, "write raw integer codes instead of real values");
  sub->add_option("--tensor,-t", o->tensors, "write these tensors instead of the outputs (repeatable)");
  sub->add_flag("--force,-f", o->force, "overwrite the output file if it exists");
  return {sub, [o] { return run(*o); }};
}

}  // namespace nanogate::cli
