// nanogate — convolutions, pooling, padding and resizing as data movement +
// Dense + reductions (passes.hpp, lower_spatial).
//
// A convolution is the same constant matrix applied at every output position:
// Conv = Move (im2col: per position, the C·T kernel taps, zero where padded)
// → MatMul by the [C·T, M] weight matrix (block-diagonal for groups) + bias →
// Move back to channels-first. Pools are a Move of the windows followed by a
// reduction over the taps: ReduceMax (a padded tap repeats a valid tap of the
// same window, which cannot change a maximum) or ReduceSum and a Mul by the
// reciprocal divisor. Pad / Resize / Upsample are one Move. Every index comes
// from core/window.hpp and emulate/float_spatial.hpp, the float reference's
// own geometry, so the lowered graph reads the same elements.
#include <algorithm>
#include <cmath>
#include <map>

#include "core/window.hpp"
#include "emulate/float_ops.hpp"
#include "emulate/float_spatial.hpp"
#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"

namespace nanogate {

namespace {

/// How a convolution's windows are read from a shifting frame (the
/// time-multiplexed RTL, netlist/fold.hpp): the zero-padded input as slots of
/// `lanes` elements (one spatial position, its channels), row-major over the
/// padded spatial dims; the frame shifts one slot per cycle, and at cycle
/// positions[p] the taps of output position p sit at the fixed frame elements
/// taps[r] (im2col column r = channel·T + kernel tap).
struct FrameSchedule {
  std::vector<int64_t> frame;      ///< slots·lanes: source element of x, or -1 (padding)
  int64_t lanes = 0;
  std::vector<int64_t> taps;       ///< per im2col column: slot offset·lanes + channel
  std::vector<int64_t> positions;  ///< per output position: the cycle (slots shifted) it is computed
};

/// The frame schedule of channels [c0, c0 + cg) of window `w` (x channels-first [C, D1..Dn]).
FrameSchedule frame_schedule(const Window& w, int64_t c0, int64_t cg) {
  const int r = w.rank();
  Shape padded(static_cast<size_t>(r)), stride(static_cast<size_t>(r));  // padded dims, slot strides (row-major)
  for (int d = 0; d < r; ++d) padded[size_t(d)] = w.pad_begin[size_t(d)] + w.in[size_t(d)] + w.pad_end[size_t(d)];
  int64_t slots = 1;
  for (int d = r - 1; d >= 0; --d) {
    stride[size_t(d)] = slots;
    slots *= padded[size_t(d)];
  }
  FrameSchedule f;
  f.lanes = cg;
  const int64_t S = w.in_positions();
  f.frame.assign(size_t(slots * cg), -1);
  for (int64_t s = 0; s < slots; ++s) {
    int64_t flat = 0;
    bool inside = true;
    for (int d = 0; d < r; ++d) {
      const int64_t c = s / stride[size_t(d)] % padded[size_t(d)] - w.pad_begin[size_t(d)];
      inside = inside && c >= 0 && c < w.in[size_t(d)];
      flat = flat * w.in[size_t(d)] + c;
    }
    if (inside)
      for (int64_t ci = 0; ci < cg; ++ci) f.frame[size_t(s * cg + ci)] = (c0 + ci) * S + flat;
  }
  const int64_t T = w.taps(), P = w.positions();
  for (int64_t ci = 0; ci < cg; ++ci)
    for (int64_t t = 0; t < T; ++t) {
      int64_t off = 0, rest = t;
      for (int d = r - 1; d >= 0; --d) {
        off += rest % w.kernel[size_t(d)] * w.dilation[size_t(d)] * stride[size_t(d)];
        rest /= w.kernel[size_t(d)];
      }
      f.taps.push_back(off * cg + ci);
    }
  for (int64_t p = 0; p < P; ++p) {
    int64_t at = 0, rest = p;
    for (int d = r - 1; d >= 0; --d) {
      at += rest % w.out[size_t(d)] * w.stride[size_t(d)] * stride[size_t(d)];
      rest /= w.out[size_t(d)];
    }
    f.positions.push_back(at);
  }
  return f;
}

struct Spatial {
  Graph& g;
  std::vector<Node> out;
  std::vector<std::string> absorbed;

  [[noreturn]] void fail(const Node& n, const std::string& why) { throw Error(g.source, n.name, n.op, why); }
  bool is_const(const std::string& t) { return !t.empty() && g.tensor(t).is_const; }

