// nanogate — the layer emulator's compiled steps and their kernels (internal:
// layer_emulator.cpp compiles a typed graph into Steps over Buffers; each kernel
// in layer_kernels.cpp runs one Step on a chunk of events held in a Work).
#pragma once

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "emulate/cast.hpp"
#include "emulate/dense_int_kernels.hpp"
#include "nanogate/graph.hpp"

namespace nanogate::emu {

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

inline K kind_of(const std::string& op) {
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
  int f64_mode = 0;                        // fast sum: 1 exact, 2 floor per product (int32 lanes or doubles)
  bool int_lanes = false;                  // the fast sum runs dense_int_run(dint), else doubles (wpad)
  DenseIntLayer dint;                      // int32-lane kernel (dense_int_kernels.hpp)
  bool sum_in_acc = false;                 // int lanes: every sum already in accum (its cast is the identity)
  std::string dense_path;                  // the kernel: vnni, avx512, avx2, scalar, f64, i64 or i128
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
  bool fused_away = false;                 // Relu computed by the next step (Cast) when not tracing
  int relu_src = -1;                       // Cast: when not tracing, cast(relu(this buffer)) (fuse_relu_casts)
  DoubleCast result_dc;                    // Softmax, Sigmoid, InputQuant: double → result
  bool sm_fast = false;                    // Softmax: groups known at compile time
  int64_t sm_outer = 0, sm_len = 0, sm_inner = 0;
  std::vector<std::string> pre_ops;        // InputQuant: parsed steps
  std::vector<int64_t> pre_cf;             // InputQuant: const_first per step
};

inline int64_t q(i128 v, int frac, const Fixed& t) { return quantize(v, frac, t); }

/// Chooses Dense step s's kernel once (dense_plan.cpp): s.exact_acc, b_fp,
/// the cast plans, w and b must be set. The int32-lane kernel of path
/// `requested` (Auto: the best this CPU runs) when plan_dense_int proves it
/// exact, unless requested is F64; else the exact-integers-in-doubles kernels
/// when the types keep every partial sum below 2^53; else the 64/128-bit
/// loops of run_step. Sets f64_mode, int_lanes, dint, sum_in_acc or
/// ldw/wpad, b_acc and dense_path.
void plan_dense(Step& s, DenseKernel requested);

/// Runs step `s` on `rows` events of the chunk in `w` (buffers `bufs`; `x`:
/// the float inputs of the chunk, `x_stride` values per event, for InputQuant).
/// trace: every buffer is reported, so fused steps run unfused.
/// Throws nanogate::Error (source, node) for a step without a kernel.
void run_step(const Step& s, const std::vector<Buffer>& bufs, Work& w, int64_t rows, const double* x,
              int64_t x_stride, const std::string& source, bool trace);

/// Fuses a contiguous Relu whose cast keeps every code >= 0 into the next
/// step when that is a contiguous Cast of the Relu's output and nothing else
/// reads it (no other step, not in `outputs`, the graph outputs' buffers):
/// the Cast then computes cast(relu(x)) = its CastPlan::apply_relu on the
/// Relu's input (a cast maps 0 to 0), and the Relu is skipped, when not tracing.
void fuse_relu_casts(std::vector<Step>& steps, const std::vector<int>& outputs);

}  // namespace nanogate::emu
