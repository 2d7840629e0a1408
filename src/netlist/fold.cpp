// nanogate — time-multiplexed convolutions: cutting the layer graph into
// parallel segments and folded kernels, their pipelining and their exact
// emulation (nanogate/netlist/fold.hpp).
#include "nanogate/netlist/fold.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "nanogate/error.hpp"
#include "nanogate/netlist/netlist_emulator.hpp"

namespace nanogate {

namespace {

/// The im2col Move feeding Dense `n`, when it carries a frame schedule.
const Node* im2col_of(const Graph& g, const Node& n) {
  if (n.op != "Dense" || n.inputs.empty()) return nullptr;
  const Node* m = g.producer(n.inputs[0]);
  return m && m->op == "Move" && m->has_attr("frame") ? m : nullptr;
}

/// A copy of `m` whose graph runs only `nodes`, from `inputs` to `outputs`.
Model sub_model(const Model& m, std::vector<Node> nodes, std::vector<std::string> inputs, std::vector<std::string> outputs) {
  Model s;
  s.source = m.source;
  s.config = m.config;
  s.graph = m.graph;
  s.graph.nodes = std::move(nodes);
  s.graph.inputs = std::move(inputs);
  s.graph.outputs = std::move(outputs);
  return s;
}

/// One position of a folded convolution: taps [K] (X's type) → the im2col
/// cast → the Dense → [M].
Model kernel_model(const Model& m, const Node& move, const Node& dense) {
  Model k = sub_model(m, {}, {}, {});
  Graph& g = k.graph;
  const Tensor& cols = m.graph.tensor(move.outputs.at(0));
  const Tensor& y = m.graph.tensor(dense.outputs.at(0));
  const int64_t K = cols.shape.back(), M = y.shape.back();
  const std::string taps = g.add_activation(dense.name + "_fold_taps", {K});
  const std::string row = g.add_activation(dense.name + "_fold_row", {K});
  const std::string out = g.add_activation(dense.name + "_fold_out", {M});
  for (const auto& [name, type] : {std::pair{taps, m.graph.tensor(move.inputs.at(0)).type}, {row, cols.type}, {out, y.type}}) {
    g.tensor(name).type = type;
    g.tensor(name).known_shape = true;
  }
  Node mv = move;
  for (const char* a : {"frame", "frame_lanes", "frame_taps", "frame_positions"}) mv.attrs.erase(a);
  std::vector<int64_t> id(static_cast<size_t>(K));
  std::iota(id.begin(), id.end(), 0);
  mv.attrs["map"] = id;
  mv.inputs = {taps};
  mv.outputs = {row};
  Node dn = dense;
  dn.inputs[0] = row;
  dn.outputs = {out};
  g.nodes = {mv, dn};
  g.inputs = {taps};
  g.outputs = {out};
  return k;
}

/// Reads the frame schedule of `move` and checks that it reproduces the
/// Move's map for the P×K rows of the Dense.
void read_schedule(const Model& m, const Node& move, FoldedConv& f) {
  auto fail = [&](const std::string& why) { throw Error(m.source, move.name, move.op, why); };
  const Tensor& cols = m.graph.tensor(move.outputs.at(0));
  if (cols.shape.size() != 2) fail("an im2col tensor is [positions, taps], not " + shape_str(cols.shape));
  const int64_t P = cols.shape[0], K = cols.shape[1];
  f.frame = move.attr_ints("frame", {});
  f.lanes = move.attr_int("frame_lanes", 0);
  f.taps = move.attr_ints("frame_taps", {});
  f.positions = move.attr_ints("frame_positions", {});
  const std::vector<int64_t> map = move.attr_ints("map", {});
  if (f.lanes < 1 || int64_t(f.taps.size()) != K || int64_t(f.positions.size()) != P || int64_t(map.size()) != P * K ||
      f.frame.size() % size_t(f.lanes) != 0)
    fail("its frame schedule does not match the im2col shape " + shape_str(cols.shape));
  for (int64_t p = 0; p < P; ++p) {
    if (p > 0 && f.positions[size_t(p)] <= f.positions[size_t(p - 1)]) fail("frame positions are not increasing");
    for (int64_t r = 0; r < K; ++r) {
      const int64_t e = f.positions[size_t(p)] * f.lanes + f.taps[size_t(r)];
      if (e < 0 || e >= int64_t(f.frame.size()) || f.frame[size_t(e)] != map[size_t(p * K + r)])
        fail("its frame schedule does not reproduce the im2col map at position " + std::to_string(p) + ", tap " +
             std::to_string(r) + " (the convolution cannot be time-multiplexed)");
    }
  }
}

}  // namespace

std::vector<std::string> folded_layers(const Model& model, int reuse_override) {
  std::vector<std::string> r;
  for (const Node& n : model.graph.nodes)
    if ((reuse_override > 0 ? reuse_override : n.reuse_factor) > 1 && im2col_of(model.graph, n)) r.push_back(n.name);
  return r;
}

FoldedDesign fold_to_netlists(const Model& model, const LowerOptions& options, const std::vector<std::string>& layers,
                              int parallel_override) {
  const Graph& g = model.graph;
  struct Cut {
    size_t move, dense;
  };
  std::vector<Cut> cuts;
  for (const std::string& name : layers) {
    auto it = std::find_if(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.name == name; });
    if (it == g.nodes.end()) throw Error(model.source, "no layer '" + name + "' to time-multiplex");
    const Node* mv = im2col_of(g, *it);
    if (!mv) throw Error(model.source, it->name, it->op, "is not the Dense of a convolution: it cannot be time-multiplexed");
    const size_t d = size_t(it - g.nodes.begin()), m = size_t(mv - g.nodes.data());
    if (m + 1 != d || g.consumers(mv->outputs[0]).size() != 1 || mv->inputs.size() != 1)
      throw Error(model.source, it->name, it->op, "its im2col rows are read elsewhere: it cannot be time-multiplexed");
    cuts.push_back({m, d});
  }
  std::sort(cuts.begin(), cuts.end(), [](const Cut& a, const Cut& b) { return a.dense < b.dense; });

