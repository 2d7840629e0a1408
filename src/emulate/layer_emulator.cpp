// nanogate — the bit-exact layer emulator (include/nanogate/emulate/emulator.hpp).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <numeric>
#include <set>
#include <thread>

#include "emulate/cast.hpp"
#include "emulate/dense_kernels.hpp"
#include "emulate/layer_tables.hpp"
#include "emulate/float_ops.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"

namespace nanogate {

namespace {

constexpr int64_t kChunk = 128;            // events per kernel call
constexpr int64_t kRowsPerThread = 4096;   // fewer rows per thread: fewer threads

/// A runtime buffer per tensor: chunk × size raw codes (the codes live in a
/// Work, one per running thread).
struct Buffer {
  int64_t size = 0;
  Fixed type;
  std::vector<double> dq_scale, dq_offset;  // host-side dequantization (Tensor::dequant_scale), empty: none
  double model_value(double v, int64_t i) const {
    return dq_scale.empty() ? v : v * dq_scale[size_t(i)] + dq_offset[size_t(i)];
  }
};

/// Per-run (per-thread) storage: the buffers' codes and kernel scratch.
struct Work {
  std::vector<std::vector<int64_t>> data;
  std::vector<double> xd, cd, sm;
  std::vector<i128> acc;
  std::vector<int64_t> acc64;
};

/// Real value of raw codes of type t: raw * 2^-F, as Fixed::value computes it
/// (a product with the power of two is the same correctly rounded result as
/// ldexp when 2^-F is a normal double).
struct ToValue {
  explicit ToValue(const Fixed& t) : type(t), fast(t.frac_bits() > -1000 && t.frac_bits() < 1000),
                                     scale(fast ? std::ldexp(1.0, -t.frac_bits()) : 1.0) {}
  double operator()(int64_t raw) const { return fast ? double(raw) * scale : type.value(raw); }
  Fixed type;
  bool fast;
  double scale;
};

/// One operand of an elementwise kernel: a buffer or constant raw codes.
struct Operand {
  int buf = -1;                 ///< buffer index, or -1 for a constant
  std::vector<int64_t> konst;   ///< constant raw codes (per event)
  Fixed type;
  std::vector<int64_t> map;     ///< output element → operand element
};

/// Kernel kinds (the op names of the typed graph).
enum class K { Dense, Add, Sub, Mul, Relu, Cast, LeakyRelu, BipolarQuant, Sigmoid, Softmax, BatchNorm, Threshold,
               ReduceSum, ReduceMax, Move, InputQuant };

K kind_of(const std::string& op) {
  static const std::map<std::string, K> m = {
      {"Dense", K::Dense},         {"Add", K::Add},       {"Sub", K::Sub},         {"Mul", K::Mul},
      {"Relu", K::Relu},           {"Cast", K::Cast},     {"LeakyRelu", K::LeakyRelu},
      {"BipolarQuant", K::BipolarQuant}, {"Sigmoid", K::Sigmoid}, {"Softmax", K::Softmax},
      {"BatchNorm", K::BatchNorm}, {"Threshold", K::Threshold}, {"ReduceSum", K::ReduceSum},
      {"ReduceMax", K::ReduceMax},
      {"Move", K::Move},           {"InputQuant", K::InputQuant}};
  return m.at(op);
}

struct Step {
  std::string name, op;
  K kind = K::Cast;
  int out = -1;
  Fixed result;
  std::vector<Operand> ops;
  // Dense
  int64_t n_in = 0, n_out = 0, outer = 1;
  std::vector<int64_t> w, b;
  Fixed tw, tb, acc;
  bool exact_acc = false;
  int f64_mode = 0;                        // 1: exact sum in doubles, 2: floor per product in doubles
  std::vector<double> wd;                  // weights as doubles (pre-scaled for mode 2)
  std::vector<int64_t> b_acc;              // bias cast to accum (mode 2)
  // generic per-element data
  std::vector<int64_t> map, map_src;       // Move / ReduceSum groups
  std::vector<int64_t> group_start;        // ReduceSum: start of each output's terms in map
  std::vector<int64_t> chan;               // channel per element (BatchNorm, Threshold)
  std::vector<std::vector<int64_t>> thr;   // Threshold: per channel thresholds
  std::vector<int> thr_dir;                // +1 increasing, -1 decreasing
  int64_t thr_base = 0;
  int64_t thr_step = 1;                    // output codes per threshold reached
  std::vector<int64_t> scale, offset;      // BatchNorm raw codes
  int64_t alpha = 0;                       // LeakyRelu raw code
  Node node;                               // Softmax (axis), InputQuant (steps)
  Shape shape;                             // per-event shape of the input (Softmax)
  std::vector<float> pre_consts_first;     // InputQuant
  std::vector<std::vector<float>> pre_consts;
  std::vector<std::vector<int64_t>> pre_maps;
  CastPlan to_result;                      // from the step's working binary point to the result type
  CastPlan to_acc, acc_to_result;          // Dense / ReduceSum: into accum, accum → result
  CastPlan acc_wrap;                       // Dense: accum-grid values wrapped into accum
  std::vector<CastPlan> move_plans;        // Move: per input
  std::vector<int64_t> b_fp;               // Dense: bias at the products' binary point
  bool small = false;                      // Add/Sub/Mul: 64-bit arithmetic is exact
  int in_col = 0;                          // InputQuant: graph input column offset
  int64_t in_size = 0;
  // fast paths
  int64_t ldw = 0;                         // Dense f64: padded W columns (multiple of 8)
  std::vector<double> wpad;                // Dense f64: W padded to ldw columns
  bool acc_to_result_id = false;           // Dense: accum → result is the identity
  bool contiguous = false;                 // unary op: operand is a buffer read element by element
  DoubleCast result_dc;                    // Softmax, Sigmoid, InputQuant: double → result
  bool sm_fast = false;                    // Softmax: groups known at compile time
  int64_t sm_outer = 0, sm_len = 0, sm_inner = 0;
  std::vector<std::string> pre_ops;        // InputQuant: parsed steps
  std::vector<int64_t> pre_cf;             // InputQuant: const_first per step
};

inline int64_t q(i128 v, int frac, const Fixed& t) { return quantize(v, frac, t); }

/// Worker threads for a run of `rows` events: set_threads() when > 0, else
/// NANOGATE_THREADS when set and > 0, else every hardware thread; at most one
/// per kRowsPerThread rows.
int threads_for(int64_t rows, int configured) {
  int t = configured;
  if (t <= 0) {
    const char* e = std::getenv("NANOGATE_THREADS");
    if (e && *e) t = std::atoi(e);
  }
  if (t <= 0) t = int(std::thread::hardware_concurrency());
  if (t <= 0) t = 1;
  int64_t by_rows = rows / kRowsPerThread;
  if (by_rows < t) t = int(std::max<int64_t>(by_rows, 1));
  return t;
}

}  // namespace

struct Emulator::Impl {
  const Model* model = nullptr;
  bool float_mode = false;
  std::vector<Buffer> bufs;
  std::map<std::string, int> buf_of;
  std::vector<Step> steps;
  std::vector<std::pair<int, int64_t>> inputs;   // typed graph inputs: buffer, column offset
  std::vector<int> outputs;
  int64_t in_size = 0, out_size = 0;
  struct FwPort {
    std::string tensor;
    int buf = -1;
    int64_t col = 0;
  };
  std::vector<FwPort> fw_ports;  // firmware input ports: typed graph inputs and InputQuant outputs
  int64_t fw_size = 0;
  std::vector<DoubleCast> input_dc;  // per typed graph input: double → its type
  std::vector<std::string> input_names;  // per typed graph input
  int threads = 0;                   // set_threads(); 0: NANOGATE_THREADS or all cores

