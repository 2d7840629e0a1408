// nanogate — trigger thresholds, rates and efficiencies on the firmware's
// exact score codes (analysis/rate.hpp).
#include "nanogate/analysis/rate.hpp"

#include <algorithm>
#include <cmath>

#include "nanogate/error.hpp"

namespace nanogate {

namespace {

/// Events of a sorted sample with code > t.
int64_t count_above(const std::vector<int64_t>& sorted, int64_t t) {
  return int64_t(sorted.end() - std::upper_bound(sorted.begin(), sorted.end(), t));
}

double binomial_sigma(int64_t k, int64_t n) {
  if (n <= 0) return 0;
  double p = double(k) / double(n);
  return std::sqrt(p * (1 - p) / double(n));
}

std::string outputs_list(const Model& m) {
  std::string s;
  for (auto& o : m.graph.outputs) s += (s.empty() ? "" : ", ") + o + shape_str(m.graph.tensor(o).shape);
  return s;
}

}  // namespace

ScoreSpec resolve_score(const Model& m, const std::string& name) {
  const Graph& g = m.graph;
  auto fail = [&](const std::string& why) {
    throw Error(m.source, why + " (graph outputs: " + outputs_list(m) + "; choose one with --score-output TENSOR or TENSOR[k])");
  };
  std::string base = name;
  std::optional<int64_t> index;
  if (auto lb = name.find('['); lb != std::string::npos && name.back() == ']') {
    base = name.substr(0, lb);
    std::string num = name.substr(lb + 1, name.size() - lb - 2);
    char* end = nullptr;
    long long k = std::strtoll(num.c_str(), &end, 10);
    if (num.empty() || *end) fail("score '" + name + "': the element index is not an integer");
    index = k;
  }
  if (base.empty()) {
    std::vector<std::string> single;
    for (auto& o : g.outputs)
      if (g.tensor(o).size() == 1) single.push_back(o);
    if (single.size() != 1) fail("no single one-element graph output to take as the score");
    base = single[0];
  }
  if (!g.has_tensor(base)) {
    const Node* n = nullptr;
    for (auto& nd : g.nodes)
      if (nd.name == base) n = &nd;
    if (!n) fail("no tensor or node named '" + base + "'");
    base = n->outputs.at(0);
  }
  const Tensor& t = g.tensor(base);
  if (t.is_const || !t.type) fail("'" + base + "' is not a fixed-point activation");
  int64_t size = t.size();
  if (!index && size != 1) fail("'" + base + "' has " + std::to_string(size) + " elements per event; give one as " + base + "[k]");
  int64_t k = index.value_or(0);
  if (k < 0) k += size;
  if (k < 0 || k >= size) fail("score '" + name + "': element out of range (0.." + std::to_string(size - 1) + ")");
  ScoreSpec s;
  s.tensor = base;
  s.element = k;
  s.type = *t.type;
  if (!t.dequant_scale.empty()) {
    s.scale = t.dequant_scale[size_t(k)];
    s.offset = t.dequant_offset[size_t(k)];
    if (!(s.scale > 0)) fail("score '" + name + "': its dequantization scale is not positive (codes and values disagree in order)");
  }
  int64_t col = 0;
  for (auto& o : g.outputs) {
    if (o == base) {
      s.is_output = true;
      s.column = col + k;
      break;
    }
    col += g.tensor(o).size();
  }
  return s;
}

std::vector<int64_t> score_codes(const Emulator& emu, const ScoreSpec& s, const double* x, int64_t rows) {
  std::vector<int64_t> out(size_t(std::max<int64_t>(rows, 0)));
  if (s.is_output) {
    EmulatorResult r = emu.run(x, rows);
    for (int64_t e = 0; e < rows; ++e) out[size_t(e)] = r.raw[size_t(e * r.cols + s.column)];
    return out;
  }
  EmulatorResult r = emu.run(x, rows, true, {s.tensor});
  const auto& v = r.trace_raw.at(s.tensor);
  int64_t size = rows ? int64_t(v.size()) / rows : 0;
  for (int64_t e = 0; e < rows; ++e) out[size_t(e)] = v[size_t(e * size + s.element)];
  return out;
}

int64_t threshold_code_for_value(const ScoreSpec& s, double t) {
  // code·lsb·scale + offset > t  <=>  code > (t − offset)/(lsb·scale); exact in
  // long double for power-of-two lsb and unit scale, then checked by value.
  long double q = (static_cast<long double>(t) - s.offset) / (static_cast<long double>(s.type.lsb()) * s.scale);
  long double f = std::floor(q);
  if (!(std::fabs(f) < 9.0e18L)) throw Error("", "threshold " + std::to_string(t) + " is beyond the score's codes");
  int64_t c = int64_t(f);
  while (s.value(c + 1) <= t) ++c;
  while (s.value(c) > t) --c;
  return c;
}

int64_t threshold_for_rate(const std::vector<int64_t>& bg, double rate_khz, double bx_rate_mhz) {
  const int64_t n = int64_t(bg.size());
  const double allowed = rate_khz * double(n) / (bx_rate_mhz * 1000.0);
  int64_t k = int64_t(std::floor(allowed));
  while (k > 0 && double(k) * bx_rate_mhz * 1000.0 > rate_khz * double(n)) --k;
  while (double(k + 1) * bx_rate_mhz * 1000.0 <= rate_khz * double(n) && k < n) ++k;
  if (k >= n) return bg.front() - 1;
  return bg[size_t(n - 1 - k)];  // the (k+1)-th largest
}

RatePoint rate_at(const ScoreSpec& s, double bx_rate_mhz, const std::vector<int64_t>& bg,
                  const std::vector<ScoreSample>& signals, int64_t t) {
  RatePoint p;
  p.threshold_code = t;
  p.threshold_value = s.value(t);
  p.background_pass = count_above(bg, t);
  double bx_khz = bx_rate_mhz * 1000.0;
  p.rate_khz = bx_khz * double(p.background_pass) / double(bg.size());
  p.rate_err_khz = bx_khz * binomial_sigma(p.background_pass, int64_t(bg.size()));
  for (auto& sig : signals) {
    int64_t k = count_above(sig.codes, t);
    p.signal_pass.push_back(k);
    p.efficiency.push_back(sig.codes.empty() ? 0.0 : double(k) / double(sig.codes.size()));
    p.efficiency_err.push_back(binomial_sigma(k, int64_t(sig.codes.size())));
  }
  return p;
}

RateResult rate_analysis(const std::string& model, const ScoreSpec& s, std::vector<int64_t> bg,
                         std::vector<ScoreSample> signals, double bx_rate_mhz, std::optional<double> rate_khz,
                         std::optional<double> threshold) {
  if (bg.empty()) throw Error(model, "the background sample has no events");
  if (!(bx_rate_mhz > 0) || !std::isfinite(bx_rate_mhz))
    throw Error(model, "the bunch-crossing rate must be a positive number of MHz");
  if (rate_khz.has_value() == threshold.has_value()) throw Error(model, "give exactly one of --rate-khz and --threshold");
  if (rate_khz && (!(*rate_khz > 0) || !std::isfinite(*rate_khz)))
    throw Error(model, "the target rate must be a positive number of kHz");
  if (threshold && !std::isfinite(*threshold)) throw Error(model, "the threshold must be a finite number");
  std::sort(bg.begin(), bg.end());
  for (auto& sig : signals) std::sort(sig.codes.begin(), sig.codes.end());
  RateResult r;
  r.model = model;
  r.score = s;
  r.bx_rate_mhz = bx_rate_mhz;
  r.target_rate_khz = rate_khz;
  r.background_events = int64_t(bg.size());
  for (auto& sig : signals) {
    r.signal_names.push_back(sig.name);
    r.signal_events.push_back(int64_t(sig.codes.size()));
  }
  int64_t t = rate_khz ? threshold_for_rate(bg, *rate_khz, bx_rate_mhz) : threshold_code_for_value(s, *threshold);
  r.at = rate_at(s, bx_rate_mhz, bg, signals, t);
  std::vector<int64_t> codes = bg;
  for (auto& sig : signals) codes.insert(codes.end(), sig.codes.begin(), sig.codes.end());
  std::sort(codes.begin(), codes.end());
  codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
  codes.insert(codes.begin(), codes.front() - 1);
  const size_t max_points = 4000;
  size_t step = (codes.size() + max_points - 1) / max_points;
  for (size_t i = 0; i < codes.size(); i += step) r.curve.push_back(rate_at(s, bx_rate_mhz, bg, signals, codes[i]));
  if ((codes.size() - 1) % step) r.curve.push_back(rate_at(s, bx_rate_mhz, bg, signals, codes.back()));
  return r;
}

}  // namespace nanogate
