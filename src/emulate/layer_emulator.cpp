// nanogate — the bit-exact layer emulator (include/nanogate/emulate/emulator.hpp).
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <set>

#include "emulate/cast.hpp"
#include "emulate/dense_kernels.hpp"
#include "emulate/layer_tables.hpp"
#include "emulate/float_ops.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"

namespace nanogate {

namespace {

constexpr int64_t kChunk = 256;  // events per kernel call

/// A runtime buffer per tensor: chunk × size raw codes.
struct Buffer {
  int64_t size = 0;
  Fixed type;
  std::vector<int64_t> data;
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
               ReduceSum, Move, InputQuant };

K kind_of(const std::string& op) {
  static const std::map<std::string, K> m = {
      {"Dense", K::Dense},         {"Add", K::Add},       {"Sub", K::Sub},         {"Mul", K::Mul},
      {"Relu", K::Relu},           {"Cast", K::Cast},     {"LeakyRelu", K::LeakyRelu},
      {"BipolarQuant", K::BipolarQuant}, {"Sigmoid", K::Sigmoid}, {"Softmax", K::Softmax},
      {"BatchNorm", K::BatchNorm}, {"Threshold", K::Threshold}, {"ReduceSum", K::ReduceSum},
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
};

inline int64_t q(i128 v, int frac, const Fixed& t) { return quantize(v, frac, t); }

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

  EmulatorResult run_typed(const double* x, const int64_t* fw, int64_t rows, bool trace,
                           const std::vector<std::string>& names);

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
      if (t.type) inputs.push_back({buffer(g, in), col});
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
          n.op != "BatchNorm" && n.op != "Threshold" && n.op != "ReduceSum" && n.op != "Move" && n.op != "InputQuant")
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
      } else if (n.op == "LeakyRelu") {
        s.ops.push_back(operand(g, n, n.inputs[0], oshape));
        s.tw = *n.precision.weight;
        s.alpha = quantize(n.attr_float("alpha", 0.01), s.tw);
      } else if (n.op == "Softmax") {
        s.ops.push_back(operand(g, n, n.inputs[0], oshape));
        s.shape = g.tensor(n.inputs[0]).shape;
      } else if (n.op == "BatchNorm" || n.op == "Threshold") {
        s.ops.push_back(operand(g, n, n.inputs[0], oshape));
        std::vector<double> sc, of;
        batchnorm_affine(g, n, sc, of);
        s.chan = channel_map(n, oshape, int64_t(sc.size()), model->source);
        if (n.op == "BatchNorm") {
          s.tw = *n.precision.weight;
          s.tb = *n.precision.bias;
          s.scale = raw_of(sc, s.tw);
          s.offset = raw_of(of, s.tb);
        } else {
          compile_thresholds(s, sc, of);
        }
      } else if (n.op == "ReduceSum") {
        s.ops.push_back(operand(g, n, n.inputs[0], g.tensor(n.inputs[0]).shape));
        s.acc = *n.precision.accum;
        s.to_acc = CastPlan(s.ops[0].type.frac_bits(), s.acc);
        s.acc_to_result = CastPlan(s.acc.frac_bits(), s.result);
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
      } else {
        fail(n, "the emulator has no kernel for op '" + n.op + "'");
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

  void compile_reduce(Step& s, const Shape& in_shape) {
    ReduceGroups r = reduce_groups(s.node, in_shape, model->source);
    s.map = std::move(r.map);
    s.group_start = std::move(r.start);
  }

  /// Threshold: for each channel, the input codes where the output code of
  /// quantize(BN(x)) steps up (compute_thresholds, layer_tables.hpp).
  void compile_thresholds(Step& s, const std::vector<double>& sc, const std::vector<double>& of) {
    ThresholdTable t = compute_thresholds(s.ops[0].type, s.result, sc, of);
    s.thr_base = t.base;
    s.thr_dir = std::move(t.dir);
    s.thr = std::move(t.thr);
  }

  // ---- kernels: each processes `rows` events of the chunk ----
  void run_step(const Step& s, int64_t rows, const double* x, int64_t x_stride) {
    Buffer& out = bufs[s.out];
    int64_t osz = out.size;
    const Fixed& R = s.result;
    auto in_of = [&](const Operand& o, int64_t r, int64_t i) -> int64_t {
      return o.buf < 0 ? o.konst[o.map[i]] : bufs[o.buf].data[r * bufs[o.buf].size + o.map[i]];
    };
    if (s.kind == K::Dense) {
      const Operand& xo = s.ops[0];
      const Buffer& xb = bufs[xo.buf];
      int fp = xo.type.frac_bits() + s.tw.frac_bits(), fa = s.acc.frac_bits(), fb = s.tb.frac_bits();
      if (s.f64_mode) {
        int64_t m = rows * s.outer;
        std::vector<double> xd(size_t(m * s.n_in)), cd(size_t(m * s.n_out));
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t k = 0; k < s.outer * s.n_in; ++k) xd[r * s.outer * s.n_in + k] = double(xb.data[r * xb.size + k]);
        if (s.f64_mode == 1) dense_exact_f64(xd.data(), m, s.n_in, s.wd.data(), s.n_out, cd.data());
        else dense_floor_f64(xd.data(), m, s.n_in, s.wd.data(), s.n_out, cd.data());
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t o = 0; o < s.outer; ++o) {
            const double* c = &cd[(r * s.outer + o) * s.n_out];
            int64_t* yr = &out.data[r * osz + o * s.n_out];
            if (s.f64_mode == 1)
              for (int64_t j = 0; j < s.n_out; ++j) yr[j] = s.acc_to_result(s.to_acc(int64_t(c[j]) + s.b_fp[j]));
            else
              for (int64_t j = 0; j < s.n_out; ++j) yr[j] = s.acc_to_result(s.acc_wrap(int64_t(c[j]) + s.b_acc[j]));
          }
        return;
      }
      std::vector<i128> acc(size_t(s.n_out));
      std::vector<int64_t> acc64(size_t(s.n_out));
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < s.outer; ++o) {
          const int64_t* xr = &xb.data[r * xb.size + o * s.n_in];
          int64_t* yr = &out.data[r * osz + o * s.n_out];
          if (s.exact_acc) {
            // exact sum at frac fp, bias shifted onto the accumulator's binary point
            std::fill(acc64.begin(), acc64.end(), 0);
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
          out.data[r * osz + i] = y;
        }
      return;
    }
    if (s.kind == K::Relu || s.kind == K::Cast || s.kind == K::LeakyRelu || s.kind == K::BipolarQuant) {
      const Operand& a = s.ops[0];
      int fa = a.type.frac_bits();
      if (a.buf >= 0 && s.kind != K::LeakyRelu) {  // contiguous fast paths
        const Buffer& ab = bufs[a.buf];
        bool identity_map = true;
        for (int64_t i = 0; i < osz && identity_map; ++i) identity_map = a.map[i] == i;
        if (identity_map && ab.size == osz) {
          const int64_t* src = ab.data.data();
          int64_t* dst = out.data.data();
          int64_t n = rows * osz;
          if (s.kind == K::Relu)
            for (int64_t i = 0; i < n; ++i) dst[i] = src[i] > 0 ? s.to_result(src[i]) : 0;
          else if (s.kind == K::Cast)
            for (int64_t i = 0; i < n; ++i) dst[i] = s.to_result(src[i]);
          else
            for (int64_t i = 0; i < n; ++i) dst[i] = src[i] >= 0 ? 1 : -1;
          return;
        }
      }
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          int64_t v = in_of(a, r, i), y;
          if (s.kind == K::Relu) y = v > 0 ? s.to_result(v) : 0;
          else if (s.kind == K::Cast) y = s.to_result(v);
          else if (s.kind == K::BipolarQuant) y = v >= 0 ? 1 : -1;
          else y = v >= 0 ? q(v, fa, R) : q(i128(v) * s.alpha, fa + s.tw.frac_bits(), R);
          out.data[r * osz + i] = y;
        }
      return;
    }
    if (s.kind == K::Sigmoid || s.kind == K::Softmax) {
      const Operand& a = s.ops[0];
      const Fixed& ta = a.type;
      FArray fa{s.shape, std::vector<double>(size_t(osz))};
      for (int64_t r = 0; r < rows; ++r) {
        if (s.kind == K::Sigmoid) {
          for (int64_t i = 0; i < osz; ++i)
            out.data[r * osz + i] = quantize(1.0 / (1.0 + std::exp(-ta.value(in_of(a, r, i)))), R);
        } else {
          for (int64_t i = 0; i < osz; ++i) fa.v[i] = ta.value(in_of(a, r, i));
          FArray y = eval_float(s.node, {FArg{&fa, true}}, model->source)[0];
          for (int64_t i = 0; i < osz; ++i) out.data[r * osz + i] = quantize(y.v[i], R);
        }
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
          out.data[r * osz + i] = q(v, f, R);
        }
      return;
    }
    if (s.kind == K::Threshold) {
      const Operand& a = s.ops[0];
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          int64_t v = in_of(a, r, i), c = s.chan[i], y = s.thr_base;
          for (int64_t t : s.thr[c]) y += s.thr_dir[c] > 0 ? (v >= t) : (v <= t);
          out.data[r * osz + i] = y;
        }
      return;
    }
    if (s.kind == K::ReduceSum) {
      const Operand& a = s.ops[0];
      const Buffer& ab = bufs[a.buf];
      int fa = s.acc.frac_bits();
      bool wrap = s.acc.overflow == Overflow::WRAP;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t o = 0; o < osz; ++o) {
          i128 acc = 0;
          for (int64_t k = s.group_start[o]; k < s.group_start[o + 1]; ++k) {
            int64_t term = s.to_acc(ab.data[r * ab.size + s.map[k]]);
            acc = wrap ? acc + term : q(acc + term, fa, s.acc);
          }
          out.data[r * osz + o] = s.acc_to_result(q(acc, fa, s.acc));
        }
      return;
    }
    if (s.kind == K::Move) {
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          const Operand& a = s.ops[s.map_src[i]];
          const Buffer& ab = bufs[a.buf];
          out.data[r * osz + i] = s.move_plans[s.map_src[i]](ab.data[r * ab.size + s.map[i]]);
        }
      return;
    }
    if (s.kind == K::InputQuant) {
      std::string steps = s.node.attr_str("steps", "");
      std::vector<std::string> ops;
      for (size_t p = 0; !steps.empty() && p != std::string::npos;) {
        size_t e = steps.find(',', p);
        ops.push_back(steps.substr(p, e == std::string::npos ? e : e - p));
        p = e == std::string::npos ? e : e + 1;
      }
      auto cf = s.node.attr_ints("const_first", {});
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i) {
          float v = float(x[r * x_stride + s.in_col + (s.in_size == osz ? i : 0)]);
          for (size_t k = 0; k < ops.size(); ++k) {
            float c = s.pre_consts[k][s.pre_maps[k][i]];
            float a = cf[k] ? c : v, b = cf[k] ? v : c;
            if (ops[k] == "Mul") v = a * b;
            else if (ops[k] == "Div") v = a / b;
            else if (ops[k] == "Add") v = a + b;
            else v = a - b;
          }
          out.data[r * osz + i] = quantize(double(v), R);
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
  Impl& I = *impl_;
  if (I.float_mode) return run_float(*I.model, x, rows, I.in_size, I.out_size, trace, names);
  return I.run_typed(x, nullptr, rows, trace, names);
}

