// nanogate HLS backend — the io_stream plan (stream_plan.hpp).
#include "backend/hls/stream_plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "emulate/float_ops.hpp"
#include "emulate/layer_tables.hpp"
#include "nanogate/error.hpp"

namespace nanogate::hls {

std::vector<int64_t> StreamLayout::order() const {
  std::vector<int64_t> o(slot.size());
  for (size_t i = 0; i < slot.size(); ++i) o[size_t(slot[i])] = int64_t(i);
  return o;
}

namespace {

/// Most tokens per event a FIFO may carry (the schedule is simulated per token).
constexpr int64_t kMaxTokens = int64_t(1) << 24;

/// Element-wise ops whose per-pixel form is the same op on the token.
const std::set<std::string>& elementwise_ops() {
  static const std::set<std::string> s = {"Relu", "LeakyRelu", "Cast", "BipolarQuant", "Add", "Sub",
                                          "Mul",  "BatchNorm", "Threshold", "Sigmoid"};
  return s;
}

/// Token t = row t of a row-major [n / k, k] tensor.
StreamLayout rows(int64_t n, int64_t k) {
  StreamLayout l;
  l.lanes = std::max<int64_t>(k, 1);
  l.pixels = n / l.lanes;
  l.slot.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) l.slot[size_t(i)] = i;
  return l;
}

/// [C, S..]: one token per position of S, the C channels as lanes.
StreamLayout channels_first(const Shape& s) {
  const int64_t n = num_elements(s);
  if (s.size() < 2 || s[0] == 0) return rows(n, n);
  const int64_t c = s[0], p = n / c;
  StreamLayout l{p, c, std::vector<int64_t>(size_t(n))};
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t q = 0; q < p; ++q) l.slot[size_t(ch * p + q)] = q * c + ch;
  return l;
}

/// [C, O.., T] (pooling windows): one token per position of O, lanes (channel, tap).
StreamLayout windows_layout(const Shape& s) {
  const int64_t n = num_elements(s), c = s.front(), t = s.back(), p = n / std::max<int64_t>(c * t, 1);
  StreamLayout l{p, c * t, std::vector<int64_t>(size_t(n))};
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t q = 0; q < p; ++q)
      for (int64_t k = 0; k < t; ++k) l.slot[size_t((ch * p + q) * t + k)] = q * c * t + ch * t + k;
  return l;
}

struct Located {
  int fifo = -1;
  StreamLayout layout;
};

class Planner {
 public:
  Planner(const Model& m, StreamPlan& p) : g_(m.graph), ref_(m.reference), src_(m.source), plan_(p) {}

  void run(const std::vector<FirmwarePort>& inputs) {
    for (const FirmwarePort& port : inputs) {
      const Shape& s = g_.tensor(port.tensor).shape;
      StreamLayout l = channels_last_input(port.tensor) ? rows(port.size, s.empty() ? port.size : s.back())
                                                        : channels_first(s);
      const int f = fifo(port.tensor, port.type, l, -1);
      plan_.inputs.push_back(f);
      plan_.input_layouts.push_back(l);
      at_[port.tensor] = {f, l};
    }
    for (const Node& n : g_.nodes) {
      if (n.op == "InputQuant") continue;
      if (n.outputs.size() != 1) fail(n, "a layer must have one output");
      if (n.op == "Move") move(n);
      else pixel(n);
    }
    for (const std::string& t : g_.outputs) {
      auto it = at_.find(t);
      if (it == at_.end()) throw Error(src_, "graph output '" + t + "' is not computed by the firmware");
      plan_.outputs.push_back(it->second.fifo);
      plan_.output_layouts.push_back(it->second.layout);
    }
    add_clones();
    schedule();
  }

 private:
  const Graph& g_;
  const Graph& ref_;
  std::string src_;
  StreamPlan& plan_;
  std::map<std::string, Located> at_;
  std::vector<std::pair<std::string, Located>> repacked_;  // (tensor, a copy in another layout)

  [[noreturn]] void fail(const Node& n, const std::string& why) const {
    throw Error(src_, n.name, n.op, "io_stream: " + why);
  }

