// nanogate — the compile pipeline (include/nanogate/model.hpp).
#include "nanogate/model.hpp"

#include "nanogate/error.hpp"
#include "nanogate/frontend/keras.hpp"
#include "nanogate/passes/passes.hpp"

namespace nanogate {

namespace {

Model compile_passes(Graph g, const Config& cfg) {
  Model m;
  m.source = g.source;
  m.config = cfg;
  fold_constants(g);
  m.reference = g;
  fold_input_preprocessing(g, cfg);
  lower_spatial(g);
  absorb_scales(g, cfg);
  lower_layers(g);
  infer_precision(g, cfg);
  mark_exactness(g, cfg);
  m.graph = std::move(g);
  return m;
}

}  // namespace

Model compile_graph(Graph g, const Config& cfg) {
  const std::string source = g.source;
  return naming_file(source, [&] { return compile_passes(std::move(g), cfg); });
}

Model compile_model(const std::string& path, const Config& cfg, const std::string& weights) {
  std::string w = weights;
  if (w.empty() && cfg.weights_file && detect_model_kind(path) == ModelKind::KerasJson) w = *cfg.weights_file;
  return compile_graph(load_model_file(path, w), cfg);
}

}  // namespace nanogate