  Node node(const std::string& name, const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs) {
    Node n;
    n.name = name;
    n.op = op;
    n.inputs = std::move(ins);
    n.outputs = std::move(outs);
    return n;
  }
  /// Transposes folded into the Moves that read them: output tensor → (input tensor, index map).
  std::map<std::string, std::pair<std::string, std::vector<int64_t>>> folded;

  /// A Move of input `x` by `map` (-1: zero) into `y`; a folded Transpose in
  /// front of x is composed into the map.
  void move(const std::string& name, const std::string& x, const std::string& y, std::vector<int64_t> map,
            const std::string& source_op, const FrameSchedule* frame = nullptr) {
    std::string src = x;
    std::vector<int64_t> slots = frame ? frame->frame : std::vector<int64_t>();
    if (auto it = folded.find(x); it != folded.end()) {
      src = it->second.first;
      for (auto* v : {&map, &slots})
        for (int64_t& m : *v)
          if (m >= 0) m = it->second.second[size_t(m)];
    }
    Node m = node(name, "Move", {src}, {y});
    m.attrs["map"] = std::move(map);
    m.attrs["source_op"] = source_op;
    if (frame) {  // read by the time-multiplexed RTL (netlist/fold.hpp), which checks it against "map"
      m.attrs["frame"] = std::move(slots);
      m.attrs["frame_lanes"] = frame->lanes;
      m.attrs["frame_taps"] = frame->taps;
      m.attrs["frame_positions"] = frame->positions;
    }
    out.push_back(m);
  }

  const Shape& shape(const std::string& t) { return g.tensor(t).shape; }
  std::vector<FArg> args_of(const Node& n, std::vector<FArray>& keep) {
    keep.resize(n.inputs.size());
    std::vector<FArg> a;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (n.inputs[k].empty()) {
        a.push_back({nullptr, false});
        continue;
      }
      const Tensor& t = g.tensor(n.inputs[k]);
      keep[k] = FArray{t.shape, t.is_const ? t.values : std::vector<double>()};
      a.push_back({&keep[k], !t.is_const});
    }
    return a;
  }

  /// The single consumer of `t`, when there is exactly one and `t` is not a graph output.
  const Node* sole_consumer(const std::string& t) {
    if (std::find(g.outputs.begin(), g.outputs.end(), t) != g.outputs.end()) return nullptr;
    auto c = g.consumers(t);
    return c.size() == 1 ? c[0] : nullptr;
  }

