// nanogate — the netlist emulator (netlist_emulator.hpp).
//
// The netlist is compiled once into a straight-line program over event
// blocks: one loop per live value (net_kernels.hpp: wrap-around loops on
// int32 lanes when every value fits 32 bits, else int64, where they are
// exact; NetStep's 128-bit evaluation elsewhere), each value in
// a slot of kChunk codes that is reused once its last reader has run (a
// linear-scan allocation over the SSA order), so the working set is the
// netlist's widest cut, not its size. Values nothing reads (no output
// depends on them) are not evaluated; inputs always are (their range check);
// a cast that changes no code of its argument shares the argument's slot.
#include "nanogate/netlist/netlist_emulator.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <type_traits>

#include "nanogate/error.hpp"
#include "nanogate/progress.hpp"
#include "emulate/cast.hpp"
#include "netlist/net_eval.hpp"
#include "netlist/net_kernels.hpp"

namespace nanogate {

namespace {
constexpr int64_t kChunk = 256;  // events evaluated together

/// True when every code of type t, shifted left by e (< bits - 1), fits a
/// signed integer of `bits` bits.
bool shifted_fits(const Fixed& t, int e, int bits) {
  if (e < 0 || e > bits - 2) return false;
  const i128 lo = i128(t.min_raw()) << e, hi = i128(t.max_raw()) << e;
  return lo >= -(i128(1) << (bits - 1)) && hi < (i128(1) << (bits - 1));
}
/// The codes each value of n can take, [lo, hi]: its type's range; a
/// Constant's code; for a Quantize whose argument's codes all round into its
/// type without overflow, the rounded extremes (rounding is monotone, so the
/// codes between round in between) — e.g. an output port's wide type over a
/// narrow sum.
std::vector<std::pair<int64_t, int64_t>> code_ranges(const Netlist& n) {
  std::vector<std::pair<int64_t, int64_t>> r;
  r.reserve(n.values.size());
  for (const NetValue& v : n.values) {
    std::pair<int64_t, int64_t> c{v.type.min_raw(), v.type.max_raw()};
    if (v.op == NetOp::Const) {
      c = {v.konst, v.konst};
    } else if (v.op == NetOp::Quantize) {
      const auto [lo, hi] = r[size_t(v.args[0])];
      const int from = n.values[size_t(v.args[0])].type.frac_bits() - v.shift_a;
      Fixed sat = v.type;
      sat.overflow = Overflow::SAT;
      const int64_t ql = quantize(i128(lo), from, sat), qh = quantize(i128(hi), from, sat);
      if (ql > sat.min_raw() && qh < sat.max_raw()) c = {ql, qh};
    }
    r.push_back(c);
  }
  return r;
}

}  // namespace

struct NetlistEmulator::Plan {
  /// One evaluated value: how, into which slot, from which slots.
  struct Op {
    enum Kind { Add, Neg, Mul, Relu, Quantize, MinMax, Cmp, Mux, Lut, Generic } kind = Generic;
    int value = 0;               ///< netlist value index
    int out = 0, a = 0, b = 0, c = 0;  ///< slots of the value and of its arguments
    int ea = 0, eb = 0;          ///< argument shifts (NetStep::shift_a / shift_b)
    bool flag = false;           ///< Add: subtract; MinMax: max
  };
  /// An input element: copied from its column of the event rows into its
  /// slot (a slot of its own: inputs are written before the program runs).
  struct In {
    int value = 0, slot = 0;
    int64_t col = 0, lo = 0, hi = 0;  ///< column in the event row; the port type's codes
  };
  std::vector<In> inputs;
  std::vector<NetStep> steps;    ///< one per value (Input/Const: unused)
  std::vector<Op> ops;           ///< the program, in SSA order
  std::vector<std::pair<int, int64_t>> consts;  ///< constant slots and their codes (filled once)
  std::vector<int> slot;         ///< slot of each value (-1: not evaluated)
  int n_slots = 0;
  bool narrow = false;           ///< every evaluated value fits int32: int32 lanes (else int64)
  std::vector<int64_t> port_col;  ///< column of each input port's first element
  std::vector<DoubleCast> port_dc;  ///< each input port's cast from float values (run_values)
  int64_t in_size = 0, out_size = 0;
};

namespace {

/// The program of netlist n. compact: only values an output depends on, in
/// reused slots; else every value in its own slot (run_all).
void build_program(const Netlist& n, bool compact, NetlistEmulator::Plan& P) {
  using Op = NetlistEmulator::Plan::Op;
  const int nv = int(n.values.size());
  std::vector<char> live(size_t(nv), compact ? 0 : 1);
  std::vector<int> last(size_t(nv), -1);  // index of the last reader; nv: kept to the end
  for (const NetPort& p : n.outputs)
    for (int v : p.values) live[size_t(v)] = 1, last[size_t(v)] = nv;
  for (int i = nv - 1; i >= 0; --i) {
    const NetValue& v = n.values[size_t(i)];
    if (v.op == NetOp::Input) live[size_t(i)] = 1;
    if (!live[size_t(i)]) continue;
    for (int a : v.args) {
      live[size_t(a)] = 1;
      last[size_t(a)] = std::max(last[size_t(a)], i);
    }
  }
  const std::vector<std::pair<int64_t, int64_t>> codes = code_ranges(n);
  // A Quantize that leaves every code of its argument unchanged (same binary
  // point, the codes inside its type) is its argument: it shares the root's
  // slot, which then lives until the last reader of any of its aliases.
  std::vector<int> root(static_cast<size_t>(nv));
  for (int i = 0; i < nv; ++i) {
    const NetValue& v = n.values[size_t(i)];
    root[size_t(i)] = i;
    if (!compact || !live[size_t(i)] || v.op != NetOp::Quantize) continue;
    const int a = v.args[0];
    const auto [lo, hi] = codes[size_t(a)];
    if (n.values[size_t(a)].type.frac_bits() - v.shift_a == v.type.frac_bits() && lo >= v.type.min_raw() &&
        hi <= v.type.max_raw())
      root[size_t(i)] = root[size_t(a)];
  }
  for (int i = 0; i < nv; ++i)
    if (root[size_t(i)] != i) last[size_t(root[size_t(i)])] = std::max(last[size_t(root[size_t(i)])], last[size_t(i)]);
  P.narrow = true;
  for (int i = 0; i < nv; ++i)
    if (live[size_t(i)]) P.narrow = P.narrow && codes[size_t(i)].first >= INT32_MIN && codes[size_t(i)].second <= INT32_MAX;
  const int bits = P.narrow ? 32 : 64;
  P.slot.assign(size_t(nv), -1);
  std::vector<int> free_slots;
  auto take = [&]() {
    if (!compact) return P.n_slots++;
    if (free_slots.empty()) return P.n_slots++;
    int s = free_slots.back();
    free_slots.pop_back();
    return s;
  };
  for (int i = 0; i < nv; ++i) {
    if (!live[size_t(i)]) continue;
    const NetValue& v = n.values[size_t(i)];
    if (root[size_t(i)] != i) {  // an identity cast: the root's slot
      P.slot[size_t(i)] = P.slot[size_t(root[size_t(i)])];
      continue;
    }
    if (v.op == NetOp::Const) {  // a slot of its own, written once before the first block
      P.slot[size_t(i)] = P.n_slots++;
      P.consts.emplace_back(P.slot[size_t(i)], v.konst);
      continue;
    }
    if (v.op == NetOp::Input) {  // a slot of its own, written before each block's program
      P.slot[size_t(i)] = P.n_slots++;
      P.inputs.push_back({i, P.slot[size_t(i)], P.port_col[size_t(v.port)] + v.index, v.type.min_raw(), v.type.max_raw()});
      continue;
    }
    const int s = take();
    P.slot[size_t(i)] = s;
    Op op;
    op.value = i;
    op.out = s;
    auto arg = [&](size_t k) { return k < v.args.size() ? P.slot[size_t(v.args[k])] : 0; };
    op.a = arg(0), op.b = arg(1), op.c = arg(2);
    const NetStep& st = P.steps[size_t(i)];
    op.ea = st.shift_a(), op.eb = st.shift_b();
    auto type = [&](size_t k) -> const Fixed& { return n.values[size_t(v.args[k])].type; };
    const bool sh = op.ea <= bits - 2 && op.eb <= bits - 2;
    switch (v.op) {
      case NetOp::Add: op.kind = sh ? Op::Add : Op::Generic, op.flag = v.sub; break;
      case NetOp::Neg: op.kind = sh ? Op::Neg : Op::Generic; break;
      case NetOp::Mul: op.kind = sh ? Op::Mul : Op::Generic; break;
      case NetOp::Relu: op.kind = sh ? Op::Relu : Op::Generic; break;
      case NetOp::Quantize: op.kind = Op::Quantize; break;
      case NetOp::Max:
      case NetOp::Min:
      case NetOp::Cmp:
        op.kind = !(shifted_fits(type(0), op.ea, bits) && shifted_fits(type(1), op.eb, bits)) ? Op::Generic
                  : v.op == NetOp::Cmp                                             ? Op::Cmp
                                                                                   : Op::MinMax;
        op.flag = v.op == NetOp::Max;
        break;
      case NetOp::Mux: op.kind = sh ? Op::Mux : Op::Generic; break;
      case NetOp::Lut: op.kind = Op::Lut; break;
      default: break;
    }
    P.ops.push_back(op);
    if (compact)  // arguments (their roots) read for the last time are free once this value is written
      for (size_t k = 0; k < v.args.size(); ++k) {
        const int a = root[size_t(v.args[k])];
        if (last[size_t(a)] != i || n.values[size_t(a)].op == NetOp::Const) continue;
        bool seen = false;
        for (size_t j = 0; j < k; ++j) seen = seen || root[size_t(v.args[j])] == a;
        if (!seen) free_slots.push_back(P.slot[size_t(a)]);
      }
  }
}

}  // namespace

NetlistEmulator::NetlistEmulator(const Netlist& netlist) : n_(&netlist) {
  netlist.verify();
  plan_ = make_plan(true);
}

std::shared_ptr<const NetlistEmulator::Plan> NetlistEmulator::make_plan(bool compact) const {
  auto plan = std::make_shared<Plan>();
  for (const NetValue& v : n_->values)
    plan->steps.push_back(v.op == NetOp::Input || v.op == NetOp::Const ? NetStep() : NetStep(*n_, v));
  for (const NetPort& p : n_->inputs) {
    plan->port_dc.emplace_back(p.type);
    plan->port_col.push_back(plan->in_size);
    plan->in_size += int64_t(p.values.size());
  }
  for (const NetPort& p : n_->outputs) plan->out_size += int64_t(p.values.size());
  build_program(*n_, compact, *plan);
  return plan;
}

int64_t NetlistEmulator::input_size() const { return plan_->in_size; }
int64_t NetlistEmulator::output_size() const { return plan_->out_size; }
int NetlistEmulator::lane_bits() const { return plan_->narrow ? 32 : 64; }

namespace {
/// Throws the error for the first code of events [r0, r0 + m) outside its input port's type.
[[noreturn]] void input_error(const NetlistEmulator::Plan& P, const Netlist& N, const int64_t* raw, int64_t r0, int64_t m) {
  for (int64_t r = r0; r < r0 + m; ++r)
    for (const NetlistEmulator::Plan::In& in : P.inputs) {
      const int64_t x = raw[r * P.in_size + in.col];
      if (x >= in.lo && x <= in.hi) continue;
      const NetValue& v = N.values[size_t(in.value)];
      throw Error(N.source, "netlist input event " + std::to_string(r) + ", port '" + N.inputs[size_t(v.port)].name +
                                "' element " + std::to_string(v.index) + ": code " + std::to_string(x) + " outside " +
                                v.type.str());
    }
  throw std::logic_error("input_error: no code out of range");
}

/// The input slots of events [r0, r0 + m) from raw codes (rows × in_size),
/// column by column; a code outside its port type is an error.
template <class T>
void fill_codes(const NetlistEmulator::Plan& P, const Netlist& N, const int64_t* raw, int64_t r0, int64_t m, T* buf) {
  bool bad = false;
  const int64_t* rows0 = raw + r0 * P.in_size;
  for (const NetlistEmulator::Plan::In& in : P.inputs) {
    const int64_t* x = rows0 + in.col;
    const int64_t lo = in.lo, hi = in.hi, stride = P.in_size;
    T* o = &buf[size_t(in.slot) * kChunk];
    for (int64_t r = 0; r < m; ++r) {
      const int64_t v = x[r * stride];
      bad |= (v < lo) | (v > hi);
      o[r] = T(v);
    }
  }
  if (bad) input_error(P, N, raw, r0, m);
}

/// The input slots of events [r0, r0 + m) from float values (rows × in_size),
/// each cast to its port's type by input_code (the layer emulator's rule).
template <class T>
void fill_values(const NetlistEmulator::Plan& P, const Netlist& N, const double* x, int64_t r0, int64_t m, T* buf,
                 std::vector<int64_t>& codes) {
  codes.resize(size_t(m * P.in_size));
  for (size_t p = 0; p < N.inputs.size(); ++p) {
    const Fixed& t = N.inputs[p].type;
    const DoubleCast& dc = P.port_dc[p];
    const int64_t col = P.port_col[p], cnt = int64_t(N.inputs[p].values.size());
    // one port over the whole row: the block's values in one branch-free batch
    const bool whole = cnt == P.in_size && dc.apply_fast(x + r0 * P.in_size, codes.data(), m * cnt);
    for (int64_t r = 0; r < m && !whole; ++r) {
      const double* row = x + (r0 + r) * P.in_size + col;
      int64_t* c = &codes[size_t(r * P.in_size + col)];
      if (dc.apply_fast(row, c, cnt)) continue;
      for (int64_t k = 0; k < cnt; ++k)
        if (!input_code(row[k], t, dc, c[k]))
          throw Error(N.source, "netlist input event " + std::to_string(r0 + r) + ", port '" + N.inputs[p].name +
                                    "' element " + std::to_string(k) + ": value " + std::to_string(row[k]) +
                                    " is outside " + t.str());
    }
  }
  for (const NetlistEmulator::Plan::In& in : P.inputs) {
    T* o = &buf[size_t(in.slot) * kChunk];
    for (int64_t r = 0; r < m; ++r) o[r] = T(codes[size_t(r * P.in_size + in.col)]);
  }
}
}  // namespace

template <class T, class Fill, class Emit>
void NetlistEmulator::run_chunks(const Plan& P, int64_t rows, Fill&& fill, Emit&& emit) const {
  using Op = Plan::Op;
  const Netlist& N = *n_;
  std::vector<T> buf(size_t(P.n_slots) * size_t(kChunk));
  for (const auto& [s, k] : P.consts) std::fill_n(&buf[size_t(s) * kChunk], kChunk, T(k));
  Progress bar("netlist emulator", rows, "vectors");
  for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
    const int64_t m = std::min(kChunk, rows - r0);
    fill(r0, m, buf.data());
    for (const Op& op : P.ops) {
      T* o = &buf[size_t(op.out) * kChunk];
      const T* a = &buf[size_t(op.a) * kChunk];
      const T* b = &buf[size_t(op.b) * kChunk];
      const T* c = &buf[size_t(op.c) * kChunk];
      switch (op.kind) {
        case Op::Add: netk::add(a, op.ea, b, op.eb, op.flag, o, m); break;
        case Op::Neg: netk::neg(a, op.ea, o, m); break;
        case Op::Mul: netk::mul(a, b, op.ea, o, m); break;
        case Op::Relu: netk::relu(a, op.ea, o, m); break;
        case Op::Quantize: {
          P.steps[size_t(op.value)].cast().apply(a, o, m);  // int32 lanes: every result fits (code_ranges)
          break;
        }
        case Op::MinMax: netk::minmax(op.flag, a, op.ea, b, op.eb, o, m); break;
        case Op::Cmp: netk::cmp(N.values[size_t(op.value)].cmp, a, op.ea, b, op.eb, o, m); break;
        case Op::Mux: netk::mux(a, b, op.ea, c, op.eb, o, m); break;
        case Op::Lut: {
          const NetStep& s = P.steps[size_t(op.value)];
          netk::lut(a, s.table().data(), s.table_min(), o, m);
          break;
        }
        case Op::Generic: {
          const NetStep& s = P.steps[size_t(op.value)];
          for (int64_t r = 0; r < m; ++r) o[r] = T(s(a[r], b[r], c[r]));
          break;
        }
      }
    }
    emit(r0, m, buf.data());
    bar.add(m);
  }
}

