// nanogate — data-driven precision profiling: what every tensor of the typed
// layer graph holds on real events, against its fixed-point type.
//
// For each tensor (graph inputs and every node output) profile_model reports
// the observed range (fixed-point values code·LSB and raw codes) against the
// type's range and LSB, and counts, element by element over all events:
//   overflows  the exact result the layer would have produced (its inputs as
//              the firmware computes them, the layer evaluated with the exact
//              accumulator and result types interval analysis gives, "auto"),
//              rounded at the type's LSB with its rounding mode, lies outside
//              the type's range: a wrap or a saturation of the real firmware;
//   rounded    that exact result is not a multiple of the LSB (a value changed
//              by rounding);
//   inner      the firmware's code differs from the cast of the exact result
//              (precision lost before the result cast: a Dense accumulator's
//              per-product casts and overflow);
//   unused bits  integer bits (MSBs) and fractional bits (LSBs) no observed
//              code ever needed.
// The exact result comes from an exact twin of each layer: the graph up to
// that layer (every upstream type unchanged, so the layer sees the firmware's
// own inputs) with only that layer's accum/result set to "auto" (Sigmoid and
// Softmax, which have no exact fixed-point result: the same LSB with 16 more
// integer bits). Quantizers fixed by the model (QONNX Quant → Cast,
// Threshold, InputQuant, BipolarQuant) never count as overflows: where their
// input is traced, the values they clip are reported as `clipped`.
//
// The suggested type of a configurable tensor keeps its LSB, rounding and
// overflow modes and has the fewest integer bits holding every exact value
// observed (rounded at that LSB) plus `margin_int_bits`; unsigned when the
// exact type is (the value can never be negative) or the type already was and
// no value was negative. A Dense/ReduceSum accumulator that is not exact gets
// the same integer bits at its own LSB. The suggested configuration is the
// model's configuration plus one LayerName entry per suggested tensor.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nanogate/config.hpp"
#include "nanogate/fixed.hpp"
#include "nanogate/model.hpp"

namespace nanogate {

/// What profile_model measured on one tensor. Values are fixed-point values
/// (code · LSB), before any host-side dequantization (Tensor::dequant_scale).
struct TensorProfile {
  std::string tensor;     ///< tensor name
  std::string node;       ///< producing node, or the input's name for a graph input
  std::string op;         ///< the node's op, "Input" for a graph input
  Fixed type;             ///< the tensor's type in the profiled model
  bool by_model = false;  ///< type fixed by the model's quantizer (not configurable)
  int64_t values = 0;     ///< elements observed: events × per-event size
  int64_t min_code = 0, max_code = 0;  ///< observed raw codes
  bool exact_known = false;            ///< the exact (pre-cast) result was computed
  Fixed exact_type;                    ///< its type (the twin's "auto" type), when exact_known
  double exact_min = 0, exact_max = 0; ///< range of the exact values, when exact_known
  int64_t overflows = 0;  ///< exact values outside the type's range once rounded at its LSB
  int64_t rounded = 0;    ///< exact values not on the LSB grid
  int64_t inner = 0;      ///< codes that differ from the cast of the exact value (intermediate casts)
  int64_t clipped = 0;    ///< by_model only: inputs the model's quantizer clipped (its intended saturation)
  /// The distribution: msb_histogram[b] = observed codes whose magnitude
  /// needs b bits (|code| < 2^b, b = 0 for code 0; b = 0..64).
  std::vector<int64_t> msb_histogram;
  int unused_int_bits = 0;   ///< MSBs no observed code needed (0..width)
  int unused_frac_bits = 0;  ///< LSBs (below the binary point) zero in every observed code
  std::optional<Fixed> suggested;        ///< suggested result type (configurable tensors with exact values)
  std::optional<Fixed> accum;            ///< the layer's accumulator type (Dense, ReduceSum)
  std::optional<Fixed> suggested_accum;  ///< suggested accumulator type (when the accumulator is not exact)
  std::string note;                      ///< why a field is missing ("model quantizer", ...)

  double min() const { return type.value(min_code); }  ///< observed minimum value
  double max() const { return type.value(max_code); }  ///< observed maximum value
};

/// Options of profile_model.
struct ProfileOptions {
  int margin_int_bits = 1;    ///< integer bits added to the observed need in the suggestion (>= 0)
  bool suggest = true;        ///< build the suggested configuration and measure its effect
  bool estimate_luts = true;  ///< lower the original and suggested models to netlists for LUT estimates
};

/// The effect of the suggested configuration on the same events.
struct SuggestionEffect {
  bool evaluated = false;            ///< the suggested model compiled and ran
  std::string error;                 ///< why not (one line), when !evaluated
  int64_t overflows = 0;             ///< overflows of the suggested model on these events (profiled again)
  double max_dev_original = 0;       ///< max |output − float model output|, original configuration
  double max_dev_suggested = 0;      ///< the same with the suggested configuration
  int64_t events_identical = 0;      ///< events whose every output code equals the original's
  std::optional<int64_t> luts_original, luts_suggested;  ///< netlist_resources totals.luts_est
  std::string luts_note;             ///< why there is no LUT estimate, when missing
};

/// Everything profile_model found.
struct ProfileResult {
  std::string model;                   ///< Model::source
  int64_t events = 0;
  int margin_int_bits = 1;
  std::vector<TensorProfile> tensors;  ///< graph inputs, then node outputs in graph order
  Config suggested_config;             ///< the model's configuration + the suggested LayerName types
  bool has_suggestion = false;
  SuggestionEffect effect;
  int64_t total_overflows() const;     ///< Σ overflows over the tensors
};

/// Profiles `model` on `rows` events (x: rows × Emulator::input_size()
/// doubles, row-major, as Emulator::run takes them). Runs the emulator, the
/// exact twin of every layer and, with options.suggest, the float model and
/// the suggested configuration (compiled from Model::reference). Throws
/// nanogate::Error for an input out of the input type's range (naming the
/// event), a model the emulator cannot run, rows < 1, or a negative margin.
ProfileResult profile_model(const Model& model, const double* x, int64_t rows, const ProfileOptions& options = {});

/// The whole result as JSON: model, events, margin, per-tensor records (type,
/// range, lsb, observed min/max values and codes, counts, unused bits,
/// suggestions), the suggested configuration and the effect.
nlohmann::ordered_json profile_json(const ProfileResult& r);

/// A one-screen text table: one row per tensor (type, observed range, range of
/// the type, overflows, rounded, unused bits, suggestion), then the effect of
/// the suggestion.
std::string format_profile(const ProfileResult& r);

/// The suggested type per tensor and the accumulators, written over the
/// model's configuration as LayerName entries (profile_suggest.cpp).
Config suggested_config(const Model& model, const std::vector<TensorProfile>& tensors);

}  // namespace nanogate
