// nanogate — configuration parsing (include/nanogate/config.hpp). JSON via
// nlohmann-json, YAML via yaml-cpp converted to the same JSON tree.
#include "nanogate/config.hpp"

#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nanogate/error.hpp"

namespace nanogate {

using json = nlohmann::json;

const std::vector<std::string>& config_layer_types() {
  static const std::vector<std::string> t = {"Input",   "Dense",     "Cast",      "Relu",    "LeakyRelu",
                                             "Sigmoid", "Softmax",   "Add",       "Sub",     "Mul",
                                             "BatchNorm", "Threshold", "ReduceSum", "ReduceMax", "Move", "BipolarQuant"};
  return t;
}

bool is_fpga_part_name(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

namespace {

/// Limits of the YAML → JSON expansion: aliases share nodes, so a
/// self-referential alias or an alias bomb would expand without bound.
constexpr int kMaxYamlDepth = 64;
constexpr int64_t kMaxYamlNodes = 100000;

json yaml_to_json(const YAML::Node& n, int depth, int64_t& nodes) {
  if (depth > kMaxYamlDepth)
    throw std::runtime_error("YAML nested deeper than " + std::to_string(kMaxYamlDepth) +
                             " levels (a self-referential alias?)");
  if (++nodes > kMaxYamlNodes)
    throw std::runtime_error("YAML expands to more than " + std::to_string(kMaxYamlNodes) +
                             " nodes (aliases repeated without bound?)");
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json j = json::object();
      for (auto it = n.begin(); it != n.end(); ++it)
        j[it->first.as<std::string>()] = yaml_to_json(it->second, depth + 1, nodes);
      return j;
    }
    case YAML::NodeType::Sequence: {
      json j = json::array();
      for (auto it = n.begin(); it != n.end(); ++it) j.push_back(yaml_to_json(*it, depth + 1, nodes));
      return j;
    }
    case YAML::NodeType::Scalar: {
      std::string s = n.as<std::string>();
      if (n.Tag() != "!") {  // plain scalar: numbers become numbers
        char* end = nullptr;
        long long v = std::strtoll(s.c_str(), &end, 10);
        if (!s.empty() && end && *end == 0) return json(v);
        double d = std::strtod(s.c_str(), &end);
        if (!s.empty() && end && *end == 0) return json(d);
      }
      return json(s);
    }
    default:
      return json();
  }
}

struct Parser {
  std::string src;
  [[noreturn]] void fail(const std::string& path, const std::string& why) const {
    throw Error(src, "config " + path + ": " + why);
  }
  TypeSpec type(const json& j, const std::string& path) const {
    if (!j.is_string()) fail(path, "expected a type string such as \"fixed<16,6>\" or \"auto\"");
    std::string s = j.get<std::string>();
    if (s == "auto") return TypeSpec{true, {}};
    try {
      return TypeSpec{false, parse_fixed(s)};
    } catch (const FixedTypeError& e) {
      fail(path, e.what());
    }
  }
  PrecisionSpec precision(const json& j, const std::string& path, bool allow_default) const {
    PrecisionSpec p;
    if (j.is_string()) {
      TypeSpec t = type(j, path);
      p.weight = p.bias = p.accum = p.result = t;
      return p;
    }
    if (!j.is_object()) fail(path, "expected a type or an object with weight/bias/accum/result");
    for (auto& [k, v] : j.items()) {
      std::string kp = path + "." + k;
      if (k == "weight") p.weight = type(v, kp);
      else if (k == "bias") p.bias = type(v, kp);
      else if (k == "accum") p.accum = type(v, kp);
      else if (k == "result") p.result = type(v, kp);
      else if (k == "default" && allow_default) {
        TypeSpec t = type(v, kp);
        if (!p.weight) p.weight = t;
        if (!p.bias) p.bias = t;
        if (!p.accum) p.accum = t;
        if (!p.result) p.result = t;
      } else
        fail(kp, "unknown precision key (expected weight, bias, accum, result" +
                     std::string(allow_default ? ", default" : "") + ")");
    }
    return p;
  }
  LayerConfig layer(const json& j, const std::string& path, bool is_model) const {
    if (!j.is_object()) fail(path, "expected an object");
    LayerConfig c;
    for (auto& [k, v] : j.items()) {
      std::string kp = path + "." + k;
      if (k == "Precision") {
        c.precision = precision(v, kp, is_model);
      } else if (k == "ReuseFactor") {
        if (!v.is_number_integer() || v.get<int64_t>() < 1) fail(kp, "expected an integer >= 1");
        c.reuse_factor = int(v.get<int64_t>());
      } else if (k == "ParallelizationFactor") {
        if (!v.is_number_integer() || v.get<int64_t>() < 1 || v.get<int64_t>() > 4096) fail(kp, "expected an integer in 1..4096");
        c.parallelization_factor = int(v.get<int64_t>());
      } else if (k == "Strategy") {
        static const std::vector<std::string> ok = {"Latency", "Resource", "DA"};
        if (!v.is_string()) fail(kp, "expected Latency, Resource or DA");
        std::string s = v.get<std::string>();
        auto it = std::find_if(ok.begin(), ok.end(), [&](const std::string& o) {
          return std::equal(o.begin(), o.end(), s.begin(), s.end(), [](char a, char b) { return tolower(a) == tolower(b); });
        });
        if (it == ok.end()) fail(kp, "unknown strategy '" + s + "' (expected Latency, Resource or DA)");
        c.strategy = *it;
      } else {
        fail(kp, "unknown key (expected Precision, ReuseFactor, ParallelizationFactor, Strategy)");
      }
    }
    return c;
  }
};

/// The FPGA part of config key `key` (is_fpga_part_name).
std::string part_name(const Parser& p, const std::string& key, const json& v) {
  if (!v.is_string() || v.get<std::string>().empty()) p.fail(key, "expected an FPGA part name");
  const std::string s = v.get<std::string>();
  if (!is_fpga_part_name(s))
    p.fail(key, "an FPGA part name has only letters, digits, '-', '_' and '.' (got '" + s + "')");
  return s;
}

}  // namespace