namespace {
/// The output ports' codes of each block into y (rows × out_size).
template <class T>
void emit_outputs(const NetlistEmulator::Plan& P, const Netlist& N, std::vector<int64_t>& y, int64_t r0, int64_t m,
                  const T* buf) {
  const int64_t osz = P.out_size;
  int64_t col = 0;
  for (const NetPort& p : N.outputs)
    for (int v : p.values) {
      const T* src = &buf[size_t(P.slot[size_t(v)]) * kChunk];
      for (int64_t r = 0; r < m; ++r) y[size_t((r0 + r) * osz + col)] = src[r];
      ++col;
    }
}
}  // namespace

template <class T>
std::vector<int64_t> NetlistEmulator::run_lanes(const int64_t* raw, const double* x, int64_t rows) const {
  const Plan& P = *plan_;
  std::vector<int64_t> y(size_t(rows * P.out_size)), codes;
  auto emit = [&](int64_t r0, int64_t m, const T* buf) { emit_outputs(P, *n_, y, r0, m, buf); };
  if (raw) run_chunks<T>(P, rows, [&](int64_t r0, int64_t m, T* buf) { fill_codes(P, *n_, raw, r0, m, buf); }, emit);
  else run_chunks<T>(P, rows, [&](int64_t r0, int64_t m, T* buf) { fill_values(P, *n_, x, r0, m, buf, codes); }, emit);
  return y;
}