  FoldedDesign d;
  // Segment s runs nodes [begin_s, end_s): from the graph's start (or the
  // previous fold's Dense + 1) to the next fold's Move (or the end).
  std::vector<std::string> seg_in = g.inputs;
  size_t begin = 0;
  for (size_t s = 0; s <= cuts.size(); ++s) {
    const size_t end = s < cuts.size() ? cuts[s].move : g.nodes.size();
    std::set<std::string> allowed(seg_in.begin(), seg_in.end());
    std::vector<Node> nodes;
    for (size_t i = begin; i < end; ++i) {
      const Node& n = g.nodes[i];
      for (const std::string& t : n.inputs)
        if (!t.empty() && !g.tensor(t).is_const && !allowed.count(t))
          throw Error(model.source, n.name, n.op,
                      "reads '" + t + "' across a time-multiplexed convolution (only chains of layers can be folded)");
      for (const std::string& t : n.outputs) allowed.insert(t);
      nodes.push_back(n);
    }
    std::vector<std::string> outs;
    if (s < cuts.size()) {
      const Node& mv = g.nodes[cuts[s].move];
      if (!allowed.count(mv.inputs[0]))
        throw Error(model.source, mv.name, mv.op, "reads '" + mv.inputs[0] + "' across a time-multiplexed convolution");
      outs = {mv.inputs[0]};
    } else {
      for (const std::string& t : g.outputs)
        if (!allowed.count(t))
          throw Error(model.source, "graph output '" + t + "' is computed before a time-multiplexed convolution");
      outs = g.outputs;
    }
    LowerOptions lo = options;
    if (s < cuts.size()) lo.strip_final_softmax = false;
    d.segments.push_back(lower_to_netlist(sub_model(model, std::move(nodes), seg_in, outs), lo));
    if (s == cuts.size()) break;
    const Node& mv = g.nodes[cuts[s].move];
    const Node& dn = g.nodes[cuts[s].dense];
    FoldedConv f;
    f.layer = dn.name;
    read_schedule(model, mv, f);
    f.parallel = int(std::clamp<int64_t>(parallel_override > 0 ? parallel_override : dn.parallelization_factor, 1,
                                         int64_t(f.positions.size())));
    LowerOptions lk = options;
    lk.strip_final_softmax = false;
    f.kernel = lower_to_netlist(kernel_model(model, mv, dn), lk);
    d.folds.push_back(std::move(f));
    seg_in = {dn.outputs.at(0)};
    begin = cuts[s].dense + 1;
  }
  return d;
}

