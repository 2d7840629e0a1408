// nanogate — shape inference and constant folding (passes.hpp).
#include <algorithm>
#include <cmath>
#include <set>

#include "emulate/float_ops.hpp"
#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"
#include "emulate/layer_tables.hpp"
#include "passes/interval.hpp"
#include "passes/quant_type.hpp"

namespace nanogate {

namespace {

bool is_data_movement(const std::string& op) {
  return op == "Transpose" || op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" ||
         op == "Identity" || op == "Gather";
}

/// Removes nodes whose outputs reach no graph output.
void remove_dead_nodes(Graph& g) {
  std::set<std::string> live(g.outputs.begin(), g.outputs.end());
  std::vector<Node> kept;
  for (auto it = g.nodes.rbegin(); it != g.nodes.rend(); ++it) {
    bool used = false;
    for (auto& o : it->outputs) used |= live.count(o) != 0;
    if (!used) continue;
    for (auto& i : it->inputs)
      if (!i.empty()) live.insert(i);
    kept.push_back(*it);
  }
  g.nodes.assign(kept.rbegin(), kept.rend());
  for (auto it = g.tensors.begin(); it != g.tensors.end();) {
    bool is_input = std::find(g.inputs.begin(), g.inputs.end(), it->first) != g.inputs.end();
    if (!live.count(it->first) && !is_input) it = g.tensors.erase(it);
    else ++it;
  }
}

/// A constant quantized by a Quant/BipolarQuant without one exact fixed-point
/// type (a float or per-channel scale, a zero point, 1-bit bipolar codes):
/// its integer codes values/scale get their exact type and the per-element
/// scale is kept (Tensor::code_scale). Scales that are not positive and
/// finite leave the constant a plain float one.
void set_code_type(Graph& g, const Node& n, Tensor& out) {
  const Tensor& s = g.tensor(n.inputs.at(1));
  auto map = broadcast_map(s.shape, out.shape);
  std::vector<double> scale(map.size()), codes(map.size());
  for (size_t i = 0; i < map.size(); ++i) {
    double sc = s.values.at(size_t(map[i]));
    if (!(sc > 0) || !std::isfinite(sc)) return;
    scale[i] = sc;
    codes[i] = std::nearbyint(out.values[i] / sc);
  }
  if (auto t = exact_type_of_values(codes, 32)) {
    out.type = *t;
    out.code_scale = std::move(scale);
  }
}

}  // namespace

void fold_constants(Graph& g) {
  std::vector<Node> kept;
  for (auto& n : g.nodes) {
    bool all_const = true;
    for (auto& i : n.inputs)
      if (!i.empty() && !g.tensor(i).is_const) all_const = false;

    if (n.op == "Shape" && !all_const) {  // per-event shape with the symbolic batch in front
      Tensor& out = g.tensor(n.outputs.at(0));
      const Tensor& in = g.tensor(n.inputs.at(0));
      out.is_const = true;
      out.known_shape = true;
      out.values = {kBatchDim};
      for (auto d : in.shape) out.values.push_back(double(d));
      int64_t start = n.attr_int("start", 0), end = n.attr_int("end", int64_t(out.values.size()));
      int64_t r = int64_t(out.values.size());
      if (start < 0) start += r;
      if (end < 0) end += r;
      start = std::clamp<int64_t>(start, 0, r);
      end = std::clamp<int64_t>(end, start, r);
      out.values = std::vector<double>(out.values.begin() + start, out.values.begin() + end);
      out.shape = {int64_t(out.values.size())};
      continue;
    }

    std::vector<FArray> arrays;
    std::vector<FArg> args;
    arrays.reserve(n.inputs.size());
    for (auto& i : n.inputs) {
      if (i.empty()) {
        arrays.push_back({});
        continue;
      }
      const Tensor& t = g.tensor(i);
      if (!t.known_shape) throw Error(g.source, n.name, n.op, "input '" + i + "' has no known shape");
      FArray a{t.shape, t.is_const ? t.values : std::vector<double>(size_t(t.size()), 0.0)};
      arrays.push_back(std::move(a));
    }
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (n.inputs[k].empty()) args.push_back({nullptr, false});
      else args.push_back({&arrays[k], !g.tensor(n.inputs[k]).is_const});
    }
    std::vector<FArray> outs = eval_float(n, args, g.source);
    for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k) {
      Tensor& t = g.tensor(n.outputs[k]);
      t.shape = outs[k].shape;
      t.known_shape = true;
      if (all_const) {
        t.is_const = true;
        t.values = std::move(outs[k].v);
      }
    }
    if (all_const) {
      Tensor& out = g.tensor(n.outputs[0]);
      if (n.op == "Quant" || n.op == "BipolarQuant") {  // a quantized constant (weights, biases) keeps its exact type
        std::optional<Fixed> ft = n.op == "Quant" ? quant_fixed_type(g, n) : std::nullopt;
        if (ft) out.type = *ft;
        else set_code_type(g, n, out);
      } else if (is_data_movement(n.op) && !n.inputs.empty() && g.tensor(n.inputs[0]).type) {
        const Tensor& in = g.tensor(n.inputs[0]);  // e.g. Transpose of quantized weights
        out.type = in.type;
        if (!in.code_scale.empty()) {  // the scales move with their codes
          std::vector<FArg> sargs = args;
          FArray sa{in.shape, in.code_scale};
          sargs[0] = FArg{&sa, false};
          out.code_scale = eval_float(n, sargs, g.source)[0].v;
        }
      }
      continue;
    }
    kept.push_back(std::move(n));
  }
  g.nodes = std::move(kept);
  remove_dead_nodes(g);
  for (auto& o : g.outputs)
    if (g.tensor(o).is_const) throw Error(g.source, "graph output '" + o + "' is a constant: nothing to compute");
}

}  // namespace nanogate