std::vector<FirmwarePort> Emulator::firmware_inputs() const {
  Impl& I = *impl_;
  if (I.float_mode) throw Error(I.model->source, "firmware ports exist in fixed-point mode only");
  std::vector<FirmwarePort> ports;
  for (auto& p : I.fw_ports) ports.push_back({p.tensor, I.bufs[p.buf].type, I.bufs[p.buf].size});
  return ports;
}

EmulatorResult Emulator::run_firmware(const int64_t* raw, int64_t rows, bool trace,
                                      const std::vector<std::string>& names) const {
  Impl& I = *impl_;
  if (I.float_mode) throw Error(I.model->source, "run_firmware needs fixed-point mode");
  return I.run_typed(nullptr, raw, rows, trace, names);
}

EmulatorResult Emulator::Impl::run_typed(const double* x, const int64_t* fw, int64_t rows, bool trace,
                                         const std::vector<std::string>& names) {
  Impl& I = *this;
  const Graph& g = I.model->graph;
  EmulatorResult res;
  res.rows = rows;
  res.cols = I.out_size;
  res.values.resize(size_t(rows * I.out_size));
  res.raw.resize(size_t(rows * I.out_size));
  std::set<std::string> want(names.begin(), names.end());
  for (auto& b : I.bufs) b.data.assign(size_t(kChunk * b.size), 0);
  for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
    int64_t n = std::min(kChunk, rows - r0);
    if (fw) {  // raw codes at the firmware ports
      for (auto& p : I.fw_ports) {
        Buffer& b = I.bufs[p.buf];
        for (int64_t r = 0; r < n; ++r)
          for (int64_t i = 0; i < b.size; ++i) {
            int64_t v = fw[(r0 + r) * I.fw_size + p.col + i];
            if (v < b.type.min_raw() || v > b.type.max_raw())
              throw Error(I.model->source, "firmware input event " + std::to_string(r0 + r) + ", port '" + p.tensor +
                                               "' element " + std::to_string(i) + ": code " + std::to_string(v) +
                                               " outside " + b.type.str());
            b.data[r * b.size + i] = v;
          }
      }
      for (const Step& s : I.steps)
        if (s.kind != K::InputQuant) I.run_step(s, n, nullptr, 0);
    } else {
    const double* xc = x + r0 * I.in_size;
    for (auto [bi, col] : I.inputs) {
      Buffer& b = I.bufs[bi];
      for (int64_t r = 0; r < n; ++r)
        for (int64_t i = 0; i < b.size; ++i) {
          double v = xc[r * I.in_size + col + i];
          int64_t raw = quantize(v, b.type);
          if (b.type.overflow == Overflow::WRAP) {
            Fixed sat = b.type;
            sat.overflow = Overflow::SAT;
            double lsb = b.type.lsb();
            if (std::isnan(v) || quantize(v, sat) != raw || v > b.type.value(b.type.max_raw()) + lsb ||
                v < b.type.value(b.type.min_raw()) - lsb)
              throw Error(I.model->source, "input event " + std::to_string(r0 + r) + ", value " +
                                               std::to_string(col + i) + " = " + std::to_string(v) +
                                               " is outside the input type " + b.type.str() +
                                               " (configure a wider input precision)");
          }
          b.data[r * b.size + i] = raw;
        }
    }
    for (const Step& s : I.steps) I.run_step(s, n, xc, I.in_size);
    }
    int64_t oc = 0;
    for (int bi : I.outputs) {
      const Buffer& b = I.bufs[bi];
      for (int64_t r = 0; r < n; ++r)
        for (int64_t i = 0; i < b.size; ++i) {
          int64_t raw = b.data[r * b.size + i];
          res.raw[(r0 + r) * I.out_size + oc + i] = raw;
          res.values[(r0 + r) * I.out_size + oc + i] = b.type.value(raw);
        }
      oc += b.size;
    }
    if (trace)
      for (auto& [name, bi] : I.buf_of)
        if (want.empty() || want.count(name)) {
          const Buffer& b = I.bufs[bi];
          auto& tv = res.trace[name];
          for (int64_t k = 0; k < n * b.size; ++k) tv.push_back(b.type.value(b.data[k]));
        }
  }
  (void)g;
  return res;
}

}  // namespace nanogate
