// nanogate — rate results as JSON, CSV and text (analysis/rate.hpp).
#include <cstdio>

#include "nanogate/analysis/rate.hpp"

namespace nanogate {

namespace {

using ojson = nlohmann::ordered_json;

/// The code as the W bits of the score's type (two's complement), or "" when
/// it lies outside the type (a threshold below every code).
std::string bits_of(const Fixed& t, int64_t code) {
  if (code < t.min_raw() || code > t.max_raw()) return "";
  std::string s;
  for (int b = t.width - 1; b >= 0; --b) s += (uint64_t(code) >> b) & 1 ? '1' : '0';
  return s;
}

ojson point_json(const RateResult& r, const RatePoint& p) {
  ojson j;
  j["threshold_code"] = p.threshold_code;
  j["threshold_value"] = p.threshold_value;
  j["threshold_bits"] = bits_of(r.score.type, p.threshold_code);
  j["background_pass"] = p.background_pass;
  j["rate_khz"] = p.rate_khz;
  j["rate_err_khz"] = p.rate_err_khz;
  ojson sig = ojson::array();
  for (size_t k = 0; k < p.efficiency.size(); ++k)
    sig.push_back({{"name", r.signal_names[k]},
                   {"pass", p.signal_pass[k]},
                   {"events", r.signal_events[k]},
                   {"efficiency", p.efficiency[k]},
                   {"efficiency_err", p.efficiency_err[k]}});
  j["signals"] = sig;
  return j;
}

}  // namespace

nlohmann::ordered_json rate_json(const RateResult& r) {
  ojson j;
  j["model"] = r.model;
  const ScoreSpec& s = r.score;
  j["score"] = {{"tensor", s.tensor}, {"element", s.element}, {"type", s.type.str()}, {"lsb", s.type.lsb()},
                {"min_code", s.type.min_raw()}, {"max_code", s.type.max_raw()},
                {"dequant_scale", s.scale}, {"dequant_offset", s.offset}};
  j["rule"] = "an event fires when score_code > threshold_code (strict); value = code*lsb*dequant_scale + "
              "dequant_offset; rate = bx_rate * fired/N, binomial sigma = bx_rate*sqrt(p(1-p)/N); for a target "
              "rate the threshold is the smallest code whose rate does not exceed it";
  j["bx_rate_mhz"] = r.bx_rate_mhz;
  j["target_rate_khz"] = r.target_rate_khz ? ojson(*r.target_rate_khz) : ojson(nullptr);
  j["background_events"] = r.background_events;
  j["signal_names"] = r.signal_names;
  j["signal_events"] = r.signal_events;
  j["threshold"] = point_json(r, r.at);
  ojson c;
  c["threshold_code"] = ojson::array();
  c["threshold_value"] = ojson::array();
  c["rate_khz"] = ojson::array();
  c["rate_err_khz"] = ojson::array();
  ojson eff = ojson::array(), err = ojson::array();
  for (size_t k = 0; k < r.signal_names.size(); ++k) eff.push_back(ojson::array()), err.push_back(ojson::array());
  for (auto& p : r.curve) {
    c["threshold_code"].push_back(p.threshold_code);
    c["threshold_value"].push_back(p.threshold_value);
    c["rate_khz"].push_back(p.rate_khz);
    c["rate_err_khz"].push_back(p.rate_err_khz);
    for (size_t k = 0; k < p.efficiency.size(); ++k) eff[k].push_back(p.efficiency[k]), err[k].push_back(p.efficiency_err[k]);
  }
  c["efficiency"] = eff;
  c["efficiency_err"] = err;
  j["curve"] = c;
  return j;
}

std::string rate_csv(const RateResult& r) {
  std::string s = "threshold_code,threshold_value,rate_khz,rate_err_khz";
  for (auto& n : r.signal_names) s += ",eff_" + n + ",eff_err_" + n;
  s += "\n";
  char buf[128];
  for (auto& p : r.curve) {
    std::snprintf(buf, sizeof buf, "%lld,%.17g,%.17g,%.17g", (long long)p.threshold_code, p.threshold_value, p.rate_khz,
                  p.rate_err_khz);
    s += buf;
    for (size_t k = 0; k < p.efficiency.size(); ++k) {
      std::snprintf(buf, sizeof buf, ",%.17g,%.17g", p.efficiency[k], p.efficiency_err[k]);
      s += buf;
    }
    s += "\n";
  }
  return s;
}

std::string format_rate(const RateResult& r) {
  std::string s;
  char line[512];
  const RatePoint& p = r.at;
  std::snprintf(line, sizeof line, "%s: score %s[%lld] (%s), %lld background events, bunch crossings %.6g MHz\n",
                r.model.c_str(), r.score.tensor.c_str(), (long long)r.score.element, r.score.type.str().c_str(),
                (long long)r.background_events, r.bx_rate_mhz);
  s += line;
  std::string bits = bits_of(r.score.type, p.threshold_code);
  std::snprintf(line, sizeof line, "threshold: fires when score code > %lld (value %.10g%s%s)%s\n",
                (long long)p.threshold_code, p.threshold_value, bits.empty() ? "" : ", bits ", bits.c_str(),
                r.target_rate_khz ? (" for a rate <= " + std::to_string(*r.target_rate_khz) + " kHz").c_str() : "");
  s += line;
  std::snprintf(line, sizeof line, "rate: %.6g +- %.3g kHz (%lld of %lld background events)\n", p.rate_khz,
                p.rate_err_khz, (long long)p.background_pass, (long long)r.background_events);
  s += line;
  for (size_t k = 0; k < p.efficiency.size(); ++k) {
    std::snprintf(line, sizeof line, "efficiency %s: %.6g +- %.3g (%lld of %lld events)\n", r.signal_names[k].c_str(),
                  p.efficiency[k], p.efficiency_err[k], (long long)p.signal_pass[k], (long long)r.signal_events[k]);
    s += line;
  }
  return s;
}

}  // namespace nanogate