  EmulatorResult run_typed(const double* x, const int64_t* fw, int64_t rows, bool trace,
                           const std::vector<std::string>& names) const;
  /// Events [row0, row0 + rows) into res (which is sized for all events).
  void run_range(const double* x, const int64_t* fw, int64_t row0, int64_t rows, bool trace,
                 const std::set<std::string>& want, EmulatorResult& res) const;

  [[noreturn]] void fail(const Node& n, const std::string& why) const {
    throw Error(model->source, n.name, n.op, why);
  }

  int buffer(const Graph& g, const std::string& name) {
    auto it = buf_of.find(name);
    if (it != buf_of.end()) return it->second;
    const Tensor& t = g.tensor(name);
    if (!t.type) throw Error(model->source, "tensor '" + name + "' has no fixed-point type");
    Buffer b;
    b.size = t.size();
    b.type = *t.type;
    b.dq_scale = t.dequant_scale;
    b.dq_offset = t.dequant_offset;
    if (b.dq_offset.empty()) b.dq_offset.assign(b.dq_scale.size(), 0.0);
    bufs.push_back(b);
    buf_of[name] = int(bufs.size()) - 1;
    return int(bufs.size()) - 1;
  }

  std::vector<int64_t> raw_of(const std::vector<double>& v, const Fixed& t) {
    std::vector<int64_t> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) r[i] = quantize(v[i], t);
    return r;
  }

  Operand operand(const Graph& g, const Node& n, const std::string& name, const Shape& out_shape) {
    const Tensor& t = g.tensor(name);
    Operand o;
    if (t.is_const) {
      o.type = *n.precision.weight;
      o.konst = raw_of(t.values, o.type);
      o.map = operand_map(t, out_shape);
    } else {
      o.buf = buffer(g, name);
      o.type = bufs[o.buf].type;
      o.map = operand_map(t, out_shape);
    }
    return o;
  }

