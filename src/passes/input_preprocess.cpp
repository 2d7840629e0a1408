// nanogate — host-side input preprocessing into the first Quant (passes.hpp).
#include <algorithm>

#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"
#include "passes/quant_type.hpp"

namespace nanogate {

namespace {
bool is_input_affine(const std::string& op) { return op == "Mul" || op == "Div" || op == "Add" || op == "Sub"; }
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
      if (c->op == "Quant") {
        if (c->inputs[0] == cur && quant_fixed_type(g, *c)) quant = c;
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
    iq.attrs["steps"] = steps;
    iq.attrs["const_first"] = const_first;
    iq.precision.result = quant_fixed_type(g, *quant);
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
