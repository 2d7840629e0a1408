// nanogate — profile_model: the statistics, the suggested configuration and
// what it does to the outputs and the LUT estimate (analysis/profile.hpp).
#include <cmath>
#include <set>

#include "analysis/profile_internal.hpp"
#include "nanogate/backend/verilog_project.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/netlist/lower.hpp"

namespace nanogate {

namespace {

/// Tensors whose type follows their inputs' (a Move or ReduceMax whose type is
/// its exact one, not a configured cast): configured only when they overflowed.
bool follows_inputs(const TensorProfile& t) {
  return (t.op == "Move" || t.op == "ReduceMax") && t.exact_known && t.type == t.exact_type;
}

/// totals.luts_est of the model's netlist (netlist_resources).
int64_t luts_of(const Model& m) {
  return netlist_resources(lower_to_netlist(m))["totals"]["luts_est"].get<int64_t>();
}

/// max |a_i - b_i| over two equally long output vectors (NaN counts as infinite).
double max_dev(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    double e = std::fabs(a[i] - b[i]);
    d = std::isnan(e) ? INFINITY : std::max(d, e);
  }
  return d;
}

/// The suggested configuration made overflow-free on these events: the
/// suggestion is compiled and profiled again (widening a layer changes what
/// its consumers see) and every tensor that still overflows takes the type
/// suggested from that run, for up to `rounds` rounds. Updates the tensors'
/// suggestions; returns the compiled model of the final configuration.
Model settle(const Model& m, Config& sc, std::vector<TensorProfile>& tensors, const double* x, int64_t rows, int margin,
             int64_t& overflows, int rounds = 6) {
  for (int k = 0;; ++k) {
    Model ms = compile_graph(m.reference, sc);
    std::vector<TensorProfile> again = profiling::profile_tensors(ms, x, rows, margin);
    overflows = 0;
    for (auto& t : again) overflows += t.overflows;
    if (overflows == 0 || k == rounds) return ms;
    for (auto& t : again) {
      if (t.overflows == 0 || !t.suggested) continue;
      LayerConfig& e = sc.by_name[t.node];
      e.precision.result = TypeSpec{false, *t.suggested};
      if (t.suggested_accum) e.precision.accum = TypeSpec{false, *t.suggested_accum};
      for (auto& o : tensors)
        if (o.tensor == t.tensor) o.suggested = t.suggested, o.suggested_accum = t.suggested_accum;
    }
  }
}

/// When the original has no overflow, the suggestion must not change one
/// output bit; configuring a layer of a float-scaled QONNX chain would
/// (absorb_scales leaves configured layers to their configured types). Keeps,
/// one LayerName entry at a time, those that leave every output code as
/// `raw0` has it; drops the others from `sc` with a note on their tensors.
Model keep_bit_exact(const Model& m, Config& sc, std::vector<TensorProfile>& tensors, const double* x, int64_t rows,
                     const std::vector<int64_t>& raw0) {
  Config base = m.config;
  for (auto& [name, entry] : sc.by_name) {
    Config trial = base;
    trial.by_name[name] = entry;
    bool same = false;
    try {
      Model t = compile_graph(m.reference, trial);
      same = Emulator(t).run(x, rows).raw == raw0;
    } catch (const Error&) {
    }
    if (same) {
      base = std::move(trial);
      continue;
    }
    for (auto& t : tensors)
      if (t.node == name) {
        t.suggested.reset();
        t.suggested_accum.reset();
        t.note = "not suggested: configuring it changes the model's exact form";
      }
  }
  sc = std::move(base);
  return compile_graph(m.reference, sc);
}

SuggestionEffect evaluate(const Model& m, Config& sc, std::vector<TensorProfile>& tensors, const double* x,
                          int64_t rows, int margin, bool luts, bool original_clean) {
  SuggestionEffect e;
  Model ms;
  try {
    ms = settle(m, sc, tensors, x, rows, margin, e.overflows);
  } catch (const Error& err) {
    e.error = err.what();
    return e;
  }
  EmulatorResult rf = Emulator(m, true).run(x, rows);
  EmulatorResult r0 = Emulator(m).run(x, rows);
  EmulatorResult r1 = Emulator(ms).run(x, rows);
  if (original_clean && e.overflows == 0 && r1.raw != r0.raw) {
    ms = keep_bit_exact(m, sc, tensors, x, rows, r0.raw);
    r1 = Emulator(ms).run(x, rows);
  }
  e.max_dev_original = max_dev(r0.values, rf.values);
  e.max_dev_suggested = max_dev(r1.values, rf.values);
  for (int64_t r = 0; r < rows; ++r) {
    bool same = true;
    for (int64_t c = 0; c < r0.cols; ++c) same &= r0.raw[size_t(r * r0.cols + c)] == r1.raw[size_t(r * r1.cols + c)];
    e.events_identical += same;
  }
  e.evaluated = true;
  if (luts) {
    try {
      e.luts_original = luts_of(m);
      e.luts_suggested = luts_of(ms);
    } catch (const Error& err) {
      e.luts_original.reset();
      e.luts_suggested.reset();
      e.luts_note = std::string("none: the netlist lowering refused the model (") + err.what() + ")";
    }
  } else {
    e.luts_note = "none: not requested";
  }
  return e;
}

}  // namespace

int64_t ProfileResult::total_overflows() const {
  int64_t s = 0;
  for (auto& t : tensors) s += t.overflows;
  return s;
}

Config suggested_config(const Model& model, const std::vector<TensorProfile>& tensors) {
  Config c = model.config;
  std::set<std::string> done;  // a node with several outputs: its first output's type
  for (auto& t : tensors) {
    if (!t.suggested || (follows_inputs(t) && t.overflows == 0) || !done.insert(t.node).second) continue;
    LayerConfig& e = c.by_name[t.node];
    e.precision.result = TypeSpec{false, *t.suggested};
    if (t.suggested_accum) e.precision.accum = TypeSpec{false, *t.suggested_accum};
  }
  return c;
}

ProfileResult profile_model(const Model& model, const double* x, int64_t rows, const ProfileOptions& o) {
  if (rows < 1) throw Error(model.source, "profile needs at least one event");
  if (o.margin_int_bits < 0 || o.margin_int_bits > 32)
    throw Error(model.source, "the margin must be 0..32 integer bits (got " + std::to_string(o.margin_int_bits) + ")");
  ProfileResult r;
  r.model = model.source;
  r.events = rows;
  r.margin_int_bits = o.margin_int_bits;
  r.tensors = profiling::profile_tensors(model, x, rows, o.margin_int_bits);
  if (o.suggest) {
    r.suggested_config = suggested_config(model, r.tensors);
    for (auto& t : r.tensors)
      if (follows_inputs(t) && t.overflows == 0 && t.suggested) {
        t.suggested.reset();
        t.note = "follows its inputs";
      }
    r.has_suggestion = true;
    r.effect = evaluate(model, r.suggested_config, r.tensors, x, rows, o.margin_int_bits, o.estimate_luts,
                        r.total_overflows() == 0);
  }
  return r;
}

}  // namespace nanogate