  void compile_typed() {
    const Graph& g = model->graph;
    int64_t col = 0;
    std::map<std::string, int64_t> input_col;
    for (auto& in : g.inputs) {
      input_col[in] = col;
      const Tensor& t = g.tensor(in);
      if (t.type) {
        inputs.push_back({buffer(g, in), col});
        input_dc.emplace_back(*t.type);
        input_names.push_back(in);
      }
      col += t.size();
    }
    in_size = col;
    for (const Node& n : g.nodes) {
      Step s;
      s.name = n.name;
      s.op = n.op;
      s.node = n;
      if (n.op != "Dense" && n.op != "Add" && n.op != "Sub" && n.op != "Mul" && n.op != "Relu" && n.op != "Cast" &&
          n.op != "LeakyRelu" && n.op != "BipolarQuant" && n.op != "Sigmoid" && n.op != "Softmax" &&
          n.op != "BatchNorm" && n.op != "Threshold" && n.op != "ReduceSum" && n.op != "ReduceMax" && n.op != "Move" && n.op != "InputQuant")
        fail(n, "the emulator has no kernel for op '" + n.op + "'");
      s.kind = kind_of(n.op);
      s.result = *n.precision.result;
      s.out = buffer(g, n.outputs.at(0));
      const Shape& oshape = g.tensor(n.outputs[0]).shape;
      if (n.op == "Dense") {
        const Tensor& W = g.tensor(n.inputs[1]);
        s.ops.push_back(operand(g, n, n.inputs[0], g.tensor(n.inputs[0]).shape));
        s.n_in = W.shape[0];
        s.n_out = W.shape[1];
        s.outer = g.tensor(n.inputs[0]).size() / s.n_in;
        s.tw = *n.precision.weight;
        s.w = raw_of(W.values, s.tw);
        s.acc = *n.precision.accum;
        if (n.inputs.size() > 2) {
          s.tb = *n.precision.bias;
          s.b = raw_of(g.tensor(n.inputs[2]).values, s.tb);
        } else {
          s.tb = Fixed{true, 1, 1};
          s.b.assign(size_t(s.n_out), 0);
        }
        int fp = s.ops[0].type.frac_bits() + s.tw.frac_bits();
        // Products and bias land exactly in accum, and accum wraps: the sum
        // can be formed exactly and wrapped once (modular arithmetic).
        s.exact_acc = s.acc.overflow == Overflow::WRAP && s.acc.frac_bits() >= fp &&
                      s.acc.frac_bits() >= s.tb.frac_bits() && s.tb.frac_bits() <= fp &&
                      s.ops[0].type.width + s.tw.width + 24 < 63;
        s.to_acc = CastPlan(fp, s.acc);
        s.acc_to_result = CastPlan(s.acc.frac_bits(), s.result);
        s.acc_wrap = CastPlan(s.acc.frac_bits(), s.acc);
        for (int64_t bv : s.b) s.b_fp.push_back(s.exact_acc ? bv << (fp - s.tb.frac_bits()) : 0);
        // Double-precision kernels when interval bounds keep every partial sum below 2^53.
        int lg = 1;
        while ((int64_t(1) << lg) < s.n_in + 1) ++lg;
        int prod_bits = s.ops[0].type.width + s.tw.width;
        int d = fp - s.acc.frac_bits();
        if (s.exact_acc && prod_bits + lg <= 51) {
          s.f64_mode = 1;
          s.wd.assign(s.w.begin(), s.w.end());
        } else if (s.acc.overflow == Overflow::WRAP && s.acc.rounding == Rounding::TRN && d > 0 && d < 60 &&
                   prod_bits <= 52 && prod_bits - d + lg <= 51 && s.tb.frac_bits() <= s.acc.frac_bits() + 60) {
          s.f64_mode = 2;
          for (int64_t wv : s.w) s.wd.push_back(std::ldexp(double(wv), -d));
          for (int64_t bv : s.b) s.b_acc.push_back(quantize(i128(bv), s.tb.frac_bits(), s.acc));
        }
        if (s.f64_mode) {
          s.ldw = (s.n_out + 7) / 8 * 8;
          s.wpad.assign(size_t(s.n_in * s.ldw), 0.0);
          for (int64_t i = 0; i < s.n_in; ++i)
            for (int64_t j = 0; j < s.n_out; ++j) s.wpad[i * s.ldw + j] = s.wd[i * s.n_out + j];
        }
        s.acc_to_result_id = s.acc_to_result.identity_for(s.acc);
      } else if (n.op == "Add" || n.op == "Sub" || n.op == "Mul") {
        for (auto& i : n.inputs) s.ops.push_back(operand(g, n, i, oshape));
        const Fixed &ta = s.ops[0].type, &tb = s.ops[1].type;
        int f = n.op == "Mul" ? ta.frac_bits() + tb.frac_bits() : std::max(ta.frac_bits(), tb.frac_bits());
        int span = n.op == "Mul" ? ta.width + tb.width
                                 : std::max(ta.width + f - ta.frac_bits(), tb.width + f - tb.frac_bits()) + 1;
        s.small = span < 62;
        s.to_result = CastPlan(f, s.result);
      } else if (n.op == "Relu" || n.op == "Cast" || n.op == "Sigmoid" || n.op == "BipolarQuant") {
        s.ops.push_back(operand(g, n, n.inputs[0], oshape));
        s.to_result = CastPlan(s.ops[0].type.frac_bits(), s.result);
        s.result_dc = DoubleCast(s.result);
      } else if (n.op == "LeakyRelu") {
        s.ops.push_back(operand(g, n, n.inputs[0], oshape));
        s.tw = *n.precision.weight;
        s.alpha = quantize(n.attr_float("alpha", 0.01), s.tw);
      } else if (n.op == "Softmax") {
        s.ops.push_back(operand(g, n, n.inputs[0], oshape));
        s.shape = g.tensor(n.inputs[0]).shape;
        s.result_dc = DoubleCast(s.result);
        compile_softmax(s);
      } else if (n.op == "BatchNorm" || n.op == "Threshold") {
        s.ops.push_back(operand(g, n, n.inputs[0], oshape));
        std::vector<double> sc, of;
        if (n.op == "BatchNorm") batchnorm_affine(g, n, sc, of);
        else threshold_affine(g, n, sc, of);
        s.chan = channel_map(n, oshape, int64_t(sc.size()), model->source);
        if (n.op == "BatchNorm") {
          s.tw = *n.precision.weight;
          s.tb = *n.precision.bias;
          s.scale = raw_of(sc, s.tw);
          s.offset = raw_of(of, s.tb);
        } else {
          compile_thresholds(s, g, n);
        }
      } else if (n.op == "ReduceSum") {
        s.ops.push_back(operand(g, n, n.inputs[0], g.tensor(n.inputs[0]).shape));
        s.acc = *n.precision.accum;
        s.to_acc = CastPlan(s.ops[0].type.frac_bits(), s.acc);
        s.acc_to_result = CastPlan(s.acc.frac_bits(), s.result);
        compile_reduce(s, g.tensor(n.inputs[0]).shape);
      } else if (n.op == "ReduceMax") {
        s.ops.push_back(operand(g, n, n.inputs[0], g.tensor(n.inputs[0]).shape));
        s.to_result = CastPlan(s.ops[0].type.frac_bits(), s.result);
        compile_reduce(s, g.tensor(n.inputs[0]).shape);
      } else if (n.op == "Move") {
        auto map = n.attr_ints("map", {});
        int64_t offset = 0;
        std::vector<int64_t> starts;
        for (auto& i : n.inputs) {
          s.ops.push_back(operand(g, n, i, g.tensor(i).shape));
          s.move_plans.emplace_back(s.ops.back().type.frac_bits(), s.result);
          starts.push_back(offset);
          offset += g.tensor(i).size();
        }
        for (int64_t m : map) {
          if (m < 0) {  // a zero (padding)
            s.map_src.push_back(-1);
            s.map.push_back(0);
            continue;
          }
          int k = int(std::upper_bound(starts.begin(), starts.end(), m) - starts.begin()) - 1;
          s.map_src.push_back(k);
          s.map.push_back(m - starts[k]);
        }
      } else if (n.op == "InputQuant") {
        const std::string& in = n.inputs[0];
        s.in_col = int(input_col.at(in));
        s.in_size = g.tensor(in).size();
        const Shape& ishape = g.tensor(in).shape;
        for (size_t k = 1; k < n.inputs.size(); ++k) {
          const Tensor& c = g.tensor(n.inputs[k]);
          std::vector<float> v(c.values.begin(), c.values.end());
          Shape cs = c.shape;
          if (cs.size() == ishape.size() + 1) cs.erase(cs.begin());
          s.pre_consts.push_back(v);
          s.pre_maps.push_back(broadcast_map(cs, oshape));
        }
        std::string steps = s.node.attr_str("steps", "");
        for (size_t p = 0; !steps.empty() && p != std::string::npos;) {
          size_t e = steps.find(',', p);
          s.pre_ops.push_back(steps.substr(p, e == std::string::npos ? e : e - p));
          p = e == std::string::npos ? e : e + 1;
        }
        s.pre_cf = s.node.attr_ints("const_first", {});
        s.result_dc = DoubleCast(s.result);
      } else {
        fail(n, "the emulator has no kernel for op '" + n.op + "'");
      }
      if ((s.kind == K::Relu || s.kind == K::Cast || s.kind == K::BipolarQuant || s.kind == K::Sigmoid ||
           s.kind == K::Softmax) && s.ops.size() == 1 && s.ops[0].buf >= 0 &&
          bufs[s.ops[0].buf].size == bufs[s.out].size) {
        bool id = int64_t(s.ops[0].map.size()) == bufs[s.out].size;
        for (int64_t i = 0; i < int64_t(s.ops[0].map.size()) && id; ++i) id = s.ops[0].map[i] == i;
        s.contiguous = id;
      }
      steps.push_back(std::move(s));
    }
    for (auto& in : g.inputs) {  // firmware ports, in graph-input order
      std::string t = in;
      for (auto& n : g.nodes)
        if (n.op == "InputQuant" && n.inputs[0] == in) t = n.outputs[0];
      if (!g.tensor(t).type) continue;
      fw_ports.push_back({t, buffer(g, t), fw_size});
      fw_size += g.tensor(t).size();
    }
    for (auto& o : g.outputs) {
      outputs.push_back(buffer(g, o));
      out_size += bufs[outputs.back()].size;
    }
  }