  /// A channels-last model input: from a Keras model (Graph::channels_last),
  /// or one whose only reader in the ONNX graph is a Transpose moving the
  /// last axis to the channel position (NHWC -> NCHW, as tf2onnx writes).
  bool channels_last_input(const std::string& t) const {
    const Shape& s = g_.tensor(t).shape;
    if (s.size() < 2) return false;
    if (g_.channels_last) return true;
    for (const Node& n : ref_.nodes)
      for (auto& i : n.inputs)
        if (i == t) {
          if (n.op != "Transpose") return false;
          auto perm = n.attr_ints("perm", {});
          return perm.size() == s.size() + 1 && perm[0] == 0 && perm[1] == int64_t(s.size());
        }
    return false;
  }

  int fifo(const std::string& name, const Fixed& type, const StreamLayout& l, int producer) {
    if (l.pixels > kMaxTokens) throw Error(src_, "io_stream: tensor '" + name + "' would need more than 2^24 tokens");
    plan_.fifos.push_back({name, type, l.pixels, l.lanes, producer, 1});
    return int(plan_.fifos.size()) - 1;
  }

  const Located& located(const Node& n, const std::string& t) const {
    auto it = at_.find(t);
    if (it == at_.end()) fail(n, "input '" + t + "' is not computed by the firmware");
    return it->second;
  }

  /// A Window from `in` (its FIFO's element type) to the layout `out`:
  /// output element i = input element map[i] (-1: zero), cast to out_type.
  int window(const std::string& name, const Located& in, const std::vector<int64_t>& map, const StreamLayout& out,
             const Fixed& out_type) {
    StreamProc p;
    p.kind = ProcKind::Window;
    p.name = name;
    p.in = {in.fifo};
    p.out_type = out_type;
    const int64_t li = in.layout.lanes, lo = out.lanes, po = out.pixels;
    const std::vector<int64_t> order = out.order();
    std::vector<int64_t> first(size_t(po), -1), last(size_t(po), -1), emit(size_t(po), -1);
    for (int64_t s = 0; s < int64_t(order.size()); ++s) {
      const int64_t m = map[size_t(order[size_t(s)])];
      if (m < 0) continue;
      const int64_t q = in.layout.slot[size_t(m)] / li, r = s / lo;
      first[size_t(r)] = first[size_t(r)] < 0 ? q : std::min(first[size_t(r)], q);
      last[size_t(r)] = std::max(last[size_t(r)], q);
    }
    for (int64_t r = 0; r < po; ++r) {
      emit[size_t(r)] = std::max(r ? emit[size_t(r - 1)] : int64_t(-1), last[size_t(r)]);
      if (first[size_t(r)] >= 0) p.depth = std::max(p.depth, emit[size_t(r)] - first[size_t(r)] + 1);
    }
    p.src.assign(order.size(), -1);
    for (int64_t s = 0; s < int64_t(order.size()); ++s) {
      const int64_t m = map[size_t(order[size_t(s)])];
      if (m < 0) continue;
      const int64_t sl = in.layout.slot[size_t(m)];
      p.src[size_t(s)] = (emit[size_t(s / lo)] - sl / li) * li + sl % li;
    }
    int64_t r = 0;
    auto rows_at = [&](int64_t q, bool read) {
      bool first_step = true;
      for (; r < po && emit[size_t(r)] == q; ++r, first_step = false) {
        p.step_read.push_back(read && first_step);
        p.step_row.push_back(r);
      }
      if (read && first_step) {
        p.step_read.push_back(1);
        p.step_row.push_back(-1);
      }
    };
    rows_at(-1, false);
    for (int64_t q = 0; q < in.layout.pixels; ++q) rows_at(q, true);
    p.out = {fifo(name, out_type, out, int(plan_.procs.size()))};
    plan_.procs.push_back(std::move(p));
    return plan_.procs.back().out[0];
  }

  /// Tensor t in layout `want` (a repacking Window when it travels otherwise).
  Located in_layout(const std::string& t, const Located& cur, const StreamLayout& want) {
    if (cur.layout == want) return cur;
    for (auto& [name, loc] : repacked_)
      if (name == t && loc.layout == want) return loc;
    std::vector<int64_t> id(want.slot.size());
    for (size_t i = 0; i < id.size(); ++i) id[i] = int64_t(i);
    Located l{window(t + "_repack", cur, id, want, plan_.fifos[size_t(cur.fifo)].type), want};
    repacked_.emplace_back(t, l);
    return l;
  }

