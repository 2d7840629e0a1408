// nanogate — a Config written back as a configuration file (config.hpp).
#include <nlohmann/json.hpp>

#include "nanogate/config.hpp"

namespace nanogate {

namespace {

using ojson = nlohmann::ordered_json;

std::string spec_str(const TypeSpec& t) { return t.is_auto ? "auto" : t.type.str(); }

ojson layer_json(const LayerConfig& c) {
  ojson j = ojson::object();
  ojson p = ojson::object();
  const std::pair<const char*, const std::optional<TypeSpec>*> roles[] = {
      {"weight", &c.precision.weight}, {"bias", &c.precision.bias}, {"accum", &c.precision.accum},
      {"result", &c.precision.result}};
  for (auto [k, v] : roles)
    if (*v) p[k] = spec_str(**v);
  if (!p.empty()) j["Precision"] = p;
  if (c.reuse_factor) j["ReuseFactor"] = *c.reuse_factor;
  if (c.parallelization_factor) j["ParallelizationFactor"] = *c.parallelization_factor;
  if (c.strategy) j["Strategy"] = *c.strategy;
  return j;
}

}  // namespace

std::string config_to_json_text(const Config& c) {
  ojson j = ojson::object();
  ojson model = layer_json(c.model);
  if (!model.contains("Precision")) model["Precision"] = c.default_precision.str();
  j["Model"] = model;
  if (!c.by_type.empty()) {
    ojson t = ojson::object();
    for (auto& [k, v] : c.by_type) t[k] = layer_json(v);
    j["LayerType"] = t;
  }
  if (!c.by_name.empty()) {
    ojson n = ojson::object();
    for (auto& [k, v] : c.by_name) n[k] = layer_json(v);
    j["LayerName"] = n;
  }
  if (c.part) j["Part"] = *c.part;
  if (c.clock_period_ns) j["ClockPeriod"] = *c.clock_period_ns;
  if (c.io_type) j["IOType"] = *c.io_type;
  if (c.model_file && c.weights_file) j["KerasJson"] = *c.model_file;
  if (c.weights_file) j["KerasH5"] = *c.weights_file;
  if (c.project_name) j["ProjectName"] = *c.project_name;
  return j.dump(1) + "\n";
}

}  // namespace nanogate