  /// Softmax groups as eval_float (float_ops.cpp) forms them for one batched
  /// event; when the axis is not valid the generic path (eval_float) reports it.
  void compile_softmax(Step& s) {
    const Node& n = s.node;
    int64_t opset = n.attr_int("_opset", 13);
    int64_t axis = n.attr_int("axis", opset >= 13 ? -1 : 1);
    int64_t full = int64_t(s.shape.size()) + 1;
    if (axis < 0) axis += full;
    if (axis <= 0 || axis >= full) return;
    size_t ax = size_t(axis - 1);
    int64_t size = 1;
    for (int64_t d : s.shape) size *= d;
    int64_t inner = 1, len = s.shape[ax];
    if (opset >= 13) {
      for (size_t d = ax + 1; d < s.shape.size(); ++d) inner *= s.shape[d];
    } else {
      len = 1;
      for (size_t d = ax; d < s.shape.size(); ++d) len *= s.shape[d];
    }
    if (size != bufs[s.out].size) return;
    s.sm_outer = len * inner == 0 ? 0 : size / (len * inner);
    s.sm_len = len;
    s.sm_inner = inner;
    s.sm_fast = true;
  }

  void compile_reduce(Step& s, const Shape& in_shape) {
    ReduceGroups r = reduce_groups(s.node, in_shape, model->source);
    s.map = std::move(r.map);
    s.group_start = std::move(r.start);
  }

  /// Threshold: for each channel, the input codes where the output code of
  /// quantize(BN(x)) steps up (compute_thresholds, layer_tables.hpp).
  void compile_thresholds(Step& s, const Graph& g, const Node& n) {
    ThresholdTable t = compute_thresholds(g, n, s.ops[0].type);
    s.thr_base = t.base;
    s.thr_step = t.step;
    s.thr_dir = std::move(t.dir);
    s.thr = std::move(t.thr);
  }

