// nanogate — Keras containers (.keras zip, Keras 2 HDF5, JSON + weights HDF5)
// → architecture and weights (keras_file.hpp).
#include "frontend/keras/keras_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "io/zip_archive.hpp"
#include "nanogate/error.hpp"

namespace nanogate::keras {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string read_text(const std::string& path, size_t max_bytes = size_t(1) << 28) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, "cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) throw Error(path, "file too large for a Keras architecture");
  return s;
}

/// Python's json module writes Infinity, -Infinity and NaN, which JSON has
/// not: outside strings they become +-DBL_MAX and null (only training
/// hyper-parameters such as HGQ2's i_decay_speed use them).
std::string python_json_to_json(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_str = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_str) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_str = false;
      continue;
    }
    if (c == '"') in_str = true;
    if (text.compare(i, 8, "Infinity") == 0) {
      out += "1.7976931348623157e308";
      i += 7;
    } else if (text.compare(i, 3, "NaN") == 0) {
      out += "null";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

json parse_json(const std::string& text, const std::string& source, const std::string& what) {
  try {
    return json::parse(python_json_to_json(text));
  } catch (const json::exception& e) {
    throw Error(source, what + " is not valid JSON (" + std::string(e.what()) + ")");
  }
}

TensorRef ref_from(const json& j, const std::string& src, const std::string& layer) {
  // Keras 2: ["name", node, tensor, {kwargs}]; Keras 3: keras_history ["name", node, tensor].
  if (!j.is_array() || j.size() < 3 || !j[0].is_string() || !j[1].is_number_integer() || !j[2].is_number_integer())
    throw Error(src, layer, "", "malformed inbound node reference " + j.dump().substr(0, 80));
  return TensorRef{j[0].get<std::string>(), j[1].get<int>(), j[2].get<int>()};
}

/// Keras 3 call arguments: every __keras_tensor__ (keras_history) in `args`, in order.
void collect_keras3_refs(const json& j, std::vector<TensorRef>& out, const std::string& src, const std::string& layer,
                         int depth = 0) {
  if (depth > 16) throw Error(src, layer, "", "inbound nodes nested too deeply");
  if (j.is_object()) {
    if (j.value("class_name", "") == "__keras_tensor__") {
      out.push_back(ref_from(j.at("config").at("keras_history"), src, layer));
      return;
    }
    for (auto& [k, v] : j.items()) collect_keras3_refs(v, out, src, layer, depth + 1);
  } else if (j.is_array()) {
    for (auto& v : j) collect_keras3_refs(v, out, src, layer, depth + 1);
  }
}

std::vector<std::vector<TensorRef>> calls_of(const json& layer, const std::string& src, const std::string& name) {
  std::vector<std::vector<TensorRef>> calls;
  if (!layer.contains("inbound_nodes") || !layer["inbound_nodes"].is_array()) return calls;
  for (auto& node : layer["inbound_nodes"]) {
    std::vector<TensorRef> refs;
    if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
      if (node.contains("args")) collect_keras3_refs(node["args"], refs, src, name);
    } else if (node.is_array()) {  // Keras 2: [["name", node, tensor, {}], ...]
      for (auto& r : node) refs.push_back(ref_from(r, src, name));
    } else {
      throw Error(src, name, "", "malformed inbound_nodes");
    }
    calls.push_back(std::move(refs));
  }
  return calls;
}

std::vector<TensorRef> io_refs(const json& j, const std::string& src) {
  std::vector<TensorRef> out;
  if (j.is_array() && j.size() == 3 && j[0].is_string()) {  // a single [name, node, tensor]
    out.push_back(ref_from(j, src, ""));
    return out;
  }
  if (!j.is_array()) throw Error(src, "malformed input_layers/output_layers");
  for (auto& r : j) out.push_back(ref_from(r, src, ""));
  return out;
}