PipelineResult pipeline_folded(FoldedDesign& d, const DelayModel& model, double clock_period_ns, bool register_ports) {
  PipelineResult total;
  total.clock_period_ns = clock_period_ns;
  auto add = [&](const PipelineResult& r) {
    total.latency_cycles += r.latency_cycles;
    total.max_stage_delay_ns = std::max(total.max_stage_delay_ns, r.max_stage_delay_ns);
    total.stage_delay_ns.insert(total.stage_delay_ns.end(), r.stage_delay_ns.begin(), r.stage_delay_ns.end());
    total.register_bits += r.register_bits;
    total.met = total.met && r.met;
  };
  d.initiation_interval = 1;
  for (size_t s = 0; s < d.segments.size(); ++s) {
    add(pipeline_netlist(d.segments[s], model, clock_period_ns,
                         register_ports && (s == 0 || s + 1 == d.segments.size())));
    if (s == d.folds.size()) break;
    FoldedConv& f = d.folds[s];
    add(pipeline_netlist(f.kernel, model, clock_period_ns, false));
    total.latency_cycles += int(f.cycles()) + 1;  // the shifts, then the capture register
    d.initiation_interval = std::max(d.initiation_interval, int(f.cycles()));
  }
  d.latency = total.latency_cycles;
  total.latency_ns = clock_period_ns > 0 ? total.latency_cycles * clock_period_ns : total.max_stage_delay_ns;
  return total;
}

int64_t folded_register_bits(const FoldedDesign& d) {
  int64_t bits = 0;
  for (const FoldedConv& f : d.folds) {
    const int64_t P = int64_t(f.positions.size()), M = int64_t(f.kernel.outputs.at(0).values.size());
    bits += (int64_t(f.frame.size()) + f.parallel * f.lanes) * f.kernel.inputs.at(0).type.width +
            P * M * f.kernel.outputs.at(0).type.width;
    for (int64_t v : {f.cycles(), P}) bits += 64 - __builtin_clzll(uint64_t(std::max<int64_t>(v, 1)));  // counters
  }
  return bits;
}

std::vector<int64_t> emulate_folded(const FoldedDesign& d, const int64_t* raw, int64_t rows) {
  std::vector<int64_t> cur(raw, raw + rows * NetlistEmulator(d.segments.at(0)).input_size());
  for (size_t s = 0; s < d.segments.size(); ++s) {
    std::vector<int64_t> x = NetlistEmulator(d.segments[s]).run(cur.data(), rows);
    if (s == d.folds.size()) return x;
    const FoldedConv& f = d.folds[s];
    const int64_t nx = int64_t(x.size()) / std::max<int64_t>(rows, 1), P = int64_t(f.positions.size());
    const int64_t K = int64_t(f.taps.size());
    std::vector<int64_t> win(size_t(rows * P * K));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t k = 0; k < K; ++k) {
          const int64_t src = f.frame[size_t(f.positions[size_t(p)] * f.lanes + f.taps[size_t(k)])];
          win[size_t((r * P + p) * K + k)] = src < 0 ? 0 : x[size_t(r * nx + src)];
        }
    cur = NetlistEmulator(f.kernel).run(win.data(), rows * P);  // rows × (P·M), element p·M + m
  }
  return cur;
}

}  // namespace nanogate