  // ---- kernels: each processes `rows` events of the chunk held in `w` ----
  void run_step(const Step& s, Work& w, int64_t rows, const double* x, int64_t x_stride) const {
    int64_t osz = bufs[s.out].size;
    int64_t* odata = w.data[s.out].data();
    const Fixed& R = s.result;
    auto in_of = [&](const Operand& o, int64_t r, int64_t i) -> int64_t {
      return o.buf < 0 ? o.konst[o.map[i]] : w.data[o.buf][r * bufs[o.buf].size + o.map[i]];
    };
    if (s.kind == K::Dense) {
      const Operand& xo = s.ops[0];
      const Buffer& xb = bufs[xo.buf];
      const int64_t* xdata = w.data[xo.buf].data();
      int fp = xo.type.frac_bits() + s.tw.frac_bits(), fa = s.acc.frac_bits(), fb = s.tb.frac_bits();
      if (s.f64_mode) {
        // The input rows are contiguous (xb.size == outer * n_in): m rows of n_in.
        int64_t m = rows * s.outer, nx = rows * xb.size;
        if (int64_t(w.xd.size()) < nx) w.xd.resize(size_t(nx));
        if (int64_t(w.cd.size()) < m * s.ldw) w.cd.resize(size_t(m * s.ldw));
        double* xd = w.xd.data();
        double* cd = w.cd.data();
        codes_to_f64(xdata, xd, nx);
        dense_f64_padded(xd, m, s.n_in, s.wpad.data(), s.ldw, cd, s.f64_mode == 2);
        f64_to_codes(cd, m, s.ldw, s.n_out, s.f64_mode == 1 ? s.b_fp.data() : s.b_acc.data(), odata);
        int64_t n = m * s.n_out;  // == rows * osz
        (s.f64_mode == 1 ? s.to_acc : s.acc_wrap).apply(odata, odata, n);
        if (!s.acc_to_result_id) s.acc_to_result.apply(odata, odata, n);
        return;
      }
      w.acc.resize(size_t(s.n_out));
      w.acc64.resize(size_t(s.n_out));
      i128* acc = w.acc.data();
      int64_t* acc64 = w.acc64.data();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < s.outer; ++o) {
          const int64_t* xr = &xdata[r * xb.size + o * s.n_in];
          int64_t* yr = &odata[r * osz + o * s.n_out];
          if (s.exact_acc) {
            // exact sum at frac fp, bias shifted onto the accumulator's binary point
            std::fill(acc64, acc64 + s.n_out, 0);
            for (int64_t i = 0; i < s.n_in; ++i) {
              int64_t xv = xr[i];
              if (!xv) continue;
              const int64_t* wr = &s.w[i * s.n_out];
              for (int64_t j = 0; j < s.n_out; ++j) acc64[j] += xv * wr[j];
            }
            for (int64_t j = 0; j < s.n_out; ++j) yr[j] = s.acc_to_result(s.to_acc(acc64[j] + s.b_fp[j]));
          } else {
            for (int64_t j = 0; j < s.n_out; ++j) acc[j] = q(s.b[j], fb, s.acc);
            bool wrap = s.acc.overflow == Overflow::WRAP;
            for (int64_t i = 0; i < s.n_in; ++i) {
              int64_t xv = xr[i];
              if (!xv) continue;
              const int64_t* wr = &s.w[i * s.n_out];
              for (int64_t j = 0; j < s.n_out; ++j) {
                int64_t m = q(i128(xv) * wr[j], fp, s.acc);
                acc[j] = wrap ? acc[j] + m : q(acc[j] + m, fa, s.acc);
              }
            }
            for (int64_t j = 0; j < s.n_out; ++j) {
              int64_t av = q(acc[j], fa, s.acc);
              yr[j] = q(av, fa, R);
            }
          }
        }
      return;
    }
    if (s.kind == K::Add || s.kind == K::Sub || s.kind == K::Mul) {
      const Operand &a = s.ops[0], &b = s.ops[1];
      int fa = a.type.frac_bits(), fb = b.type.frac_bits(), f = std::max(fa, fb);
      bool mul = s.kind == K::Mul, add = s.kind == K::Add;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          int64_t u = in_of(a, r, i), v = in_of(b, r, i), y;
          if (s.small) {
            int64_t z = mul ? u * v : (add ? (u << (f - fa)) + (v << (f - fb)) : (u << (f - fa)) - (v << (f - fb)));
            y = s.to_result(z);
          } else if (mul) {
            y = q(i128(u) * v, fa + fb, R);
          } else {
            i128 uu = i128(u) << (f - fa), vv = i128(v) << (f - fb);
            y = q(add ? uu + vv : uu - vv, f, R);
          }
          odata[r * osz + i] = y;
        }
      return;
    }
    if (s.kind == K::Relu || s.kind == K::Cast || s.kind == K::LeakyRelu || s.kind == K::BipolarQuant) {
      const Operand& a = s.ops[0];
      int fa = a.type.frac_bits();
      if (s.contiguous) {  // contiguous fast paths
        const int64_t* src = w.data[a.buf].data();
        int64_t n = rows * osz;
        if (s.kind == K::Relu) s.to_result.apply_relu(src, odata, n);
        else if (s.kind == K::Cast) s.to_result.apply(src, odata, n);
        else
          for (int64_t i = 0; i < n; ++i) odata[i] = src[i] >= 0 ? 1 : -1;
        return;
      }
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          int64_t v = in_of(a, r, i), y;
          if (s.kind == K::Relu) y = v > 0 ? s.to_result(v) : 0;
          else if (s.kind == K::Cast) y = s.to_result(v);
          else if (s.kind == K::BipolarQuant) y = v >= 0 ? 1 : -1;
          else y = v >= 0 ? q(v, fa, R) : q(i128(v) * s.alpha, fa + s.tw.frac_bits(), R);
          odata[r * osz + i] = y;
        }
      return;
    }
    if (s.kind == K::Sigmoid || s.kind == K::Softmax) {
      const Operand& a = s.ops[0];
      const Fixed& ta = a.type;
      const ToValue val(ta);
      if (s.kind == K::Sigmoid) {
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t i = 0; i < osz; ++i)
            odata[r * osz + i] = s.result_dc(1.0 / (1.0 + std::exp(-val(in_of(a, r, i)))));
        return;
      }
      if (s.sm_fast && s.contiguous) {
        // eval_float's Softmax, same operations in the same order, without allocations:
        // max, then sum of exp(a - max) in order, then exp(a - max) / sum.
        const int64_t* src = w.data[a.buf].data();
        if (int64_t(w.sm.size()) < 2 * osz) w.sm.resize(size_t(2 * osz));
        double* av = w.sm.data();
        double* ev = av + osz;
        const int64_t len = s.sm_len, inner = s.sm_inner;
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t i = 0; i < osz; ++i) av[i] = val(src[r * osz + i]);
          int64_t* yr = odata + r * osz;
          for (int64_t o_ = 0; o_ < s.sm_outer; ++o_)
            for (int64_t i = 0; i < inner; ++i) {
              double mx = -INFINITY, sum = 0;
              for (int64_t k = 0; k < len; ++k) mx = std::max(mx, av[(o_ * len + k) * inner + i]);
              for (int64_t k = 0; k < len; ++k) {
                int64_t idx = (o_ * len + k) * inner + i;
                ev[idx] = std::exp(av[idx] - mx);
                sum += ev[idx];
              }
              for (int64_t k = 0; k < len; ++k) {
                int64_t idx = (o_ * len + k) * inner + i;
                yr[idx] = s.result_dc(ev[idx] / sum);
              }
            }
        }
        return;
      }
      FArray fa{s.shape, std::vector<double>(size_t(osz))};
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t i = 0; i < osz; ++i) fa.v[i] = ta.value(in_of(a, r, i));
        FArray y = eval_float(s.node, {FArg{&fa, true}}, model->source)[0];
        for (int64_t i = 0; i < osz; ++i) odata[r * osz + i] = quantize(y.v[i], R);
      }
      return;
    }
    if (s.kind == K::BatchNorm) {
      const Operand& a = s.ops[0];
      int fx = a.type.frac_bits(), fs = s.tw.frac_bits(), fo = s.tb.frac_bits();
      int f = std::max(fx + fs, fo);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          int64_t c = s.chan[i];
          i128 v = (i128(in_of(a, r, i)) * s.scale[c] << (f - fx - fs)) + (i128(s.offset[c]) << (f - fo));
          odata[r * osz + i] = q(v, f, R);
        }
      return;
    }
    if (s.kind == K::Threshold) {
      const Operand& a = s.ops[0];
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          int64_t v = in_of(a, r, i), c = s.chan[i], y = 0;
          const std::vector<int64_t>& th = s.thr[c];
          if (s.thr_dir[c] > 0)
            for (int64_t t : th) y += v >= t;
          else
            for (int64_t t : th) y += v <= t;
          odata[r * osz + i] = s.thr_base + s.thr_step * y;
        }
      return;
    }
    if (s.kind == K::ReduceSum) {
      const Operand& a = s.ops[0];
      const Buffer& ab = bufs[a.buf];
      const int64_t* adata = w.data[a.buf].data();
      int fa = s.acc.frac_bits();
      bool wrap = s.acc.overflow == Overflow::WRAP;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < osz; ++o) {
          i128 acc = 0;
          for (int64_t k = s.group_start[o]; k < s.group_start[o + 1]; ++k) {
            int64_t term = s.to_acc(adata[r * ab.size + s.map[k]]);
            acc = wrap ? acc + term : q(acc + term, fa, s.acc);
          }
          odata[r * osz + o] = s.acc_to_result(q(acc, fa, s.acc));
        }
      return;
    }
    if (s.kind == K::ReduceMax) {
      const Operand& a = s.ops[0];
      const int64_t asz = bufs[a.buf].size;
      const int64_t* adata = w.data[a.buf].data();
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < osz; ++o) {
          int64_t m = adata[r * asz + s.map[s.group_start[o]]];
          for (int64_t k = s.group_start[o] + 1; k < s.group_start[o + 1]; ++k) m = std::max(m, adata[r * asz + s.map[k]]);
          odata[r * osz + o] = s.to_result(m);
        }
      return;
    }
    if (s.kind == K::Move) {
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          if (s.map_src[i] < 0) {
            odata[r * osz + i] = 0;
            continue;
          }
          const Operand& a = s.ops[s.map_src[i]];
          const int64_t asz = bufs[a.buf].size;
          odata[r * osz + i] = s.move_plans[s.map_src[i]](w.data[a.buf][r * asz + s.map[i]]);
        }
      return;
    }
    if (s.kind == K::InputQuant) {
      const auto& ops = s.pre_ops;
      const auto& cf = s.pre_cf;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          float v = float(x[r * x_stride + s.in_col + (s.in_size == osz ? i : 0)]);
          for (size_t k = 0; k < ops.size(); ++k) {
            float c = s.pre_consts[k][s.pre_maps[k][i]];
            float a = cf[k] ? c : v, b = cf[k] ? v : c;
            if (ops[k] == "Mul") v = a * b;
            else if (ops[k] == "Div") v = a / b;
            else if (ops[k] == "Add") v = a + b;
            else if (ops[k] == "Sign") v = v >= 0 ? 1.0f : -1.0f;  // BipolarQuant
            else v = a - b;
          }
          odata[r * osz + i] = s.result_dc(double(v));
        }
      return;
    }
    fail(s.node, "no kernel");
  }
};