/// The architecture JSON → Model without weights (unchecked JSON access: see architecture).
Model architecture_of(const json& j, const std::string& src) {
  Model m;
  m.source = src;
  if (!j.is_object() || !j.contains("class_name") || !j.contains("config"))
    throw Error(src, "not a Keras model configuration (no class_name/config)");
  m.class_name = j["class_name"].get<std::string>();
  const json& cfg = j["config"];
  const json* layers = nullptr;
  if (cfg.is_array()) layers = &cfg;  // Keras 2.0 Sequential: config is the layer list
  else if (cfg.is_object() && cfg.contains("layers") && cfg["layers"].is_array()) layers = &cfg["layers"];
  if (!layers)
    throw Error(src, "Keras model class '" + m.class_name + "' has no layer list (only Sequential and Functional models are read)");
  if (m.class_name != "Sequential" && m.class_name != "Functional" && m.class_name != "Model")
    throw Error(src, "Keras model class '" + m.class_name + "' is not supported (Sequential, Functional, Model)");
  for (auto& lj : *layers) {
    Layer l;
    if (!lj.is_object() || !lj.contains("class_name") || !lj.contains("config") || !lj["config"].is_object())
      throw Error(src, "malformed layer entry " + lj.dump().substr(0, 80));
    l.class_name = lj["class_name"].get<std::string>();
    l.module = lj.value("module", "");
    if (lj.contains("registered_name") && lj["registered_name"].is_string()) {
      std::string r = lj["registered_name"];
      if (l.module.empty() && r.find('>') != std::string::npos) l.module = r.substr(0, r.find('>'));
    }
    l.config = lj["config"];
    l.name = lj.contains("name") && lj["name"].is_string() ? lj["name"].get<std::string>()
                                                             : l.config.value("name", l.class_name);
    l.calls = calls_of(lj, src, l.name);
    m.layers.push_back(std::move(l));
  }
  if (m.layers.empty()) throw Error(src, "the Keras model has no layers");
  if (m.class_name != "Sequential") {
    if (!cfg.contains("input_layers") || !cfg.contains("output_layers"))
      throw Error(src, "Functional model without input_layers/output_layers");
    m.inputs = io_refs(cfg["input_layers"], src);
    m.outputs = io_refs(cfg["output_layers"], src);
  }
  return m;
}

/// The architecture JSON → Model without weights; a key missing or of the
/// wrong type anywhere (e.g. a __keras_tensor__ without keras_history) is
/// one Error naming the file.
Model architecture(const json& j, const std::string& src) {
  try {
    return architecture_of(j, src);
  } catch (const json::exception& e) {
    throw Error(src, std::string("malformed Keras model configuration (") + e.what() + ")");
  }
}

/// Keras 2 weights: `<root>/<layer>` groups with a `weight_names` attribute.
void attach_keras2_weights(Model& m, const h5::File& f, const std::string& root) {
  for (Layer& l : m.layers) {
    std::string g = root + "/" + l.name;
    if (!f.is_group(g)) continue;  // a layer without variables may have no group
    if (!f.has_attr(g, "weight_names")) continue;
    for (const std::string& wn : f.attr_strings(g, "weight_names")) {
      std::string p = g + "/" + wn;
      if (!f.exists(p))
        throw Error(f.source(), l.name, l.class_name, "weight '" + wn + "' listed but missing from the weights file");
      l.weights.push_back(f.read(p));
      l.weight_names.push_back(wn);
    }
  }
}

std::vector<std::string> numeric_children(const h5::File& f, const std::string& g) {
  auto kids = f.children(g);
  std::vector<std::string> out;
  for (auto& k : kids)
    if (!f.is_group(g + "/" + k)) out.push_back(k);
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    bool na = !a.empty() && std::all_of(a.begin(), a.end(), ::isdigit), nb = !b.empty() && std::all_of(b.begin(), b.end(), ::isdigit);
    if (na && nb && a.size() < 10 && b.size() < 10) return std::stol(a) < std::stol(b);
    return a < b;
  });
  return out;
}

