// nanogate inspect MODEL [--config CFG]: one row per layer.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "nanogate/inspect.hpp"

namespace nanogate::cli {

Model load_model(const std::string& model, const std::string& config) {
  Config cfg;
  if (!config.empty()) cfg = load_config(config);
  return compile_model(model, cfg);
}

Command add_inspect(CLI::App& app) {
  struct Opts {
    std::string model, config;
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("inspect", "one row per layer: shapes, types, parameters, zero weights");
  sub->add_option("MODEL", o->model, "ONNX / QONNX model file")->required();
  sub->add_option("--config,-c", o->config, "precision configuration (.json/.yaml)");
  return {sub, [o] {
            std::cout << format_inspect(load_model(o->model, o->config));
            return 0;
          }};
}

}  // namespace nanogate::cli
