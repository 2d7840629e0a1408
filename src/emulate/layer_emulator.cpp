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
#include "emulate/dense_exact.hpp"
#include "emulate/layer_steps.hpp"
#include "emulate/layer_tables.hpp"
#include "emulate/float_ops.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/progress.hpp"

namespace nanogate {

using namespace emu;

namespace {

constexpr int64_t kChunk = 128;            // events per kernel call (fewer when the buffers are large)
constexpr int64_t kWorkCodes = int64_t(1) << 24;  // codes per thread's chunk buffers (128 MB), when possible
constexpr int64_t kMaxEventCodes = int64_t(1) << 27;  // codes of all buffers of one event (1 GB): larger models are refused
constexpr int64_t kRowsPerThread = 4096;   // fewer rows per thread: fewer threads


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
  /// Events [row0, row0 + rows) into res (which is sized for all events);
  /// each finished chunk of events is added to `bar`.
  void run_range(const double* x, const int64_t* fw, int64_t row0, int64_t rows, bool trace,
                 const std::set<std::string>& want, EmulatorResult& res, Progress& bar) const;

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
    const DenseKernel dense_req = dense_kernel_requested();  // NANOGATE_DENSE_KERNEL, read once
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
        s.exact_acc = dense_accumulates_exactly(s.ops[0].type, s.tw, s.tb, s.acc);
        s.to_acc = CastPlan(fp, s.acc);
        s.acc_to_result = CastPlan(s.acc.frac_bits(), s.result);
        s.acc_wrap = CastPlan(s.acc.frac_bits(), s.acc);
        for (int64_t bv : s.b) s.b_fp.push_back(s.exact_acc ? bv << (fp - s.tb.frac_bits()) : 0);
        plan_dense(s, dense_req);
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
    fuse_relu_casts(steps, outputs);
    int64_t per_event = 0;
    for (const Buffer& b : bufs) per_event += b.size;
    if (per_event > kMaxEventCodes)
      throw Error(model->source, "the emulator needs " + std::to_string(per_event) + " values per event over all layers (im2col "
                  "included), more than its limit of 2^27");
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

};

Emulator::Emulator(const Model& model, bool float_mode) : impl_(std::make_unique<Impl>()) {
  impl_->model = &model;
  impl_->float_mode = float_mode;
  if (float_mode) {
    const Graph& g = model.reference;
    for (auto& in : g.inputs) impl_->in_size += g.tensor(in).size();
    for (auto& o : g.outputs) impl_->out_size += g.tensor(o).size();
  } else {
    naming_file(model.source, [&] { impl_->compile_typed(); });
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
  return naming_file(I.model->source, [&] {
    return I.float_mode ? run_float(*I.model, x, rows, I.in_size, I.out_size, trace, names)
                        : I.run_typed(x, nullptr, rows, trace, names);
  });
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
  return naming_file(I.model->source, [&] { return I.run_typed(nullptr, raw, rows, trace, names); });
}

std::vector<std::pair<std::string, std::string>> Emulator::dense_kernels() const {
  std::vector<std::pair<std::string, std::string>> r;
  for (const Step& s : impl_->steps)
    if (s.kind == K::Dense) r.emplace_back(s.name, s.dense_path);
  return r;
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
  Progress bar(float_mode ? "emulate (float)" : "emulate", rows, "events");
  if (nt <= 1) {
    run_range(x, fw, 0, rows, trace, want, res, bar);
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
        run_range(x, fw, a, b - a, false, want, res, bar);
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
                               const std::set<std::string>& want, EmulatorResult& res, Progress& bar) const {
  const Impl& I = *this;
  Work w;
  w.data.resize(I.bufs.size());
  int64_t per_event = 1;
  for (const Buffer& b : I.bufs) per_event += b.size;
  const int64_t chunk = std::clamp<int64_t>(kWorkCodes / per_event, 1, kChunk);
  for (size_t k = 0; k < I.bufs.size(); ++k) w.data[k].assign(size_t(chunk * I.bufs[k].size), 0);
  std::vector<ToValue> out_val;
  for (int bi : I.outputs) out_val.emplace_back(I.bufs[bi].type);
  for (int64_t c0 = 0; c0 < rows; c0 += chunk) {
    int64_t r0 = row0 + c0;  // absolute event index of the chunk's first row
    int64_t n = std::min(chunk, rows - c0);
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
        if (s.kind != K::InputQuant) run_step(s, I.bufs, w, n, nullptr, 0, I.model->source, trace);
    } else {
      const double* xc = x + r0 * I.in_size;
      for (size_t ii = 0; ii < I.inputs.size(); ++ii) {
        auto [bi, col] = I.inputs[ii];
        const Buffer& b = I.bufs[bi];
        const DoubleCast& dc = I.input_dc[ii];
        int64_t* bd = w.data[bi].data();
        // Branch-free batches (the whole chunk when this input is contiguous);
        // a row with a value off the fast path goes value by value.
        const bool whole = b.size == I.in_size && dc.apply_fast(xc, bd, n * b.size);
        for (int64_t r = 0; r < n && !whole; ++r) {
          if (dc.apply_fast(xc + r * I.in_size + col, bd + r * b.size, b.size)) continue;
          for (int64_t i = 0; i < b.size; ++i) {
            double v = xc[r * I.in_size + col + i];
            int64_t raw;
            if (!input_code(v, b.type, dc, raw))
              throw Error(I.model->source, "input '" + I.input_names[ii] + "' event " + std::to_string(r0 + r) +
                                               ", value " + std::to_string(col + i) + " = " + std::to_string(v) +
                                               " is outside the input type " + b.type.str() +
                                               " (configure a wider one: LayerName." + I.input_names[ii] +
                                               ".Precision.result)");
            bd[r * b.size + i] = raw;
          }
        }
      }
      for (const Step& s : I.steps) run_step(s, I.bufs, w, n, xc, I.in_size, I.model->source, trace);
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
    bar.add(n);
  }
}

}  // namespace nanogate