/// Keras 3 weights: layers/<folder>/vars/<i>, nested objects' vars below the folder.
void attach_keras3_weights(Model& m, const h5::File& f) {
  if (!f.is_group("layers")) throw Error(f.source(), "model.weights.h5 has no 'layers' group");
  std::map<std::string, std::string> folder_of;
  for (auto& c : f.children("layers")) {
    std::string vars = "layers/" + c + "/vars";
    if (f.has_attr(vars, "name")) folder_of[f.attr_string(vars, "name")] = c;
    folder_of.emplace(c, c);
  }
  for (Layer& l : m.layers) {
    auto it = folder_of.find(l.name);
    if (it == folder_of.end()) continue;
    std::string base = "layers/" + it->second;
    std::vector<std::string> stack = {""};
    while (!stack.empty()) {
      std::string rel = stack.back();
      stack.pop_back();
      std::string g = rel.empty() ? base : base + "/" + rel;
      if (stack.size() > 256 || std::count(rel.begin(), rel.end(), '/') > 8) break;
      for (auto& c : f.children(g)) {
        if (!f.is_group(g + "/" + c)) continue;
        if (c == "vars") {
          std::vector<h5::Dataset> vs;
          for (auto& k : numeric_children(f, g + "/vars")) {
            vs.push_back(f.read(g + "/vars/" + k));
            if (rel.empty()) l.weight_names.push_back("vars/" + k);
          }
          if (rel.empty()) l.weights = std::move(vs);
          else l.sub_weights.emplace_back(rel, std::move(vs));
        } else {
          stack.push_back(rel.empty() ? c : rel + "/" + c);
        }
      }
    }
  }
}

std::string default_weights_path(const std::string& path) {
  fs::path p(path);
  return (p.parent_path() / (p.stem().string() + "_weights.h5")).string();
}

}  // namespace

bool looks_like_keras_json(const std::string& head) {
  size_t i = head.find_first_not_of(" \t\r\n");
  return i != std::string::npos && head[i] == '{' && head.find("\"class_name\"") != std::string::npos &&
         head.find("\"config\"") != std::string::npos;
}

Model read_model_in_process(const std::string& path, const std::string& weights) {
  std::string head;
  {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(path, "cannot open file");
    head.resize(4096);
    f.read(head.data(), std::streamsize(head.size()));
    head.resize(size_t(f.gcount()));
  }
  if (zip::has_zip_signature(head)) {  // Keras 3 .keras
    auto cfg = zip::read_entry(path, "config.json", path, size_t(1) << 28);
    if (!cfg) throw Error(path, "a zip without config.json is not a Keras 3 .keras file");
    Model m = architecture(parse_json(*cfg, path, "config.json"), path);
    m.keras_major = 3;
    auto w = zip::read_entry(path, "model.weights.h5", path, size_t(1) << 30);
    if (!w) throw Error(path, "the .keras archive has no model.weights.h5");
    attach_keras3_weights(m, h5::File::from_memory(std::move(*w), path + ":model.weights.h5"));
    return m;
  }
  if (h5::has_hdf5_signature(head)) {  // Keras 2 (or Keras 3 legacy) full-model HDF5
    h5::File f = h5::File::open(path, path);
    if (!f.has_attr("/", "model_config"))
      throw Error(path, "HDF5 file without a 'model_config' attribute: a weights-only file is not a model "
                        "(give the architecture JSON and pass this file with --weights)");
    Model m = architecture(parse_json(f.attr_string("/", "model_config"), path, "model_config"), path);
    if (f.has_attr("/", "keras_version") && f.attr_string("/", "keras_version").starts_with("3")) m.keras_major = 3;
    attach_keras2_weights(m, f, f.is_group("model_weights") ? "model_weights" : "");
    return m;
  }
  if (!looks_like_keras_json(head)) throw Error(path, "not a Keras model (neither .keras zip, HDF5 nor Keras JSON)");
  Model m = architecture(parse_json(read_text(path), path, "the architecture"), path);
  std::string wp = weights.empty() ? default_weights_path(path) : weights;
  if (!fs::exists(wp))
    throw Error(path, "weights file '" + wp + "' not found (pass the weights HDF5 with --weights)");
  std::ifstream wf(wp, std::ios::binary);
  std::string whead(8, '\0');
  wf.read(whead.data(), 8);
  if (!h5::has_hdf5_signature(whead)) throw Error(wp, "the weights file is not HDF5");
  h5::File f = h5::File::open(wp, wp);
  attach_keras2_weights(m, f, f.is_group("model_weights") ? "model_weights" : "");
  return m;
}

}  // namespace nanogate::keras