  /// The layout a Move's output gets when a Window produces it: the rows
  /// its Dense readers multiply, the per-position windows its pooling
  /// reduction reads, else channels-first positions.
  StreamLayout move_layout(const std::string& t) const {
    const Shape& s = g_.tensor(t).shape;
    const int64_t n = num_elements(s);
    bool dense = false, reduce = false, other = false;
    int64_t k = -1;
    for (const Node& c : g_.nodes) {
      if (std::find(c.inputs.begin(), c.inputs.end(), t) == c.inputs.end()) continue;
      if (c.op == "Dense" && c.inputs[0] == t) {
        const int64_t kk = g_.tensor(c.inputs.at(1)).shape.at(0);
        dense = k < 0 || k == kk;
        other |= !dense;
        k = kk;
      } else if ((c.op == "ReduceMax" || c.op == "ReduceSum") && pooled(t)) {
        reduce = true;
      } else {
        other = true;
      }
    }
    if (dense && !reduce && !other && k > 0 && n % k == 0) return rows(n, k);
    if (reduce && !dense && !other && s.size() >= 2) return windows_layout(s);
    return channels_first(s);
  }

  /// Whether t is read by a ReduceMax / ReduceSum over its last axis (the
  /// windows of a pooling): its tokens are then built per output position,
  /// even when the windows only permute the input (a 2x2 stride-2 pool).
  bool pooled(const std::string& t) const {
    const int64_t last = int64_t(g_.tensor(t).shape.size());
    for (const Node& c : g_.nodes)
      if ((c.op == "ReduceMax" || c.op == "ReduceSum") && !c.inputs.empty() && c.inputs[0] == t &&
          c.attr_ints("axes", {}) == std::vector<int64_t>{last})
        return true;
    return false;
  }

  void move(const Node& n) {
    const std::string& y = n.outputs[0];
    const Tensor& ty = g_.tensor(y);
    std::vector<Located> ins;
    for (auto& i : n.inputs) ins.push_back(located(n, i));
    Located v = ins.at(0);
    Fixed vtype = plan_.fifos[size_t(v.fifo)].type;
    if (ins.size() > 1) {  // Zip: the tokens of every input, concatenated
      bool same = true;
      for (auto& l : ins) same &= l.layout.pixels == ins[0].layout.pixels;
      for (size_t k = 0; k < ins.size(); ++k)
        if (!same) ins[k] = in_layout(n.inputs[k], ins[k], rows(int64_t(ins[k].layout.slot.size()), int64_t(ins[k].layout.slot.size())));
      StreamProc z;
      z.kind = ProcKind::Zip;
      z.name = n.name + "_zip";
      z.out_type = *ty.type;
      StreamLayout zl;
      zl.pixels = ins[0].layout.pixels;
      for (auto& l : ins) zl.lanes += l.layout.lanes;
      int64_t lane0 = 0;
      for (auto& l : ins) {
        z.in.push_back(l.fifo);
        for (int64_t s : l.layout.slot) zl.slot.push_back(s / l.layout.lanes * zl.lanes + lane0 + s % l.layout.lanes);
        lane0 += l.layout.lanes;
      }
      z.out = {fifo(z.name, *ty.type, zl, int(plan_.procs.size()))};
      v = {z.out[0], zl};
      vtype = *ty.type;
      plan_.procs.push_back(std::move(z));
    }
    const auto map = n.attr_ints("map", {});
    const int64_t nin = int64_t(v.layout.slot.size());
    bool bijective = int64_t(map.size()) == nin && vtype == *ty.type;
    if (bijective) {
      std::vector<char> seen(size_t(nin), 0);
      for (int64_t m : map) {
        if (m < 0 || m >= nin || seen[size_t(m)]) {
          bijective = false;
          break;
        }
        seen[size_t(m)] = 1;
      }
    }
    if (bijective && !pooled(y)) {  // a relabelling of the same tokens: no hardware
      StreamLayout l = v.layout;
      for (size_t i = 0; i < map.size(); ++i) l.slot[i] = v.layout.slot[size_t(map[i])];
      at_[y] = {v.fifo, l};
      return;
    }
    for (int64_t m : map)
      if (m >= nin) fail(n, "map entry " + std::to_string(m) + " is outside the input");
    const StreamLayout out = move_layout(y);
    at_[y] = {window(n.name, v, map, out, *ty.type), out};
  }

