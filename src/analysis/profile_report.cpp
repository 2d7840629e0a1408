// nanogate — profile results as JSON and as a one-screen table (analysis/profile.hpp).
#include <cmath>
#include <cstdio>

#include "nanogate/analysis/profile.hpp"

namespace nanogate {

namespace {

using ojson = nlohmann::ordered_json;

ojson type_json(const std::optional<Fixed>& t) { return t ? ojson(t->str()) : ojson(nullptr); }

/// A finite double for JSON (nlohmann writes NaN/inf as null anyway; say so).
ojson num(double v) { return std::isfinite(v) ? ojson(v) : ojson(nullptr); }

std::string fmt(const char* f, double a, double b) {
  char buf[96];
  std::snprintf(buf, sizeof buf, f, a, b);
  return buf;
}

std::string cut(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n - 1) + "~"; }

}  // namespace

nlohmann::ordered_json profile_json(const ProfileResult& r) {
  ojson j;
  j["model"] = r.model;
  j["events"] = r.events;
  j["margin_int_bits"] = r.margin_int_bits;
  j["total_overflows"] = r.total_overflows();
  j["definitions"] = {
      {"overflows", "elements whose exact result (the layer evaluated with exact accum/result types on the "
                    "firmware's own inputs), rounded at the type's LSB, is outside the type's range"},
      {"rounded", "elements whose exact result is not a multiple of the type's LSB"},
      {"inner", "elements whose firmware code differs from the cast of the exact result (intermediate casts)"},
      {"clipped", "model quantizers only: inputs their intended saturation clipped (never an overflow)"},
      {"values", "fixed-point values code*lsb, before host-side dequantization"},
      {"msb_histogram", "observed codes by the bits their magnitude needs: entry b counts |code| in [2^(b-1), 2^b)"}};
  ojson ts = ojson::array();
  for (auto& t : r.tensors) {
    ojson e;
    e["tensor"] = t.tensor;
    e["node"] = t.node;
    e["op"] = t.op;
    e["type"] = t.type.str();
    e["by_model"] = t.by_model;
    e["lsb"] = t.type.lsb();
    e["range"] = {t.type.value(t.type.min_raw()), t.type.value(t.type.max_raw())};
    e["range_codes"] = {t.type.min_raw(), t.type.max_raw()};
    e["values"] = t.values;
    e["observed"] = {{"min", t.min()}, {"max", t.max()}, {"min_code", t.min_code}, {"max_code", t.max_code}};
    if (t.exact_known)
      e["exact"] = {{"type", t.exact_type.str()}, {"min", num(t.exact_min)}, {"max", num(t.exact_max)}};
    else
      e["exact"] = nullptr;
    e["overflows"] = t.overflows;
    e["rounded"] = t.rounded;
    e["inner"] = t.inner;
    e["clipped"] = t.clipped;
    {
      size_t n = t.msb_histogram.size();
      while (n > 0 && t.msb_histogram[n - 1] == 0) --n;  // trailing empty bins left out
      e["msb_histogram"] = std::vector<int64_t>(t.msb_histogram.begin(), t.msb_histogram.begin() + long(n));
    }
    e["unused_int_bits"] = t.unused_int_bits;
    e["unused_frac_bits"] = t.unused_frac_bits;
    e["accum"] = type_json(t.accum);
    e["suggested"] = type_json(t.suggested);
    e["suggested_accum"] = type_json(t.suggested_accum);
    e["note"] = t.note;
    ts.push_back(e);
  }
  j["tensors"] = ts;
  if (r.has_suggestion) {
    j["suggested_config"] = ojson::parse(config_to_json_text(r.suggested_config));
    const SuggestionEffect& f = r.effect;
    ojson e;
    e["evaluated"] = f.evaluated;
    if (!f.evaluated) e["error"] = f.error;
    e["overflows"] = f.overflows;
    e["max_abs_dev_from_float_original"] = num(f.max_dev_original);
    e["max_abs_dev_from_float_suggested"] = num(f.max_dev_suggested);
    e["events_identical_to_original"] = f.events_identical;
    e["luts_est_original"] = f.luts_original ? ojson(*f.luts_original) : ojson(nullptr);
    e["luts_est_suggested"] = f.luts_suggested ? ojson(*f.luts_suggested) : ojson(nullptr);
    if (!f.luts_note.empty()) e["luts_note"] = f.luts_note;
    j["effect"] = e;
  }
  return j;
}

std::string format_profile(const ProfileResult& r) {
  std::string s;
  char line[512];
  std::snprintf(line, sizeof line, "%s: %lld events, margin +%d integer bit(s)\n", r.model.c_str(),
                (long long)r.events, r.margin_int_bits);
  s += line;
  std::snprintf(line, sizeof line, "%-22s %-9s %-22s %-23s %-23s %9s %9s %5s  %s\n", "tensor", "op", "type",
                "observed [min, max]", "type range", "overflow", "rounded", "free", "suggested");
  s += line;
  for (auto& t : r.tensors) {
    std::string ovf = t.by_model ? (t.clipped ? "clip " + std::to_string(t.clipped) : "-") : std::to_string(t.overflows);
    std::string rnd = t.exact_known ? std::to_string(t.rounded) : "-";
    std::string sug = t.suggested ? t.suggested->str() : t.note;
    if (t.suggested_accum) sug += " acc " + t.suggested_accum->str();
    std::snprintf(line, sizeof line, "%-22s %-9s %-22s %-23s %-23s %9s %9s %2d/%-2d  %s\n", cut(t.tensor, 22).c_str(),
                  cut(t.op, 9).c_str(), cut(t.type.str(), 22).c_str(), fmt("[%.4g, %.4g]", t.min(), t.max()).c_str(),
                  fmt("[%.4g, %.4g]", t.type.value(t.type.min_raw()), t.type.value(t.type.max_raw())).c_str(),
                  ovf.c_str(), rnd.c_str(), t.unused_int_bits, t.unused_frac_bits, sug.c_str());
    s += line;
  }
  s += "free: integer/fractional bits no observed code used; overflow: exact results outside the type (wrap or "
       "saturation)\n";
  std::snprintf(line, sizeof line, "total overflows: %lld\n", (long long)r.total_overflows());
  s += line;
  if (r.has_suggestion) {
    const SuggestionEffect& f = r.effect;
    if (!f.evaluated) {
      s += "suggested configuration: not evaluated: " + f.error + "\n";
    } else {
      std::snprintf(line, sizeof line,
                    "suggested configuration: %lld overflows; max |output - float| %.6g -> %.6g; %lld/%lld events "
                    "bit-identical to the original\n",
                    (long long)f.overflows, f.max_dev_original, f.max_dev_suggested, (long long)f.events_identical,
                    (long long)r.events);
      s += line;
      if (f.luts_original && f.luts_suggested)
        std::snprintf(line, sizeof line, "estimated LUTs (netlist, pre-synthesis): %lld -> %lld\n",
                      (long long)*f.luts_original, (long long)*f.luts_suggested);
      else
        std::snprintf(line, sizeof line, "estimated LUTs: %s\n", f.luts_note.c_str());
      s += line;
    }
  }
  return s;
}

}  // namespace nanogate
