// nanogate — per-layer summary of a compiled model (include/nanogate/inspect.hpp).
#include "nanogate/inspect.hpp"

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
      {"layer", "op", "input", "output", "weight", "bias", "accum", "result", "params", "zeros"}};
  int64_t total = 0;
  for (auto& r : rows) {
    char z[16];
    std::snprintf(z, sizeof z, "%.1f%%", 100.0 * r.zero_fraction);
    cells.push_back({r.name, r.op, r.inputs, r.output, r.weight, r.bias, r.accum, r.result,
                     std::to_string(r.params), r.op == "Dense" ? z : "-"});
    total += r.params;
  }
  std::vector<size_t> w(cells[0].size(), 0);
  for (auto& row : cells)
    for (size_t c = 0; c < row.size(); ++c) w[c] = std::max(w[c], row[c].size());
  std::ostringstream os;
  os << m.source << (m.graph.quantized ? "  (quantized: exact fixed-point quantizers)" : "  (float model)") << "\n";
  for (auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) {
      os << row[c];
      if (c + 1 < row.size()) os << std::string(w[c] - row[c].size() + 2, ' ');
    }
    os << "\n";
  }
  os << "total parameters: " << total << "\n";
  return os.str();
}

}  // namespace nanogate