  /// Pixel process for a layer: a per-token form when the tensor's tokens
  /// allow one, else the layer on the whole tensor gathered into one token.
  void pixel(const Node& n) {
    const std::string& y = n.outputs[0];
    const Tensor& ty = g_.tensor(y);
    if (!ty.type) fail(n, "output '" + y + "' has no fixed-point type");
    std::vector<size_t> act;  // activation input positions
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (!n.inputs[k].empty() && !g_.tensor(n.inputs[k]).is_const) act.push_back(k);
    if (act.empty()) fail(n, "a layer without activation inputs");
    StreamProc p;
    p.kind = ProcKind::Pixel;
    p.name = n.name;
    StreamLayout out;
    if (!per_token(n, act, p, out)) whole(n, p, out);
    p.out = {fifo(y, *ty.type, out, int(plan_.procs.size()))};
    plan_.procs.push_back(std::move(p));
    at_[y] = {plan_.procs.back().out[0], out};
  }

  /// A per-event tensor `name` of `shape` and `type` in the local graph.
  static std::string local_tensor(Graph& lg, const std::string& name, const Shape& shape, const std::optional<Fixed>& type) {
    Tensor t;
    t.name = name;
    t.shape = shape;
    t.known_shape = true;
    t.type = type;
    lg.tensors[name] = t;
    return name;
  }

