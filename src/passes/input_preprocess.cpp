// nanogate — host-side input preprocessing into the first Quant (passes.hpp).
#include <algorithm>
#include <cmath>
#include <optional>

#include "emulate/layer_tables.hpp"
#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"
#include "passes/quant_type.hpp"

namespace nanogate {

namespace {
bool is_input_affine(const std::string& op) { return op == "Mul" || op == "Div" || op == "Add" || op == "Sub"; }

/// How the host computes a first quantizer: its last float32 steps (after
/// the preprocessing chain), the firmware port type, and the dequantization
/// of the codes (empty when the port type holds the model value).
struct HostQuant {
  std::vector<std::pair<std::string, std::string>> steps;  // op, constant operand
  Fixed type;
  std::vector<double> dq_scale, dq_offset;  // per element of the Quant's output
};

/// A Quant with an exact type is a cast; one with a positive float scale
/// (per tensor or per element) and an integer zero point is x/s + z in
/// float32 (as qonnx computes it), then a cast to the integer code type with
/// the Quant's rounding and saturation; a BipolarQuant (or 1-bit signed
/// Quant) is the sign. nullopt: not computable on the host exactly.
std::optional<HostQuant> host_quant(Graph& g, const Node& q) {
  HostQuant h;
  if (q.op == "Quant") {
    if (auto t = quant_fixed_type(g, q)) {
      h.type = *t;
      return h;
    }
  }
  if (q.inputs.size() < 2 || !g.tensor(q.inputs[1]).is_const) return std::nullopt;
  const Tensor& x = g.tensor(q.inputs[0]);
  const Tensor& s = g.tensor(q.inputs[1]);
  std::vector<double> scale;
  for (int64_t m : broadcast_map(s.shape.size() > x.shape.size() ? Shape(s.shape.begin() + 1, s.shape.end()) : s.shape,
                                 x.shape)) {
    double v = s.values.at(size_t(m));
    if (!(v > 0) || !std::isfinite(v)) return std::nullopt;
    scale.push_back(v);
  }
  bool bipolar = q.op == "BipolarQuant";
  double zero = 0;
  if (!bipolar) {
    if (q.inputs.size() < 4 || !g.tensor(q.inputs[2]).is_const || !g.tensor(q.inputs[3]).is_const) return std::nullopt;
    const auto& z = g.tensor(q.inputs[2]).values;
    const auto& b = g.tensor(q.inputs[3]).values;
    if (z.size() != 1 || z[0] != std::floor(z[0]) || b.size() != 1) return std::nullopt;
    zero = z[0];
    bipolar = q.attr_int("signed", 1) != 0 && b[0] == 1;
    if (bipolar && zero != 0) return std::nullopt;
    if (!bipolar) {
      // The code cast: the same Quant on the integer grid (scale 1, zero point 0).
      Node unit = q;
      auto scalar = [&](const std::string& name, double v) {  // made once, also when asked twice
        return g.has_tensor(name) ? name : g.add_constant(name, {}, {v});
      };
      unit.inputs[1] = scalar(q.name + "_unit_scale", 1.0);
      unit.inputs[2] = scalar(q.name + "_unit_zero", 0.0);
      auto t = quant_fixed_type(g, unit);
      if (!t) return std::nullopt;
      h.type = *t;
      h.steps.push_back({"Div", q.inputs[1]});
      if (zero != 0) h.steps.push_back({"Add", q.inputs[2]});
    }
  }
  if (bipolar) {
    h.type = Fixed{true, 2, 2, Rounding::TRN, Overflow::WRAP};
    h.steps.push_back({"Sign", ""});
  }
  h.dq_scale = scale;
  for (double v : scale) h.dq_offset.push_back(-zero * v);
  return h;
}
}  // namespace

void fold_input_preprocessing(Graph& g, const Config& cfg) {
  for (const std::string& in : g.inputs) {
    // Follow the single-consumer chain of elementwise-with-constant ops.
    std::vector<const Node*> chain;
    std::vector<std::string> chain_in;  // the activation operand of each step
    std::string cur = in;
    std::vector<const Node*> relabels;
    bool reshaped = false;
    const Node* quant = nullptr;
    while (true) {
      auto cons = g.consumers(cur);
      if (cons.size() != 1) break;
      const Node* c = cons[0];
      if ((c->op == "Quant" || c->op == "BipolarQuant") && c->inputs[0] == cur) {
        if (host_quant(g, *c)) quant = c;
        break;
      }
      if ((c->op == "Reshape" || c->op == "Flatten") && c->inputs[0] == cur) {  // pure relabels of the same values
        reshaped = true;
        cur = c->outputs[0];
        relabels.push_back(c);
        continue;
      }
      if (!is_input_affine(c->op) || c->inputs.size() != 2) break;
      const std::string& other = c->inputs[0] == cur ? c->inputs[1] : c->inputs[0];
      if (!g.tensor(other).is_const || std::find(g.outputs.begin(), g.outputs.end(), c->outputs[0]) != g.outputs.end())
        break;
      chain.push_back(c);
      chain_in.push_back(cur);
      cur = c->outputs[0];
    }
    if (!quant || cfg.by_name.count(in)) continue;
    for (const Node* c : chain)
      if (cfg.by_name.count(c->name)) quant = nullptr;
    if (!quant) continue;
    if (reshaped)  // constants broadcast against a reshaped tensor: only scalars keep their meaning
      for (const Node* c : chain)
        for (auto& i : c->inputs)
          if (g.tensor(i).is_const && g.tensor(i).size() != 1) quant = nullptr;
    if (!quant) continue;
    Node iq;
    iq.name = quant->name;
    iq.op = "InputQuant";
    iq.inputs = {in};
    iq.outputs = quant->outputs;
    std::vector<int64_t> const_first;
    std::string steps;
    for (size_t k = 0; k < chain.size(); ++k) {
      const Node* c = chain[k];
      bool first = c->inputs[0] != chain_in[k];
      steps += (steps.empty() ? "" : ",") + c->op;
      const_first.push_back(first ? 1 : 0);
      iq.inputs.push_back(first ? c->inputs[0] : c->inputs[1]);
    }
    HostQuant hq = *host_quant(g, *quant);
    for (auto& [op, c] : hq.steps) {
      steps += (steps.empty() ? "" : ",") + op;
      const_first.push_back(0);
      iq.inputs.push_back(c.empty() ? g.add_constant(quant->name + "_sign", {}, {0.0}) : c);
    }
    iq.attrs["steps"] = steps;
    iq.attrs["const_first"] = const_first;
    iq.precision.result = hq.type;
    if (!hq.dq_scale.empty()) {
      g.tensor(quant->outputs[0]).dequant_scale = hq.dq_scale;
      g.tensor(quant->outputs[0]).dequant_offset = hq.dq_offset;
    }
    // Replace the chain and the Quant by the InputQuant at the Quant's place.
    std::vector<std::string> removed;
    for (const Node* c : chain) removed.push_back(c->name);
    for (const Node* c : relabels) removed.push_back(c->name);
    removed.push_back(quant->name);
    std::vector<Node> nodes;
    for (auto& n : g.nodes) {
      if (n.name == quant->name) nodes.push_back(iq);
      else if (std::find(removed.begin(), removed.end(), n.name) == removed.end()) nodes.push_back(n);
    }
    g.nodes = std::move(nodes);
  }
}

}  // namespace nanogate
