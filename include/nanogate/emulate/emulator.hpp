// nanogate — the bit-exact layer emulator.
//
// Executes a typed layer graph (Model::graph) on batches of events with
// integer arithmetic on raw fixed-point codes, exact by construction: every
// operation is computed exactly (64/128-bit integers) and precision is lost
// only where a value is cast to a configured type (nanogate::quantize, ap_fixed
// semantics). Layer semantics:
//   Dense      hls4ml nnet::dense_latency: mult = (accum)(x*w); acc = (accum)b;
//              acc = (accum)(acc + mult) for i = 0..n_in-1 in order (accum's
//              rounding and overflow apply at each step); y = (result)acc.
//   Add/Sub/Mul exact, then cast to the result type.
//   Relu       y = x > 0 ? (result)x : 0.    LeakyRelu: x >= 0 ? x : alpha*x, cast.
//   Sigmoid, Softmax  table semantics: every output is the function of the exact
//              input value(s), computed in double and cast to the result type.
//   Cast       (from QONNX Quant / Trunc) y = (result)x.
//   Threshold  (a quantizer of a float-scaled value: Quant/BipolarQuant after
//              BatchNorm, float scales, zero points; absorb_scales) the exact
//              step function: output code = lo - zero + step * number of
//              per-channel thresholds the input code reaches (layer_tables.hpp).
//   BatchNorm  y = (result)(x*scale_c + offset_c), scale/offset quantized to
//              their weight/bias types.
//   ReduceSum  terms cast to accum, summed in order in accum, cast to result.
//   ReduceMax  the maximum of the terms (exact), cast to result (MaxPool).
//   Move       data movement (reshape, transpose, gather, concat, im2col,
//              pooling windows, Pad, Resize) + cast; map entry -1 is a zero.
//   InputQuant the model's input preprocessing evaluated in float32 on the
//              user's float input, then the first Quant's cast.
// Graph inputs without an InputQuant are cast from double to their type; a
// value out of that type's range raises an error (never a silent wrap).
// Outputs and traces of tensors the firmware keeps in integer codes
// (Tensor::dequant_scale) are reported as model values, code·scale + offset,
// in double; `raw` and `trace_raw` hold the codes.
// Values are limited to 64 bits (types are validated by precision inference).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nanogate/model.hpp"

namespace nanogate {

/// Results of one emulator run.
struct EmulatorResult {
  int64_t rows = 0;
  int64_t cols = 0;               ///< sum of the graph outputs' per-event sizes
  std::vector<double> values;     ///< rows × cols, model values (raw * 2^-frac, dequantized where the output has Tensor::dequant_scale)
  std::vector<int64_t> raw;       ///< rows × cols raw codes (fixed-point mode only)
  /// Per-tensor outputs when tracing: name → rows × size model values (the
  /// fixed-point value, dequantized host-side where Tensor::dequant_scale is
  /// set: a float-scale Quant's output is its code times the scale).
  std::map<std::string, std::vector<double>> trace;
  /// The same tensors' raw codes (fixed-point mode only): what the firmware holds.
  std::map<std::string, std::vector<int64_t>> trace_raw;
};

/// A firmware input port: the tensor the hardware receives, its type and size.
/// For a model with host-side input preprocessing (an InputQuant layer) this
/// is the first Quant's output, not the float graph input.
struct FirmwarePort {
  std::string tensor;
  Fixed type;
  int64_t size = 0;
};

/// A compiled emulator for one model. run() and run_firmware() are const and
/// reentrant: concurrent calls on one Emulator are safe. A fixed-point run of
/// many events splits them over worker threads (contiguous row ranges, each
/// with its own buffers; the results are the same bits as one thread's):
/// set_threads(n) when n > 0, else the environment variable NANOGATE_THREADS
/// when set and > 0, else every hardware thread; at most one thread per 4096
/// events, and one thread when tracing.
class Emulator {
 public:
  /// Prepares the kernels (constants to raw codes, index maps, thresholds).
  /// float_mode: evaluate the ONNX-level graph in double instead (no
  /// fixed-point casts; QONNX Quant nodes still apply, as in qonnx execution).
  /// Throws nanogate::Error for a graph it cannot execute.
  explicit Emulator(const Model& model, bool float_mode = false);
  ~Emulator();

  /// Number of input values per event (all graph inputs, flattened, concatenated).
  int64_t input_size() const;
  /// Number of output values per event (all graph outputs concatenated).
  int64_t output_size() const;

  /// Runs `rows` events; x is rows × input_size() row-major doubles.
  /// trace: also return every tensor (or only those named in `trace_names`
  /// when not empty). Throws nanogate::Error for an input value outside the
  /// input type's range (the message names the event and the feature).
  EmulatorResult run(const double* x, int64_t rows, bool trace = false,
                     const std::vector<std::string>& trace_names = {}) const;

  /// Worker threads for later runs (0: NANOGATE_THREADS, else all cores;
  /// 1: the calling thread only). Set it before sharing the Emulator.
  void set_threads(int n);
  /// The value given to set_threads (0 by default).
  int threads() const;

  /// The kernel each Dense layer runs, in graph order: (layer name, path),
  /// path "vnni", "avx512", "avx2" or "scalar" (int32 lanes, proven exact by
  /// interval bounds), "f64" (exact integers in doubles), "i64" or "i128" (the
  /// generic loops). Chosen once by the constructor; the environment variable
  /// NANOGATE_DENSE_KERNEL=scalar|f64|avx2|avx512|vnni forces a path for the
  /// layers it is proven exact on (unset or "auto": the fastest this CPU
  /// runs; the constructor throws nanogate::Error for an unknown name or a
  /// path this CPU lacks). Empty in float mode.
  std::vector<std::pair<std::string, std::string>> dense_kernels() const;

  /// The firmware's input ports, in order (fixed-point mode only).
  std::vector<FirmwarePort> firmware_inputs() const;

  /// Runs `rows` events given as raw codes at the firmware input ports
  /// (rows × Σ port sizes, row-major, each code within its port type's range):
  /// what the RTL receives. Throws nanogate::Error in float mode or for a code
  /// outside its type.
  EmulatorResult run_firmware(const int64_t* raw, int64_t rows, bool trace = false,
                              const std::vector<std::string>& trace_names = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nanogate