std::vector<int64_t> NetlistEmulator::run(const int64_t* raw, int64_t rows) const {
  return plan_->narrow ? run_lanes<int32_t>(raw, nullptr, rows) : run_lanes<int64_t>(raw, nullptr, rows);
}

std::vector<int64_t> NetlistEmulator::run_values(const double* x, int64_t rows) const {
  return plan_->narrow ? run_lanes<int32_t>(nullptr, x, rows) : run_lanes<int64_t>(nullptr, x, rows);
}

std::vector<int64_t> NetlistEmulator::run_all(const int64_t* raw, int64_t rows) const {
  const std::shared_ptr<const Plan> full = make_plan(false);
  const Plan& P = *full;
  const int64_t nv = int64_t(n_->values.size());
  std::vector<int64_t> y(size_t(rows * nv));
  auto all = [&](auto* proto) {
    using T = std::remove_pointer_t<decltype(proto)>;
    run_chunks<T>(
        P, rows, [&](int64_t r0, int64_t m, T* buf) { fill_codes(P, *n_, raw, r0, m, buf); },
        [&](int64_t r0, int64_t m, const T* buf) {
          for (int64_t v = 0; v < nv; ++v)
            for (int64_t r = 0; r < m; ++r) y[size_t((r0 + r) * nv + v)] = buf[size_t(P.slot[size_t(v)]) * kChunk + r];
        });
  };
  if (P.narrow) all(static_cast<int32_t*>(nullptr));
  else all(static_cast<int64_t*>(nullptr));
  return y;
}

}  // namespace nanogate
