// nanogate — trigger rates from the firmware's own bits.
//
// A trigger fires on an event when its score, the raw code the firmware
// computes (the bit-exact emulator), is STRICTLY GREATER than a threshold
// code of the same fixed-point type: `score_code > threshold_code`, one
// integer comparison the firmware reproduces bit for bit. The rate is
// bx_rate × (background events that fire) / (background events), its
// uncertainty the binomial σ = bx_rate·sqrt(p(1−p)/N); a signal sample's
// efficiency is the fraction of its events that fire (σ likewise).
// The threshold for a target rate R is the smallest code whose rate does not
// exceed R: with k = floor(R·N / bx_rate) background events allowed, the
// (k+1)-th largest background score (every score above it fires, at most k
// events); when k >= N every event fires (threshold = the smallest score − 1).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "nanogate/emulate/emulator.hpp"
#include "nanogate/fixed.hpp"
#include "nanogate/model.hpp"

namespace nanogate {

/// The score: one element of one tensor of the typed graph, per event.
struct ScoreSpec {
  std::string tensor;    ///< tensor name
  int64_t element = 0;   ///< element of the tensor (per event)
  bool is_output = false;  ///< a graph output (read from the outputs, else traced)
  int64_t column = 0;    ///< its column in the emulator's outputs (is_output)
  Fixed type;            ///< the score's fixed-point type
  double scale = 1, offset = 0;  ///< model value = code·lsb·scale + offset (Tensor::dequant_scale; scale > 0)
  /// Model value of a code.
  double value(int64_t code) const { return type.value(code) * scale + offset; }
};

/// Resolves the score named `name`: a tensor or node name (its first output),
/// optionally with an element index "NAME[k]" (k < 0 counts from the end);
/// "" = the model's only graph output of one element per event. Throws
/// nanogate::Error naming the model and listing the graph outputs when the
/// name is unknown, the element is out of range, the tensor has several
/// elements and no index, or the dequantization scale is not positive.
ScoreSpec resolve_score(const Model& m, const std::string& name);

/// The score's raw codes on `rows` events (x: rows × input_size doubles).
/// Throws nanogate::Error as Emulator::run does.
std::vector<int64_t> score_codes(const Emulator& emu, const ScoreSpec& s, const double* x, int64_t rows);

/// A named sample's score codes.
struct ScoreSample {
  std::string name;             ///< e.g. the file name
  std::vector<int64_t> codes;   ///< one per event
};

/// Rate, efficiencies and their uncertainties at one threshold code.
struct RatePoint {
  int64_t threshold_code = 0;
  double threshold_value = 0;    ///< ScoreSpec::value(threshold_code)
  int64_t background_pass = 0;   ///< background events with score > threshold
  double rate_khz = 0, rate_err_khz = 0;
  std::vector<int64_t> signal_pass;  ///< per signal sample
  std::vector<double> efficiency, efficiency_err;
};

/// The chosen threshold and the curves.
struct RateResult {
  std::string model;
  ScoreSpec score;
  double bx_rate_mhz = 40;
  std::optional<double> target_rate_khz;  ///< --rate-khz, when the threshold was derived from it
  int64_t background_events = 0;
  std::vector<std::string> signal_names;
  std::vector<int64_t> signal_events;
  RatePoint at;                  ///< at the chosen threshold
  std::vector<RatePoint> curve;  ///< ascending thresholds: the smallest score − 1, then every distinct score code (evenly thinned to at most 4000 points)
};

/// The point at threshold code `t` for the samples.
RatePoint rate_at(const ScoreSpec& s, double bx_rate_mhz, const std::vector<int64_t>& background_sorted,
                  const std::vector<ScoreSample>& signals_sorted, int64_t t);

/// The threshold code for a target rate (rate.hpp's rule) on sorted background codes.
int64_t threshold_for_rate(const std::vector<int64_t>& background_sorted, double rate_khz, double bx_rate_mhz);

/// The largest code c with value(c) <= t: "score > t" in model values is
/// exactly "code > threshold_code(t)".
int64_t threshold_code_for_value(const ScoreSpec& s, double t);

/// The full analysis: exactly one of rate_khz / threshold (model value) is
/// given. Throws nanogate::Error (naming `model`) for an empty background, a
/// rate or bx rate that is not positive and finite, or neither/both given.
RateResult rate_analysis(const std::string& model, const ScoreSpec& s, std::vector<int64_t> background,
                         std::vector<ScoreSample> signals, double bx_rate_mhz, std::optional<double> rate_khz,
                         std::optional<double> threshold);

/// JSON: model, score (tensor, element, type, lsb, dequantization), rule,
/// bx rate, sample sizes, the point at the threshold and the curves.
nlohmann::ordered_json rate_json(const RateResult& r);

/// The curves as CSV: threshold_code, threshold_value, rate_khz,
/// rate_err_khz, then eff_<signal>, eff_err_<signal> per signal sample.
std::string rate_csv(const RateResult& r);

/// A few lines: the threshold (code, value, bits), rate ± σ, efficiencies.
std::string format_rate(const RateResult& r);

}  // namespace nanogate