Emulator::Emulator(const Model& model, bool float_mode) : impl_(std::make_unique<Impl>()) {
  impl_->model = &model;
  impl_->float_mode = float_mode;
  if (float_mode) {
    const Graph& g = model.reference;
    for (auto& in : g.inputs) impl_->in_size += g.tensor(in).size();
    for (auto& o : g.outputs) impl_->out_size += g.tensor(o).size();
  } else {
    impl_->compile_typed();
  }
}
Emulator::~Emulator() = default;
int64_t Emulator::input_size() const { return impl_->in_size; }
int64_t Emulator::output_size() const { return impl_->out_size; }

namespace {

/// The float emulator: the ONNX-level graph evaluated event by event in double.
EmulatorResult run_float(const Model& m, const double* x, int64_t rows, int64_t in_size, int64_t out_size, bool trace,
                         const std::vector<std::string>& names) {
  const Graph& g = m.reference;
  EmulatorResult res;
  res.rows = rows;
  res.cols = out_size;
  res.values.resize(size_t(rows * out_size));
  std::set<std::string> want(names.begin(), names.end());
  for (int64_t r = 0; r < rows; ++r) {
    std::map<std::string, FArray> vals;
    int64_t col = 0;
    for (auto& in : g.inputs) {
      const Tensor& t = g.tensor(in);
      vals[in] = FArray{t.shape, std::vector<double>(x + r * in_size + col, x + r * in_size + col + t.size())};
      col += t.size();
    }
    for (const Node& n : g.nodes) {
      std::vector<FArg> args;
      std::vector<FArray> consts(n.inputs.size());
      for (size_t k = 0; k < n.inputs.size(); ++k) {
        const std::string& i = n.inputs[k];
        if (i.empty()) {
          args.push_back({nullptr, false});
        } else if (g.tensor(i).is_const) {
          consts[k] = FArray{g.tensor(i).shape, g.tensor(i).values};
          args.push_back({&consts[k], false});
        } else {
          args.push_back({&vals.at(i), true});
        }
      }
      auto outs = eval_float(n, args, m.source);
      for (size_t k = 0; k < n.outputs.size() && k < outs.size(); ++k) vals[n.outputs[k]] = std::move(outs[k]);
    }
    int64_t oc = 0;
    for (auto& o : g.outputs) {
      const auto& v = vals.at(o).v;
      std::copy(v.begin(), v.end(), res.values.begin() + r * out_size + oc);
      oc += int64_t(v.size());
    }
    if (trace)
      for (auto& [name, a] : vals)
        if (want.empty() || want.count(name)) {
          auto& tv = res.trace[name];
          tv.insert(tv.end(), a.v.begin(), a.v.end());
        }
  }
  return res;
}

}  // namespace