  void conv(const Node& n) {
    const std::string& x = n.inputs.at(0);
    if (!is_const(n.inputs.at(1))) fail(n, "Conv weights must be constant");
    Tensor W = g.tensor(n.inputs[1]);
    const Shape& xs = shape(x);
    if (W.shape.size() != xs.size() + 1) fail(n, "weight " + shape_str(W.shape) + " does not match the input " + shape_str(xs));
    Window win = window_of(n, xs, Shape(W.shape.begin() + 2, W.shape.end()), g.source);
    const int64_t group = n.attr_int("group", 1), M = W.shape[0], C = win.channels;
    if (group < 1 || C % group || M % group) fail(n, "group " + std::to_string(group) + " does not divide the channels");
    const int64_t cg = C / group, mg = M / group, P = win.positions(), T = win.taps(), S = win.in_positions();
    if (W.shape[1] != cg) fail(n, "weight " + shape_str(W.shape) + " does not match " + std::to_string(C) + " input channels");
    const bool scaled = !W.code_scale.empty();
    const bool has_bias = n.inputs.size() > 2 && !n.inputs[2].empty();
    if (has_bias && (!is_const(n.inputs[2]) || g.tensor(n.inputs[2]).size() != M))
      fail(n, "Conv bias must be a constant of " + std::to_string(M) + " values");
    // one Dense per group: im2col [P, cg·T] (zero where padded) times [cg·T, mg]
    std::vector<std::string> parts;
    for (int64_t k = 0; k < group; ++k) {
      const std::string sfx = group == 1 ? "" : "_g" + std::to_string(k);
      std::vector<int64_t> map;
      map.reserve(size_t(P * cg * T));
      for (int64_t p = 0; p < P; ++p)
        for (int64_t ci = 0; ci < cg; ++ci)
          for (int64_t t = 0; t < T; ++t) {
            const int64_t s = win.source(p, t);
            map.push_back(s < 0 ? -1 : (k * cg + ci) * S + s);
          }
      const std::string cols = g.add_activation(n.name + sfx + "_im2col", {P, cg * T});
      const FrameSchedule frame = frame_schedule(win, k * cg, cg);
      move(n.name + sfx + "_im2col", x, cols, std::move(map), "Conv", &frame);
      std::vector<double> wm(size_t(cg * T * mg)), sc;
      if (scaled) sc.resize(wm.size());
      for (int64_t j = 0; j < mg; ++j)
        for (int64_t r = 0; r < cg * T; ++r) {
          const size_t src = size_t((k * mg + j) * cg * T + r), dst = size_t(r * mg + j);
          wm[dst] = W.values[src];
          if (scaled) sc[dst] = W.code_scale[src];
        }
      const std::string wname = g.add_constant(n.name + sfx + "_matrix", {cg * T, mg}, wm);
      g.tensor(wname).type = W.type;
      g.tensor(wname).code_scale = sc;
      std::string y = g.add_activation(n.name + sfx + "_positions", {P, mg});
      out.push_back(node(n.name + sfx, "MatMul", {cols, wname}, {y}));
      if (has_bias) {
        const Tensor& B = g.tensor(n.inputs[2]);
        std::string b = n.inputs[2];
        if (group > 1) {
          b = g.add_constant(n.name + sfx + "_bias", {mg}, std::vector<double>(B.values.begin() + k * mg, B.values.begin() + (k + 1) * mg));
          g.tensor(b).type = B.type;
          if (!B.code_scale.empty())
            g.tensor(b).code_scale.assign(B.code_scale.begin() + k * mg, B.code_scale.begin() + (k + 1) * mg);
        }
        const std::string yb = g.add_activation(n.name + sfx + "_biased", {P, mg});
        out.push_back(node(n.name + sfx + "_bias", "Add", {y, b}, {yb}));
        y = yb;
      }
      parts.push_back(y);
    }
    // back to channels-first [M, O..]: output channel m = group m / mg, column m % mg
    std::vector<int64_t> back(size_t(M * P));
    for (int64_t m = 0; m < M; ++m)
      for (int64_t p = 0; p < P; ++p) back[size_t(m * P + p)] = (m / mg) * P * mg + p * mg + m % mg;
    Node mv = node(n.name + "_to_chw", "Move", parts, {n.outputs.at(0)});
    mv.attrs["map"] = std::move(back);
    mv.attrs["source_op"] = std::string("Conv");
    out.push_back(mv);
  }

  void pool(const Node& n) {
    if (n.op == "MaxPool" && n.outputs.size() > 1 && !n.outputs[1].empty()) fail(n, "MaxPool's Indices output is not supported");
    const std::string& x = n.inputs.at(0);
    const Shape& xs = shape(x);
    const Shape kernel = n.attr_ints("kernel_shape", {});
    Window win = window_of(n, xs, kernel, g.source);
    const bool avg = n.op == "AveragePool";
    const int64_t C = win.channels, P = win.positions(), T = win.taps(), S = win.in_positions();
    std::vector<int64_t> map;
    map.reserve(size_t(C * P * T));
    std::vector<double> divisor(static_cast<size_t>(P));
    const bool include_pad = n.attr_int("count_include_pad", 0) != 0;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t p = 0; p < P; ++p) {
        int64_t first = -1, valid = 0;
        for (int64_t t = 0; t < T && first < 0; ++t) first = win.source(p, t);
        if (first < 0) fail(n, "a pooling window lies entirely in the padding");
        for (int64_t t = 0; t < T; ++t) {
          const int64_t s = win.source(p, t);
          valid += s >= 0;
          map.push_back(s >= 0 ? c * S + s : (avg ? -1 : c * S + first));
        }
        divisor[size_t(p)] = double(include_pad ? win.padded_taps(p) : valid);
      }
    Shape ws{C};
    ws.insert(ws.end(), win.out.begin(), win.out.end());
    Shape red = ws;
    ws.push_back(T);
    const std::string windows = g.add_activation(n.name + "_windows", ws);
    move(n.name + "_windows", x, windows, std::move(map), n.op);
    const int64_t last = int64_t(ws.size());  // the taps axis, counting the batch
    if (!avg) {
      Node r = node(n.name, "ReduceMax", {windows}, {n.outputs.at(0)});
      r.attrs["axes"] = std::vector<int64_t>{last};
      r.attrs["keepdims"] = int64_t(0);
      out.push_back(r);
      return;
    }
    const std::string sum = g.add_activation(n.name + "_sum", red);
    Node r = node(n.name + "_sum", "ReduceSum", {windows}, {sum});
    r.attrs["axes"] = std::vector<int64_t>{last};
    r.attrs["keepdims"] = int64_t(0);
    out.push_back(r);
    divide(n, sum, divisor, win.out);
  }