Config parse_config(const std::string& text, const std::string& source, bool yaml) {
  json root;
  try {
    int64_t nodes = 0;
    if (yaml) root = yaml_to_json(YAML::Load(text), 0, nodes);
    else root = json::parse(text);
  } catch (const std::exception& e) {
    throw Error(source, std::string("cannot parse configuration: ") + e.what());
  }
  Parser p{source};
  Config cfg;
  cfg.source = source;
  if (root.is_null()) return cfg;
  if (!root.is_object()) p.fail("(top level)", "expected an object with Model, LayerType, LayerName");
  // hls4ml's command-line YAML nests the precision sections under HLSConfig.
  if (root.contains("HLSConfig")) {
    if (!root["HLSConfig"].is_object()) p.fail("HLSConfig", "expected an object with Model, LayerType, LayerName");
    for (auto& [k, v] : root["HLSConfig"].items()) {
      if (root.contains(k)) p.fail("HLSConfig." + k, "given both at the top level and under HLSConfig");
      root[k] = v;
    }
    root.erase("HLSConfig");
  }
  auto text_of = [&](const std::string& k, const json& v) {
    if (!v.is_string() || v.get<std::string>().empty()) p.fail(k, "expected a non-empty string");
    return v.get<std::string>();
  };
  for (auto& [k, v] : root.items()) {
    if (k == "KerasJson" || k == "KerasH5" || k == "OnnxModel" || k == "KerasModel") {
      std::string s = text_of(k, v);
      if (k == "KerasH5" && root.contains("KerasJson")) cfg.weights_file = s;
      else if (!cfg.model_file) cfg.model_file = s;
    } else if (k == "OutputDir") {
      cfg.output_dir = text_of(k, v);
    } else if (k == "ProjectName") {
      cfg.project_name = text_of(k, v);
    } else if (k == "Backend" || k == "Version" || k == "Stamp" || k == "WriterConfig") {
      // hls4ml project bookkeeping: no effect on the firmware nanogate writes
    } else if (k == "XilinxPart") {
      cfg.part = part_name(p, k, v);
    } else if (k == "Model") {
      cfg.model = p.layer(v, "Model", true);
      if (cfg.model.precision.result && !cfg.model.precision.result->is_auto)
        cfg.default_precision = cfg.model.precision.result->type;
    } else if (k == "LayerType") {
      if (!v.is_object()) p.fail("LayerType", "expected an object");
      const auto& types = config_layer_types();
      for (auto& [t, lv] : v.items()) {
        if (std::find(types.begin(), types.end(), t) == types.end()) {
          std::string list;
          for (auto& x : types) list += (list.empty() ? "" : ", ") + x;
          p.fail("LayerType." + t, "unknown layer type (known: " + list + ")");
        }
        cfg.by_type[t] = p.layer(lv, "LayerType." + t, false);
      }
    } else if (k == "LayerName") {
      if (!v.is_object()) p.fail("LayerName", "expected an object");
      for (auto& [t, lv] : v.items()) cfg.by_name[t] = p.layer(lv, "LayerName." + t, false);
    } else if (k == "Part") {
      cfg.part = part_name(p, k, v);
    } else if (k == "ClockPeriod") {
      if (!v.is_number() || v.get<double>() <= 0) p.fail(k, "expected a clock period in ns > 0");
      cfg.clock_period_ns = v.get<double>();
    } else if (k == "IOType") {
      if (!v.is_string() || (v.get<std::string>() != "io_parallel" && v.get<std::string>() != "io_stream"))
        p.fail(k, "expected io_parallel or io_stream");
      cfg.io_type = v.get<std::string>();
    } else {
      p.fail(k, "unknown section (expected Model, LayerType, LayerName, Part, ClockPeriod, IOType, or hls4ml's "
                "HLSConfig, KerasJson, KerasH5, OnnxModel, OutputDir, ProjectName)");
    }
  }
  return cfg;
}

Config load_config(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(path, "cannot open configuration file");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string ext = path.size() >= 5 ? path.substr(path.find_last_of('.') + 1) : "";
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  if (ss.str().empty()) throw Error(path, "empty configuration file");
  return parse_config(ss.str(), path, ext == "yaml" || ext == "yml");
}

}  // namespace nanogate