EmulatorResult Emulator::run(const double* x, int64_t rows, bool trace, const std::vector<std::string>& names) const {
  const Impl& I = *impl_;
  if (I.float_mode) return run_float(*I.model, x, rows, I.in_size, I.out_size, trace, names);
  return I.run_typed(x, nullptr, rows, trace, names);
}

std::vector<FirmwarePort> Emulator::firmware_inputs() const {
  const Impl& I = *impl_;
  if (I.float_mode) throw Error(I.model->source, "firmware ports exist in fixed-point mode only");
  std::vector<FirmwarePort> ports;
  for (auto& p : I.fw_ports) ports.push_back({p.tensor, I.bufs[p.buf].type, I.bufs[p.buf].size});
  return ports;
}

EmulatorResult Emulator::run_firmware(const int64_t* raw, int64_t rows, bool trace,
                                      const std::vector<std::string>& names) const {
  const Impl& I = *impl_;
  if (I.float_mode) throw Error(I.model->source, "run_firmware needs fixed-point mode");
  return I.run_typed(nullptr, raw, rows, trace, names);
}

void Emulator::set_threads(int n) { impl_->threads = n < 0 ? 0 : n; }
int Emulator::threads() const { return impl_->threads; }

EmulatorResult Emulator::Impl::run_typed(const double* x, const int64_t* fw, int64_t rows, bool trace,
                                         const std::vector<std::string>& names) const {
  EmulatorResult res;
  res.rows = rows;
  res.cols = out_size;
  res.values.resize(size_t(rows * out_size));
  res.raw.resize(size_t(rows * out_size));
  std::set<std::string> want(names.begin(), names.end());
  // Traces are appended in event order: one thread.
  int nt = trace ? 1 : threads_for(rows, threads);
  if (nt <= 1) {
    run_range(x, fw, 0, rows, trace, want, res);
    return res;
  }
  // Contiguous row ranges, one per thread, each with its own buffers, writing
  // disjoint rows of res. The error of the earliest failing range is the one
  // a single thread would have raised first.
  std::vector<std::exception_ptr> errs(static_cast<size_t>(nt));
  std::vector<std::thread> pool;
  int64_t per = (rows + nt - 1) / nt;
  for (int t = 0; t < nt; ++t) {
    int64_t a = std::min(rows, t * per), b = std::min(rows, a + per);
    auto job = [&, t, a, b] {
      try {
        run_range(x, fw, a, b - a, false, want, res);
      } catch (...) {
        errs[size_t(t)] = std::current_exception();
      }
    };
    if (t + 1 < nt) pool.emplace_back(job);
    else job();  // the calling thread takes the last range
  }
  for (auto& th : pool) th.join();
  for (auto& e : errs)
    if (e) std::rethrow_exception(e);
  return res;
}

