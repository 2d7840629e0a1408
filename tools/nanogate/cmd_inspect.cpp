// nanogate inspect MODEL [--config CFG]: one row per layer.
#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "nanogate/inspect.hpp"
#include "nanogate/passes/passes.hpp"

namespace nanogate::cli {

Model load_model(const std::string& model, const std::string& config, const std::string& weights) {
  Config cfg;
  if (!config.empty()) cfg = load_config(config);
  return compile_model(model, cfg, weights);
}

Model load_exact_model(const std::string& model, const std::string& config, const std::string& weights,
                       bool allow_inexact, std::vector<std::string>& warnings) {
  Model m = load_model(model, config, weights);
  warnings = require_exact(m.graph, allow_inexact);
  return m;
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) std::fprintf(stderr, "nanogate: warning: %s\n", w.c_str());
}

void add_exactness_option(CLI::App* sub, bool& allow_inexact) {
  sub->add_flag("--allow-inexact", allow_inexact,
                "run layers that are not bit-exact with the model (float constants rounded to default types); "
                "each is named in a warning");
}

void add_model_options(CLI::App* sub, std::string& model, std::string& weights) {
  sub->add_option("MODEL", model, "model file: ONNX / QONNX, Keras 3 .keras, Keras 2 .h5, or Keras JSON (+ weights)")
      ->required();
  sub->add_option("--weights", weights, "weights HDF5 of a Keras JSON model (default: <stem>_weights.h5 beside it)");
}

Command add_inspect(CLI::App& app) {
  struct Opts {
    std::string model, config, weights;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("inspect", "one row per layer: shapes, types, parameters, zero weights");
  add_model_options(sub, o->model, o->weights);
  sub->add_option("--config,-c", o->config, "precision configuration (.json/.yaml)");
  return {sub, [o] {
            std::cout << format_inspect(load_model(o->model, o->config, o->weights));
            return 0;
          }};
}

}  // namespace nanogate::cli
