// nanogate — per-layer summary of a compiled model (include/nanogate/inspect.hpp).
#include "nanogate/inspect.hpp"

#include "nanogate/passes/passes.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace nanogate {

namespace {
std::string ty(const std::optional<Fixed>& t) { return t ? t->str() : "-"; }
}  // namespace

std::vector<LayerRow> inspect_rows(const Model& m) {
  const Graph& g = m.graph;
  std::vector<LayerRow> rows;
  for (auto& in : g.inputs) {
    const Tensor& t = g.tensor(in);
    LayerRow r;
    r.name = in;
    r.op = "Input";
    r.inputs = "-";
    r.output = shape_str(t.shape);
    r.weight = r.bias = r.accum = "-";
    r.result = t.type ? t.type->str() : "float (host preprocessing)";
    r.exact = g.quantized ? "exact" : "-";
    rows.push_back(r);
  }
  for (const Node& n : g.nodes) {
    LayerRow r;
    r.name = n.name;
    r.op = n.op;
    for (auto& i : n.inputs) {
      if (i.empty()) continue;
      const Tensor& t = g.tensor(i);
      if (t.is_const && n.op != "Add" && n.op != "Sub" && n.op != "Mul") continue;
      r.inputs += std::string(r.inputs.empty() ? "" : " ") + (t.is_const ? "const" : "") + shape_str(t.shape);
    }
    r.output = shape_str(g.tensor(n.outputs.at(0)).shape);
    r.weight = ty(n.precision.weight);
    r.bias = ty(n.precision.bias);
    r.accum = ty(n.precision.accum);
    r.result = ty(n.precision.result);
    r.reuse_factor = n.reuse_factor;
    r.strategy = n.strategy;
    r.exact = exactness_str(n);
    r.exact_note = n.exactness_note;
    if (n.op == "Dense") {
      const Tensor& W = g.tensor(n.inputs[1]);
      int64_t zeros = 0;
      for (double v : W.values) zeros += quantize(v, *n.precision.weight) == 0;
      r.params = W.size() + (n.inputs.size() > 2 ? g.tensor(n.inputs[2]).size() : 0);
      r.zero_fraction = W.size() ? double(zeros) / double(W.size()) : 0;
    } else {
      for (auto& i : n.inputs)
        if (!i.empty() && g.tensor(i).is_const && n.op != "InputQuant") r.params += g.tensor(i).size();
    }
    rows.push_back(r);
  }
  return rows;
}

std::string format_inspect(const Model& m) {
  auto rows = inspect_rows(m);
  std::vector<std::vector<std::string>> cells = {
      {"layer", "op", "input", "output", "weight", "bias", "accum", "result", "params", "zeros", "exact"}};
  int64_t total = 0;
  for (auto& r : rows) {
    char z[16];
    std::snprintf(z, sizeof z, "%.1f%%", 100.0 * r.zero_fraction);
    cells.push_back({r.name, r.op, r.inputs, r.output, r.weight, r.bias, r.accum, r.result,
                     std::to_string(r.params), r.op == "Dense" ? z : "-", r.exact});
    total += r.params;
  }
  std::vector<size_t> w(cells[0].size(), 0);
  for (auto& row : cells)
    for (size_t c = 0; c < row.size(); ++c) w[c] = std::max(w[c], row[c].size());
  std::ostringstream os;
  os << m.source << (m.graph.quantized ? "  (quantized model: every layer's exactness in the last column)" : "  (float model: hls4ml-style types)") << "\n";
  for (auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) {
      os << row[c];
      if (c + 1 < row.size()) os << std::string(w[c] - row[c].size() + 2, ' ');
    }
    os << "\n";
  }
  os << "total parameters: " << total << "\n";
  for (auto& r : rows)
    if (!r.exact_note.empty()) os << r.exact << ": " << r.name << ": " << r.exact_note << "\n";
  const Graph& g = m.graph;
  for (const Node& n : g.nodes)
    for (auto& o : n.outputs) {
      const Tensor& t = g.tensor(o);
      if (t.dequant_scale.empty()) continue;
      bool uniform = std::all_of(t.dequant_scale.begin(), t.dequant_scale.end(),
                                 [&](double v) { return v == t.dequant_scale[0]; }) &&
                     std::all_of(t.dequant_offset.begin(), t.dequant_offset.end(), [](double v) { return v == 0; });
      std::ostringstream d;
      d.precision(9);
      if (uniform) d << "value x " << t.dequant_scale[0];
      else d << "value x scale[k] + offset[k] (" << t.dequant_scale.size() << " per-element constants)";
      bool is_out = std::find(g.outputs.begin(), g.outputs.end(), o) != g.outputs.end();
      os << (is_out ? "output '" : "codes '") << o << "' = " << d.str()
         << (is_out ? " (host-side; report.json ports.outputs[].dequant)" : " (float-scale quantizer codes)") << "\n";
    }
  return os.str();
}

}  // namespace nanogate