  /// Mul of `sum` [C, O..] by 1/divisor (one per position; a scalar when all equal) into n's output.
  void divide(const Node& n, const std::string& sum, const std::vector<double>& divisor, const Shape& spatial) {
    bool uniform = std::all_of(divisor.begin(), divisor.end(), [&](double d) { return d == divisor[0]; });
    std::string k;
    if (uniform) {
      k = g.add_constant(n.name + "_reciprocal", {}, {1.0 / divisor[0]});
    } else {
      Shape cs{1};
      cs.insert(cs.end(), spatial.begin(), spatial.end());
      std::vector<double> r;
      for (double d : divisor) r.push_back(1.0 / d);
      k = g.add_constant(n.name + "_reciprocal", cs, r);
    }
    out.push_back(node(n.name, "Mul", {sum, k}, {n.outputs.at(0)}));
  }

  void global_pool(const Node& n) {
    const Shape& xs = shape(n.inputs.at(0));
    if (xs.size() < 2) fail(n, "expects an input [C, D1..Dn], got " + shape_str(xs));
    std::vector<int64_t> axes;
    for (int64_t d = 2; d <= int64_t(xs.size()); ++d) axes.push_back(d);
    const bool avg = n.op == "GlobalAveragePool";
    const std::string y = avg ? g.add_activation(n.name + "_sum", shape(n.outputs.at(0))) : n.outputs.at(0);
    Node r = node(avg ? n.name + "_sum" : n.name, avg ? "ReduceSum" : "ReduceMax", {n.inputs[0]}, {y});
    r.attrs["axes"] = axes;
    r.attrs["keepdims"] = int64_t(1);
    out.push_back(r);
    if (avg) divide(n, y, {double(num_elements(Shape(xs.begin() + 1, xs.end())))}, {});
  }

  void gather(const Node& n) {
    std::vector<FArray> keep;
    GatherMap m = gather_map(n, shape(n.inputs.at(0)), true, args_of(n, keep), g.source);
    if (m.fill != 0 && std::find(m.src.begin(), m.src.end(), -1) != m.src.end())
      fail(n, "padding with a non-zero constant (" + std::to_string(m.fill) + ") is not supported in firmware");
    move(n.name, n.inputs[0], n.outputs.at(0), std::move(m.src), n.op);
  }

  /// A BatchNormalization right after a float-weight Conv folds into its
  /// weights and bias (real arithmetic, as for Dense); quantized convs keep it.
  void fold_batchnorm(Node& conv) {
    const Tensor& W = g.tensor(conv.inputs.at(1));
    if (!W.is_const || W.type || (conv.inputs.size() > 2 && !conv.inputs[2].empty() && g.tensor(conv.inputs[2]).type)) return;
    const Node* bn = sole_consumer(conv.outputs.at(0));
    if (!bn || bn->op != "BatchNormalization" || bn->inputs.at(0) != conv.outputs[0]) return;
    const int64_t M = W.shape.at(0), per = M ? W.size() / M : 0;
    for (int i = 1; i < 5; ++i)
      if (!is_const(bn->inputs.at(size_t(i))) || g.tensor(bn->inputs[size_t(i)]).size() != M) return;
    const double eps = bn->attr_float("epsilon", 1e-5);
    const auto& gam = g.tensor(bn->inputs[1]).values;
    const auto& bet = g.tensor(bn->inputs[2]).values;
    const auto& mu = g.tensor(bn->inputs[3]).values;
    const auto& var = g.tensor(bn->inputs[4]).values;
    std::vector<double> w = W.values, b(size_t(M), 0.0);
    if (conv.inputs.size() > 2 && !conv.inputs[2].empty()) b = g.tensor(conv.inputs[2]).values;
    for (int64_t m = 0; m < M; ++m) {
      const double a = gam[size_t(m)] / std::sqrt(var[size_t(m)] + eps);
      for (int64_t i = 0; i < per; ++i) w[size_t(m * per + i)] *= a;
      b[size_t(m)] = (b[size_t(m)] - mu[size_t(m)]) * a + bet[size_t(m)];
    }
    conv.inputs = {conv.inputs[0], g.add_constant(conv.name + "_W_bn", W.shape, w), g.add_constant(conv.name + "_b_bn", {M}, b)};
    conv.outputs = bn->outputs;
    absorbed.push_back(bn->name);
  }