void Emulator::Impl::run_range(const double* x, const int64_t* fw, int64_t row0, int64_t rows, bool trace,
                               const std::set<std::string>& want, EmulatorResult& res) const {
  const Impl& I = *this;
  Work w;
  w.data.resize(I.bufs.size());
  for (size_t k = 0; k < I.bufs.size(); ++k) w.data[k].assign(size_t(kChunk * I.bufs[k].size), 0);
  std::vector<ToValue> out_val;
  for (int bi : I.outputs) out_val.emplace_back(I.bufs[bi].type);
  for (int64_t c0 = 0; c0 < rows; c0 += kChunk) {
    int64_t r0 = row0 + c0;  // absolute event index of the chunk's first row
    int64_t n = std::min(kChunk, rows - c0);
    if (fw) {  // raw codes at the firmware ports
      for (auto& p : I.fw_ports) {
        const Buffer& b = I.bufs[p.buf];
        int64_t* bd = w.data[p.buf].data();
        const int64_t lo = b.type.min_raw(), hi = b.type.max_raw();
        for (int64_t r = 0; r < n; ++r)
          for (int64_t i = 0; i < b.size; ++i) {
            int64_t v = fw[(r0 + r) * I.fw_size + p.col + i];
            if (v < lo || v > hi)
              throw Error(I.model->source, "firmware input event " + std::to_string(r0 + r) + ", port '" + p.tensor +
                                               "' element " + std::to_string(i) + ": code " + std::to_string(v) +
                                               " outside " + b.type.str());
            bd[r * b.size + i] = v;
          }
      }
      for (const Step& s : I.steps)
        if (s.kind != K::InputQuant) I.run_step(s, w, n, nullptr, 0);
    } else {
      const double* xc = x + r0 * I.in_size;
      for (size_t ii = 0; ii < I.inputs.size(); ++ii) {
        auto [bi, col] = I.inputs[ii];
        const Buffer& b = I.bufs[bi];
        const DoubleCast& dc = I.input_dc[ii];
        int64_t* bd = w.data[bi].data();
        for (int64_t r = 0; r < n; ++r)
          for (int64_t i = 0; i < b.size; ++i) {
            double v = xc[r * I.in_size + col + i];
            int64_t raw;
            // In range after rounding: quantize(v) and, for WRAP, every check below passes.
            if (dc.in_range(v, raw)) [[likely]] {
              bd[r * b.size + i] = raw;
              continue;
            }
            raw = quantize(v, b.type);
            if (b.type.overflow == Overflow::WRAP) {
              Fixed sat = b.type;
              sat.overflow = Overflow::SAT;
              double lsb = b.type.lsb();
              if (std::isnan(v) || quantize(v, sat) != raw || v > b.type.value(b.type.max_raw()) + lsb ||
                  v < b.type.value(b.type.min_raw()) - lsb)
                throw Error(I.model->source, "input '" + I.input_names[ii] + "' event " + std::to_string(r0 + r) +
                                                 ", value " + std::to_string(col + i) + " = " + std::to_string(v) +
                                                 " is outside the input type " + b.type.str() +
                                                 " (configure a wider one: LayerName." + I.input_names[ii] +
                                                 ".Precision.result)");
            }
            bd[r * b.size + i] = raw;
          }
      }
      for (const Step& s : I.steps) I.run_step(s, w, n, xc, I.in_size);
    }
    int64_t oc = 0;
    for (size_t k = 0; k < I.outputs.size(); ++k) {
      const Buffer& b = I.bufs[I.outputs[k]];
      const int64_t* bd = w.data[I.outputs[k]].data();
      const ToValue& val = out_val[k];
      for (int64_t r = 0; r < n; ++r) {
        int64_t* rawp = &res.raw[size_t((r0 + r) * I.out_size + oc)];
        double* valp = &res.values[size_t((r0 + r) * I.out_size + oc)];
        for (int64_t i = 0; i < b.size; ++i) {
          int64_t raw = bd[r * b.size + i];
          rawp[i] = raw;
          valp[i] = b.model_value(val(raw), i);
        }
      }
      oc += b.size;
    }
    if (trace)
      for (auto& [name, bi] : I.buf_of)
        if (want.empty() || want.count(name)) {
          const Buffer& b = I.bufs[bi];
          auto& tv = res.trace[name];
          auto& tr = res.trace_raw[name];
          for (int64_t k = 0; k < n * b.size; ++k) {
            tv.push_back(b.model_value(b.type.value(w.data[bi][k]), k % b.size));
            tr.push_back(w.data[bi][k]);
          }
        }
  }
}

}  // namespace nanogate