  /// The layer on the whole tensor: every input gathered into one token.
  void whole(const Node& n, StreamProc& p, StreamLayout& out) {
    p.local = Graph{};
    p.in.clear();
    Graph& lg = p.local;
    lg.source = src_;
    Node c = n;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (n.inputs[k].empty()) continue;
      const Tensor& t = g_.tensor(n.inputs[k]);
      if (t.is_const) {
        lg.tensors[n.inputs[k]] = t;
        continue;
      }
      const int64_t sz = t.size();
      Located l = in_layout(n.inputs[k], located(n, n.inputs[k]), rows(sz, sz));
      p.in.push_back(l.fifo);
      c.inputs[k] = local_tensor(lg, "x" + std::to_string(lg.inputs.size()), t.shape, plan_.fifos[size_t(l.fifo)].type);
      lg.inputs.push_back(c.inputs[k]);
    }
    const Tensor& ty = g_.tensor(n.outputs[0]);
    c.outputs = {local_tensor(lg, "y", ty.shape, ty.type)};
    lg.outputs = c.outputs;
    lg.nodes = {c};
    out = rows(ty.size(), ty.size());
  }

  /// The per-token form of n, when there is one (false: none).
  bool per_token(const Node& n, const std::vector<size_t>& act, StreamProc& p, StreamLayout& out) {
    const Tensor& ty = g_.tensor(n.outputs[0]);
    const Located& x = located(n, n.inputs[act[0]]);
    if (x.layout.pixels <= 1) return false;
    Graph& lg = p.local;
    lg.source = src_;
    Node c = n;
    c.outputs = {"y"};
    if (n.op == "Dense") {
      const int64_t k = g_.tensor(n.inputs.at(1)).shape.at(0), sz = int64_t(x.layout.slot.size());
      if (act.size() != 1 || k <= 0 || sz % k || sz / k <= 1) return false;
      Located l = in_layout(n.inputs[0], x, rows(sz, k));
      p.in = {l.fifo};
      c.inputs[0] = local_tensor(lg, "x0", {k}, plan_.fifos[size_t(l.fifo)].type);
      for (size_t i = 1; i < n.inputs.size(); ++i)
        if (!n.inputs[i].empty()) lg.tensors[n.inputs[i]] = g_.tensor(n.inputs[i]);
      const int64_t no = g_.tensor(n.inputs[1]).shape.at(1);
      local_tensor(lg, "y", {no}, ty.type);
      out = rows(ty.size(), no);
    } else if (n.op == "ReduceMax" || n.op == "ReduceSum") {
      if (act.size() != 1) return false;
      const ReduceGroups rg = reduce_groups(n, g_.tensor(n.inputs[0]).shape, src_);
      const int64_t no = int64_t(rg.start.size()) - 1, terms = no ? rg.start[1] - rg.start[0] : 0;
      if (no == 0 || terms == 0 || no % x.layout.pixels) return false;
      const int64_t lo = no / x.layout.pixels, li = x.layout.lanes;
      // every output's terms in one token, lo outputs per token, the same lanes in every token
      std::vector<int64_t> count(size_t(x.layout.pixels), 0), gather(size_t(lo * terms), -1);
      out = StreamLayout{x.layout.pixels, lo, std::vector<int64_t>(size_t(no))};
      for (int64_t o = 0; o < no; ++o) {
        if (rg.start[size_t(o) + 1] - rg.start[size_t(o)] != terms) return false;
        const int64_t q = x.layout.slot[size_t(rg.map[size_t(rg.start[size_t(o)])])] / li;
        const int64_t j = count[size_t(q)]++;
        if (j >= lo) return false;
        out.slot[size_t(o)] = q * lo + j;
        for (int64_t t = 0; t < terms; ++t) {
          const int64_t s = x.layout.slot[size_t(rg.map[size_t(rg.start[size_t(o)] + t)])];
          if (s / li != q) return false;
          int64_t& gl = gather[size_t(j * terms + t)];
          if (q == 0) gl = s % li;
          else if (gl != s % li) return false;
        }
      }
      p.in = {x.fifo};
      const std::optional<Fixed> tx = plan_.fifos[size_t(x.fifo)].type;
      local_tensor(lg, "x0", {li}, tx);
      local_tensor(lg, "g", {lo, terms}, tx);
      Node mv;
      mv.name = n.name + "_taps";
      mv.op = "Move";
      mv.inputs = {"x0"};
      mv.outputs = {"g"};
      mv.attrs["map"] = gather;
      mv.precision.result = tx;
      lg.nodes.push_back(mv);
      c.inputs = {"g"};
      c.attrs["axes"] = std::vector<int64_t>{2};
      c.attrs["keepdims"] = int64_t(0);
      local_tensor(lg, "y", {lo}, ty.type);
    } else if (elementwise_ops().count(n.op)) {
      for (size_t k : act)
        if (g_.tensor(n.inputs[k]).shape != ty.shape) return false;
      if (!token_constants(n, x.layout, lg, c)) return false;
      for (size_t k : act) {
        Located l = in_layout(n.inputs[k], located(n, n.inputs[k]), x.layout);
        p.in.push_back(l.fifo);
        c.inputs[k] = local_tensor(lg, "x" + std::to_string(p.in.size() - 1), {x.layout.lanes},
                                   plan_.fifos[size_t(l.fifo)].type);
      }
      local_tensor(lg, "y", {x.layout.lanes}, ty.type);
      out = x.layout;
    } else {
      return false;
    }
    for (size_t k = 0; k < p.in.size(); ++k) lg.inputs.push_back("x" + std::to_string(k));
    lg.outputs = {"y"};
    lg.nodes.push_back(c);
    return true;
  }

  /// The constants of an element-wise node per lane of a token, when they are
  /// the same in every token (false otherwise).
  bool token_constants(const Node& n, const StreamLayout& l, Graph& lg, Node& c) const {
    const Shape& oshape = g_.tensor(n.outputs[0]).shape;
    const std::vector<int64_t> order = l.order();
    const bool per_channel = n.op == "BatchNorm" || n.op == "Threshold";
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (n.inputs[k].empty() || !g_.tensor(n.inputs[k]).is_const) continue;
      const Tensor& t = g_.tensor(n.inputs[k]);
      std::vector<int64_t> idx;  // the constant's element for every output element
      if (per_channel) {
        idx = channel_map(n, oshape, t.size(), src_);
      } else {
        Shape s = t.shape;
        if (s.size() == oshape.size() + 1) s.erase(s.begin());
        idx = nanogate::broadcast_map(s, oshape);
      }
      Tensor d = t;
      d.name = "c" + std::to_string(k);
      d.shape = {l.lanes};
      d.values.assign(size_t(l.lanes), 0);
      if (!t.code_scale.empty()) d.code_scale.assign(size_t(l.lanes), 0);
      for (int64_t s = 0; s < int64_t(order.size()); ++s) {
        const size_t e = size_t(idx[size_t(order[size_t(s)])]), lane = size_t(s % l.lanes);
        const double v = t.values[e], cs = t.code_scale.empty() ? 0 : t.code_scale[e];
        if (s < l.lanes) {
          d.values[lane] = v;
          if (!t.code_scale.empty()) d.code_scale[lane] = cs;
        } else if (d.values[lane] != v || (!t.code_scale.empty() && d.code_scale[lane] != cs)) {
          return false;
        }
      }
      lg.tensors[d.name] = d;
      c.inputs[k] = d.name;
    }
    return true;
  }

  /// Copies every FIFO read by more than one process (or also by a port).
  void add_clones() {
    std::vector<std::vector<std::pair<int, size_t>>> readers(plan_.fifos.size());  // (proc, input slot); proc -1: port
    for (size_t p = 0; p < plan_.procs.size(); ++p)
      for (size_t k = 0; k < plan_.procs[p].in.size(); ++k) readers[size_t(plan_.procs[p].in[k])].push_back({int(p), k});
    for (size_t o = 0; o < plan_.outputs.size(); ++o) readers[size_t(plan_.outputs[o])].push_back({-1, o});
    std::vector<StreamProc> procs;
    auto clone_after = [&](int f) {
      if (readers[size_t(f)].size() < 2) return;
      StreamProc c;
      c.kind = ProcKind::Clone;
      c.name = plan_.fifos[size_t(f)].name + "_clone";
      c.in = {f};
      const StreamFifo base = plan_.fifos[size_t(f)];
      for (auto& [p, k] : readers[size_t(f)]) {
        plan_.fifos.push_back(base);
        plan_.fifos.back().producer = -2;  // set below
        const int nf = int(plan_.fifos.size()) - 1;
        c.out.push_back(nf);
        if (p < 0) plan_.outputs[k] = nf;
        else plan_.procs[size_t(p)].in[k] = nf;
      }
      procs.push_back(std::move(c));
    };
    for (int f : plan_.inputs) clone_after(f);
    for (size_t p = 0; p < plan_.procs.size(); ++p) {
      procs.push_back(plan_.procs[p]);
      for (int f : plan_.procs[p].out) clone_after(f);
    }
    plan_.procs = std::move(procs);
    for (size_t p = 0; p < plan_.procs.size(); ++p)
      for (int f : plan_.procs[p].out) plan_.fifos[size_t(f)].producer = int(p);
  }

  /// The modelled schedule (stream_plan.hpp): II, latency and FIFO depths.
  void schedule() {
    const int events = 3;
    auto steps_of = [&](const StreamProc& p) {
      return p.kind == ProcKind::Window ? int64_t(p.step_read.size()) : plan_.fifos[size_t(p.out.at(0))].pixels;
    };
    int64_t ii = 1;
    for (int f : plan_.inputs) ii = std::max(ii, plan_.fifos[size_t(f)].pixels);
    for (auto& p : plan_.procs) ii = std::max(ii, steps_of(p));
    plan_.ii = ii;
    std::vector<std::vector<int64_t>> wr(plan_.fifos.size()), rd(plan_.fifos.size());
    for (int f : plan_.inputs) {
      const int64_t px = plan_.fifos[size_t(f)].pixels;
      for (int e = 0; e < events; ++e)
        for (int64_t q = 0; q < px; ++q) wr[size_t(f)].push_back(e * ii + q - 1);
    }
    for (auto& p : plan_.procs) {
      int64_t t = -1;
      std::vector<size_t> next(p.in.size(), 0);
      const int64_t steps = steps_of(p);
      for (int e = 0; e < events; ++e)
        for (int64_t s = 0; s < steps; ++s) {
          const bool reads = p.kind != ProcKind::Window || p.step_read[size_t(s)];
          const bool writes = p.kind != ProcKind::Window || p.step_row[size_t(s)] >= 0;
          t += 1;
          if (reads)
            for (size_t k = 0; k < p.in.size(); ++k) t = std::max(t, wr[size_t(p.in[k])].at(next[k]) + 1);
          if (reads)
            for (size_t k = 0; k < p.in.size(); ++k) {
              rd[size_t(p.in[k])].push_back(t);
              ++next[k];
            }
          if (writes)
            for (int f : p.out) wr[size_t(f)].push_back(t);
        }
    }
    int64_t latency = 0;
    for (int f : plan_.outputs) {
      const auto& w = wr[size_t(f)];
      latency = std::max(latency, w.at(size_t(plan_.fifos[size_t(f)].pixels) - 1) + 1);
      for (int64_t t : w) rd[size_t(f)].push_back(t + 1);  // the port's reader takes every token at once
    }
    plan_.latency = latency;
    for (size_t f = 0; f < plan_.fifos.size(); ++f) {
      const auto& w = wr[f];
      const auto& r = rd[f];
      int64_t occ = 0, best = 1;
      size_t i = 0, j = 0;
      while (i < w.size()) {  // occupancy after cycle w[i]: written up to then minus read up to then
        const int64_t t = w[i];
        while (i < w.size() && w[i] <= t) ++i;
        while (j < r.size() && r[j] <= t) ++j;
        occ = int64_t(i) - int64_t(j);
        best = std::max(best, occ);
      }
      plan_.fifos[f].depth = best;
    }
  }
};

}  // namespace

StreamPlan plan_stream(const Model& model, const std::vector<FirmwarePort>& inputs) {
  StreamPlan plan;
  Planner(model, plan).run(inputs);
  return plan;
}

}  // namespace nanogate::hls