  /// Transpose pairs that undo each other (the Keras frontend's channels_last
  /// ↔ channels-first wrapping between two spatial layers) are dropped, so a
  /// BatchNormalization meets its Conv and no data moves twice.
  void cancel_transpose_pairs() {
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t bi = 0; bi < g.nodes.size() && !changed; ++bi) {
        const Node& b = g.nodes[bi];
        if (b.op != "Transpose" || !b.has_attr("perm")) continue;
        const Node* a = g.producer(b.inputs.at(0));
        if (!a || a->op != "Transpose" || !a->has_attr("perm") || sole_consumer(b.inputs[0]) != &b) continue;
        const auto pa = a->attr_ints("perm", {}), pb = b.attr_ints("perm", {});
        bool inverse = pa.size() == pb.size();
        for (size_t i = 0; i < pb.size() && inverse; ++i)
          inverse = pb[i] >= 0 && size_t(pb[i]) < pa.size() && pa[size_t(pb[i])] == int64_t(i);
        const std::string src = a->inputs.at(0), dst = b.outputs.at(0), mid = b.inputs[0];
        if (!inverse || std::find(g.outputs.begin(), g.outputs.end(), dst) != g.outputs.end()) continue;
        for (Node& n : g.nodes)
          for (std::string& i : n.inputs)
            if (i == dst) i = src;
        const std::string an = a->name, bn = b.name;
        std::erase_if(g.nodes, [&](const Node& n) { return n.name == an || n.name == bn; });
        changed = true;
      }
    }
  }

  /// A Transpose of an activation read only by ops that lower to a Move of
  /// it (Conv, MaxPool, AveragePool, Pad, Resize, Upsample) is folded into
  /// those Moves: the Keras frontend's channels_last → channels-first
  /// Transpose in front of a model's first convolution costs no copy.
  void fold_transposes() {
    auto reads_by_move = [](const Node* c) {
      return c->op == "Conv" || c->op == "MaxPool" || c->op == "AveragePool" || c->op == "Pad" || c->op == "Resize" ||
             c->op == "Upsample";
    };
    for (const Node& t : g.nodes) {
      if (t.op != "Transpose" || t.inputs.empty() || is_const(t.inputs[0]) || !t.has_attr("perm")) continue;
      const std::string& y = t.outputs.at(0);
      if (std::find(g.outputs.begin(), g.outputs.end(), y) != g.outputs.end()) continue;
      auto cs = g.consumers(y);
      if (cs.empty() || !std::all_of(cs.begin(), cs.end(), reads_by_move)) continue;
      bool first_input_only = true;  // y must be the data input, not a weight or parameter
      for (const Node* c : cs)
        for (size_t k = 1; k < c->inputs.size(); ++k) first_input_only = first_input_only && c->inputs[k] != y;
      if (!first_input_only) continue;
      const Shape& xs = shape(t.inputs[0]);
      FArray iota{xs, std::vector<double>(size_t(num_elements(xs)))};
      for (size_t i = 0; i < iota.v.size(); ++i) iota.v[i] = double(i);
      FArray r = eval_float(t, {FArg{&iota, true}}, g.source)[0];
      folded[y] = {t.inputs[0], std::vector<int64_t>(r.v.begin(), r.v.end())};
      absorbed.push_back(t.name);
    }
  }

  void run() {
    cancel_transpose_pairs();
    fold_transposes();
    std::vector<Node> nodes = g.nodes;
    for (const Node& n0 : nodes) {
      if (std::find(absorbed.begin(), absorbed.end(), n0.name) != absorbed.end()) continue;
      Node n = n0;
      if (n.op == "Conv") {
        fold_batchnorm(n);
        conv(n);
      } else if (n.op == "MaxPool" || n.op == "AveragePool") {
        pool(n);
      } else if (n.op == "GlobalMaxPool" || n.op == "GlobalAveragePool") {
        global_pool(n);
      } else if (n.op == "Pad" || n.op == "Resize" || n.op == "Upsample") {
        gather(n);
      } else {
        out.push_back(n);
      }
    }
    g.nodes = std::move(out);
  }
};

}  // namespace

void lower_spatial(Graph& g) { Spatial{g, {}, {}, {}}.run(); }

}  // namespace nanogate
