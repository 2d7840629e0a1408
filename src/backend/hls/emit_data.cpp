// nanogate HLS backend — data movement (Move: reshape, transpose, gather,
// concat, im2col, padding), ReduceSum and ReduceMax.
#include <algorithm>

#include "backend/hls/layer_emitter.hpp"
#include "emulate/layer_tables.hpp"
#include "backend/hls/types.hpp"

namespace nanogate::hls {

namespace {

/// A run of copies y[dst + t] = src[from + t * stride], t = 0..count-1.
struct Run {
  size_t src = 0;
  int64_t dst = 0, from = 0, stride = 1, count = 1;
};

/// More runs of copies than this: the Move is emitted as an index table and one loop.
constexpr size_t kMaxRuns = 32;

void emit_move(LayerCtx& c) {
  const Node& n = c.node;
  auto map = n.attr_ints("map", {});
  std::vector<int64_t> starts;
  int64_t offset = 0;
  for (auto& i : n.inputs) {
    starts.push_back(offset);
    offset += c.graph.tensor(i).size();
  }
  std::vector<Run> runs;
  const size_t kZero = SIZE_MAX;  // Run::src of zeros (map entry -1: padding)
  for (int64_t i = 0; i < int64_t(map.size()); ++i) {
    size_t k = map[size_t(i)] < 0 ? kZero
                                  : size_t(std::upper_bound(starts.begin(), starts.end(), map[size_t(i)]) - starts.begin()) - 1;
    int64_t m = k == kZero ? 0 : map[size_t(i)] - starts[k];
    if (k == kZero) {
      if (!runs.empty() && runs.back().src == kZero && runs.back().dst + runs.back().count == i) ++runs.back().count;
      else runs.push_back({kZero, i, 0, 0, 1});
      continue;
    }
    if (!runs.empty()) {
      Run& r = runs.back();
      if (r.src == k && r.dst + r.count == i) {
        if (r.count == 1) {
          r.stride = m - r.from;
          r.count = 2;
          continue;
        }
        if (m == r.from + r.count * r.stride) {
          ++r.count;
          continue;
        }
      }
    }
    runs.push_back({k, i, m, 1, 1});
  }
  if (runs.size() > kMaxRuns && n.inputs.size() == 1) {  // im2col, pooling windows: an index table
    std::vector<std::string> v;
    for (int64_t m : map) v.push_back(std::to_string(m));
    const std::string tab = c.id + "_src";
    c.weights.comment("Move '" + n.name + "': the input element of every output element (-1: zero)");
    c.weights.const_array("int", tab, v);
    c.body.comment("Move (im2col / windows / padding): y[i] = (result)x[" + tab + "[i]], 0 where it is -1");
    c.body.open_for("Element", "i", int64_t(map.size()));
    c.body.pragma("UNROLL");
    const std::string& src = c.inputs.at(0).var;
    c.body.line(at(c.output.var, "i") + " = " + at(tab, "i") + " < 0 ? " + cast(c.output.ctype, "0") + " : " +
                cast(c.output.ctype, at(src, at(tab, "i"))) + ";");
    c.body.close();
    return;
  }
  c.body.comment("Move (reshape / transpose / gather / concat / im2col / padding): y[i] = (result)input[index] or 0, " +
                 std::to_string(runs.size()) + " run(s) of copies");
  for (const Run& r : runs) {
    if (r.src == kZero) {
      std::string di = r.dst == 0 ? "t" : std::to_string(r.dst) + " + t";
      if (r.count == 1) {
        c.body.line(at(c.output.var, r.dst) + " = 0;");
        continue;
      }
      c.body.open_for("", "t", r.count);
      c.body.pragma("UNROLL");
      c.body.line(at(c.output.var, di) + " = 0;");
      c.body.close();
      continue;
    }
    const std::string& src = c.inputs.at(r.src).var;
    if (r.count == 1) {
      c.body.line(at(c.output.var, r.dst) + " = " + cast(c.output.ctype, at(src, r.from)) + ";");
      continue;
    }
    c.body.open_for("", "t", r.count);
    c.body.pragma("UNROLL");
    std::string si = std::to_string(r.from) + (r.stride == 1 ? " + t" : " + t * " + std::to_string(r.stride));
    if (r.from == 0 && r.stride == 1) si = "t";
    std::string di = r.dst == 0 ? "t" : std::to_string(r.dst) + " + t";
    c.body.line(at(c.output.var, di) + " = " + cast(c.output.ctype, at(src, si)) + ";");
    c.body.close();
  }
}

/// The terms of every output of a ReduceSum / ReduceMax, the layer emulator's grouping.
std::vector<std::vector<int64_t>> reduce_terms(LayerCtx& c) {
  const ReduceGroups rg = reduce_groups(c.node, c.inputs.at(0).shape, c.source);
  int64_t no = int64_t(rg.start.size()) - 1;
  std::vector<std::vector<int64_t>> groups{size_t(no)};
  for (int64_t o = 0; o < no; ++o)
    groups[size_t(o)].assign(rg.map.begin() + rg.start[size_t(o)], rg.map.begin() + rg.start[size_t(o) + 1]);
  return groups;
}

/// Many equal-length groups (pooling windows): a term table `<id>_terms`
/// [outputs × length] in the weights header; returns its name, or "" when
/// the groups are few or of different lengths.
std::string term_table(LayerCtx& c, const std::vector<std::vector<int64_t>>& groups) {
  if (groups.size() <= 8) return "";
  for (auto& gr : groups)
    if (gr.size() != groups[0].size() || gr.empty()) return "";
  std::vector<std::string> v;
  for (auto& gr : groups)
    for (int64_t i : gr) v.push_back(std::to_string(i));
  const std::string tab = c.id + "_terms";
  c.weights.comment(c.node.op + " '" + c.node.name + "': the input elements of every output, " +
                    std::to_string(groups[0].size()) + " per output");
  c.weights.const_array("int", tab, v);
  return tab;
}

void emit_reduce_max(LayerCtx& c) {
  const ArrayArg& x = c.inputs.at(0);
  const auto groups = reduce_terms(c);
  c.body.comment("ReduceMax (pooling): the maximum of the terms (exact in the input type), cast to the result");
  if (const std::string tab = term_table(c, groups); !tab.empty()) {
    const std::string len = std::to_string(groups[0].size());
    c.body.open_for("Output", "o", int64_t(groups.size()));
    c.body.pragma("UNROLL");
    c.body.line(x.ctype + " m = " + at(x.var, at(tab, "o * " + len)) + ";");
    c.body.open_for("Term", "k", int64_t(groups[0].size()));
    c.body.pragma("UNROLL");
    c.body.line("if (" + at(x.var, at(tab, "o * " + len + " + k")) + " > m) m = " + at(x.var, at(tab, "o * " + len + " + k")) + ";");
    c.body.close();
    c.body.line(at(c.output.var, "o") + " = " + cast(c.output.ctype, "m") + ";");
    c.body.close();
    return;
  }
  for (size_t o = 0; o < groups.size(); ++o) {
    const auto& gr = groups[o];
    c.body.open("");
    c.body.line(x.ctype + " m = " + at(x.var, gr.at(0)) + ";");
    for (size_t k = 1; k < gr.size(); ++k)
      c.body.line("if (" + at(x.var, gr[k]) + " > m) m = " + at(x.var, gr[k]) + ";");
    c.body.line(at(c.output.var, int64_t(o)) + " = " + cast(c.output.ctype, "m") + ";");
    c.body.close();
  }
}

void emit_reduce_sum(LayerCtx& c) {
  const Node& n = c.node;
  const ArrayArg& x = c.inputs.at(0);
  const auto groups = reduce_terms(c);
  const int64_t no = int64_t(groups.size());
  Fixed ta = *n.precision.accum;
  std::string acc_t = c.typedef_for("accum", ta);
  c.body.comment("ReduceSum: every term cast to accum " + describe(ta) + ", summed in order in accum, cast to the result");
  if (const std::string tab = term_table(c, groups); !tab.empty()) {
    const std::string len = std::to_string(groups[0].size());
    c.body.open_for("Output", "o", no);
    c.body.pragma("UNROLL");
    c.body.line(acc_t + " acc = " + cast(acc_t, "0") + ";");
    c.body.open_for("Term", "k", int64_t(groups[0].size()));
    c.body.pragma("UNROLL");
    c.body.line("acc = acc + " + cast(acc_t, at(x.var, at(tab, "o * " + len + " + k"))) + ";");
    c.body.close();
    c.body.line(at(c.output.var, "o") + " = " + cast(c.output.ctype, "acc") + ";");
    c.body.close();
    return;
  }
  for (int64_t o = 0; o < no; ++o) {
    const auto& gr = groups[size_t(o)];
    c.body.open("");
    c.body.line(acc_t + " acc = " + cast(acc_t, "0") + ";");
    int64_t stride = gr.size() > 1 ? gr[1] - gr[0] : 1;
    bool progression = true;
    for (size_t k = 1; k < gr.size(); ++k) progression &= gr[k] - gr[k - 1] == stride;
    if (progression && gr.size() > 1) {
      c.body.open_for("Term", "k", int64_t(gr.size()));
      c.body.pragma("UNROLL");
      std::string idx = (gr[0] ? std::to_string(gr[0]) + " + " : "") + (stride == 1 ? "k" : "k * " + std::to_string(stride));
      c.body.line("acc = acc + " + cast(acc_t, at(x.var, idx)) + ";");
      c.body.close();
    } else {
      for (int64_t i : gr) c.body.line("acc = acc + " + cast(acc_t, at(x.var, i)) + ";");
    }
    c.body.line(at(c.output.var, o) + " = " + cast(c.output.ctype, "acc") + ";");
    c.body.close();
  }
}

}  // namespace

void emit_data(LayerCtx& c) {
  if (c.node.op == "Move") return emit_move(c);
  if (c.node.op == "ReduceSum") return emit_reduce_sum(c);
  if (c.node.op == "ReduceMax") return emit_reduce_max(c);
  c.fail("no HLS emitter for op '" + c.node.op + "'");
}

}  // namespace nanogate::hls
