// nanogate — precision profiling: per-tensor statistics of the firmware's
// codes against the exact results of each layer's twin (analysis/profile.hpp).
#include "nanogate/analysis/profile.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <set>

#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"
#include "analysis/profile_internal.hpp"

namespace nanogate {

namespace {

/// Ops whose result type the model's own quantizer fixes (not configurable).
bool model_quantizer(const std::string& op) {
  return op == "Cast" || op == "Threshold" || op == "InputQuant" || op == "BipolarQuant";
}

/// Ops with an accumulator type.
bool has_accum(const std::string& op) { return op == "Dense" || op == "ReduceSum"; }

/// Ops whose result has no exact fixed-point type (table functions).
bool table_op(const std::string& op) { return op == "Sigmoid" || op == "Softmax"; }

/// The same LSB, rounding and overflow as t with up to 16 more integer bits
/// (64 bits at most): a table function's result without its overflow.
Fixed widened(const Fixed& t) {
  Fixed w = t;
  w.is_signed = true;
  w.width = std::min(64, t.width + 16 + (t.is_signed ? 0 : 1));
  w.int_bits = t.int_bits + (w.width - t.width);
  return w;
}

/// Running statistics of one tensor (over chunks of events).
struct Acc {
  TensorProfile p;
  uint64_t or_bits = 0;           // OR of the codes: trailing zeros = unused LSBs
  uint64_t or_exact = 0;          // OR of the exact values at the type's LSB (low 64 bits)
  std::optional<Fixed> exact_accum;  // the twin's accumulator (Dense, ReduceSum)
  i128 rmin = 0, rmax = 0;        // exact values rounded at the type's LSB (no overflow)
  i128 emin = 0, emax = 0;        // exact values in exact_type codes
  bool any = false, any_exact = false;
};

/// The exact value v (raw code at `frac` fractional bits) against the
/// firmware's code o of type t: updates the counts and ranges.
void account(Acc& a, i128 v, int frac, int64_t o, bool count_overflow) {
  const Fixed& t = a.p.type;
  int F = t.frac_bits();
  i128 r;
  bool rounded = false;
  if (frac <= F) {
    r = v * (i128(1) << std::min(F - frac, 62));  // exact: |v| < 2^64, F - frac small for real types
  } else {
    Fixed wide{true, 64, 64 - F, t.rounding, Overflow::SAT};
    r = quantize(v, frac, wide);
    int d = frac - F;
    rounded = d >= 100 ? v != 0 : (v % (i128(1) << d)) != 0;
  }
  bool over = r < t.min_raw() || r > t.max_raw();
  if (count_overflow) a.p.overflows += over;
  else a.p.clipped += over;
  a.p.rounded += rounded;
  a.p.inner += quantize(v, frac, t) != o;
  if (!a.any_exact) a.rmin = a.rmax = r, a.emin = a.emax = v;
  a.rmin = std::min(a.rmin, r), a.rmax = std::max(a.rmax, r);
  a.or_exact |= uint64_t(r);
  a.emin = std::min(a.emin, v), a.emax = std::max(a.emax, v);
  a.any_exact = true;
}

void observe(Acc& a, int64_t o) {
  if (!a.any) a.p.min_code = a.p.max_code = o;
  a.p.min_code = std::min(a.p.min_code, o);
  a.p.max_code = std::max(a.p.max_code, o);
  a.or_bits |= uint64_t(o);  // two's complement keeps |o|'s trailing zeros
  if (a.p.msb_histogram.empty()) a.p.msb_histogram.assign(65, 0);
  uint64_t mag = o < 0 ? uint64_t(-(o + 1)) + 1 : uint64_t(o);
  ++a.p.msb_histogram[size_t(64 - std::countl_zero(mag))];
  a.any = true;
  ++a.p.values;
}

/// Bits a code range needs at the same binary point: signed or unsigned width.
int width_for(i128 lo, i128 hi, bool is_signed) {
  auto bitlen = [](i128 v) {
    int n = 0;
    while (v > 0) v >>= 1, ++n;
    return n;
  };
  if (!is_signed) return std::max(1, bitlen(hi));
  return 1 + std::max(bitlen(hi), lo < 0 ? bitlen(-(lo + 1)) : 0);
}

/// The graph up to node k: its ancestors and itself, outputs = its outputs.
Graph upto(const Graph& g, size_t k) {
  std::set<std::string> need(g.nodes[k].inputs.begin(), g.nodes[k].inputs.end());
  std::vector<bool> keep(g.nodes.size(), false);
  keep[k] = true;
  for (size_t i = k; i-- > 0;) {
    const Node& n = g.nodes[i];
    bool used = false;
    for (auto& o : n.outputs) used |= need.count(o) != 0;
    if (!used) continue;
    keep[i] = true;
    need.insert(n.inputs.begin(), n.inputs.end());
  }
  Graph t;
  t.source = g.source;
  t.inputs = g.inputs;
  t.outputs = g.nodes[k].outputs;
  t.tensors = g.tensors;
  t.quantized = g.quantized;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (keep[i]) t.nodes.push_back(g.nodes[i]);
  return t;
}

/// A compiled exact twin of node k (see profile.hpp) and its emulator.
struct Twin {
  size_t node = 0;
  Model model;
  std::unique_ptr<Emulator> emu;
};

std::unique_ptr<Twin> make_twin(const Model& m, size_t k) {
  const Node& n = m.graph.nodes[k];
  auto tw = std::make_unique<Twin>();
  tw->node = k;
  Graph g = upto(m.graph, k);
  Config c = m.config;
  std::set<std::string> names(g.inputs.begin(), g.inputs.end());
  for (auto& nd : g.nodes) names.insert(nd.name);
  for (auto it = c.by_name.begin(); it != c.by_name.end();) it = names.count(it->first) ? std::next(it) : c.by_name.erase(it);
  LayerConfig& e = c.by_name[n.name];
  const Fixed& t = *m.graph.tensor(n.outputs.at(0)).type;
  e.precision.result = table_op(n.op) ? TypeSpec{false, widened(t)} : TypeSpec{true, Fixed{}};
  if (has_accum(n.op)) e.precision.accum = TypeSpec{true, Fixed{}};
  infer_precision(g, c);
  tw->model.source = m.source;
  tw->model.graph = std::move(g);
  tw->model.config = std::move(c);
  tw->emu = std::make_unique<Emulator>(tw->model);
  tw->emu->set_threads(1);
  return tw;
}

/// Events per chunk: about 2^23 traced values in memory at a time.
int64_t chunk_rows(const Graph& g) {
  int64_t per_event = 1;
  for (auto& [name, t] : g.tensors)
    if (!t.is_const) per_event += t.size();
  return std::max<int64_t>(1, std::min<int64_t>(8192, (int64_t(1) << 23) / per_event));
}

}  // namespace

namespace profiling {

std::vector<TensorProfile> profile_tensors(const Model& m, const double* x, int64_t rows, int margin) {
  const Graph& g = m.graph;
  Emulator emu(m);
  std::vector<Acc> accs;
  std::map<std::string, size_t> acc_of;
  auto add = [&](const std::string& tensor, const std::string& node, const std::string& op, bool by_model) {
    Acc a;
    a.p.tensor = tensor, a.p.node = node, a.p.op = op, a.p.by_model = by_model;
    a.p.type = *g.tensor(tensor).type;
    acc_of[tensor] = accs.size();
    accs.push_back(a);
  };
  std::vector<int64_t> in_col;  // graph input k's first column in x, -1: quantized host-side
  int64_t col = 0;
  for (auto& in : g.inputs) {
    bool pre = false;
    for (auto* c : g.consumers(in)) pre |= c->op == "InputQuant";
    in_col.push_back(pre ? -1 : col);
    col += g.tensor(in).size();
    if (!pre) add(in, in, "Input", false);
  }
  std::vector<std::unique_ptr<Twin>> twins;
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    const Node& n = g.nodes[k];
    for (auto& o : n.outputs) add(o, n.name, n.op, model_quantizer(n.op));
    if (!model_quantizer(n.op)) {
      try {
        twins.push_back(make_twin(m, k));
      } catch (const Error& e) {  // e.g. an exact type over 64 bits: the counts stay unknown, said so
        for (auto& o : n.outputs) accs[acc_of[o]].p.note = std::string("no exact twin: ") + e.reason();
      }
    }
    if (has_accum(n.op) && n.precision.accum) accs[acc_of[n.outputs[0]]].p.accum = *n.precision.accum;
  }
  const int64_t chunk = chunk_rows(g);
  const int64_t stride = emu.input_size();
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    int64_t n = std::min(chunk, rows - r0);
    const double* xc = x + r0 * stride;
    EmulatorResult res = emu.run(xc, n, true);
    for (auto& [name, codes] : res.trace_raw) {
      auto it = acc_of.find(name);
      if (it == acc_of.end()) continue;
      for (int64_t c : codes) observe(accs[it->second], c);
    }
    // Graph inputs: the user's doubles are the exact values.
    for (size_t k = 0; k < g.inputs.size(); ++k) {
      if (in_col[k] < 0) continue;
      Acc& a = accs[acc_of[g.inputs[k]]];
      const auto& codes = res.trace_raw.at(g.inputs[k]);
      int64_t size = g.tensor(g.inputs[k]).size();
      for (int64_t r = 0; r < n; ++r)
        for (int64_t i = 0; i < size; ++i) {
          double v = xc[r * stride + in_col[k] + i];
          int e;
          double mant = std::frexp(v, &e);  // v = mant·2^e exactly as (mant·2^53)·2^(e-53)
          i128 iv = i128(std::ldexp(mant, 53));
          account(a, iv, 53 - e, codes[size_t(r * size + i)], true);
          a.p.exact_type = a.p.type;  // the range is reported in values below
        }
    }
    // Model quantizers (Cast): their input is the exact value they clip.
    for (const Node& nd : g.nodes) {
      if (nd.op != "Cast") continue;
      const Tensor& in = g.tensor(nd.inputs[0]);
      if (!in.type || !res.trace_raw.count(nd.inputs[0])) continue;
      const auto& vi = res.trace_raw.at(nd.inputs[0]);
      const auto& vo = res.trace_raw.at(nd.outputs[0]);
      if (vi.size() != vo.size()) continue;
      Acc& a = accs[acc_of[nd.outputs[0]]];
      for (size_t i = 0; i < vi.size(); ++i) account(a, vi[i], in.type->frac_bits(), vo[i], false);
      a.p.exact_type = *in.type;
    }
    for (auto& tw : twins) {
      const Node& nd = g.nodes[tw->node];
      EmulatorResult tr = tw->emu->run(xc, n, true, nd.outputs);
      for (auto& o : nd.outputs) {
        Acc& a = accs[acc_of[o]];
        const Fixed& te = *tw->model.graph.tensor(o).type;
        a.p.exact_type = te;
        a.exact_accum = tw->model.graph.nodes.back().precision.accum;
        const auto& ve = tr.trace_raw.at(o);
        const auto& vo = res.trace_raw.at(o);
        for (size_t i = 0; i < ve.size(); ++i) account(a, ve[i], te.frac_bits(), vo[i], true);
      }
    }
  }
  std::vector<TensorProfile> out;
  for (auto& a : accs) {
    TensorProfile& p = a.p;
    const Fixed& t = p.type;
    int F = t.frac_bits();
    int need = a.any ? width_for(p.min_code, p.max_code, t.is_signed) : 0;
    p.unused_int_bits = std::max(0, t.width - std::max(need, 1));
    int tz = a.or_bits == 0 ? 64 : std::countr_zero(a.or_bits);
    p.unused_frac_bits = std::max(0, std::min(tz, F));
    p.exact_known = a.any_exact;
    if (a.any_exact) {
      bool input = p.op == "Input";
      int fe = input ? F : p.exact_type.frac_bits();
      i128 lo = input ? a.rmin : a.emin, hi = input ? a.rmax : a.emax;
      p.exact_min = std::ldexp(double(lo), -fe);
      p.exact_max = std::ldexp(double(hi), -fe);
      if (!p.by_model) {
        bool uns = a.rmin >= 0 && (!t.is_signed || (!input && !p.exact_type.is_signed));
        // Fractional bits no exact value used are trimmed when the type rounded
        // nothing on these events: the suggestion then holds every one of
        // them exactly, as the original did (the trimmed LSBs are zero).
        const int trim = p.rounded == 0 && F > 0 ? std::min(F, a.or_exact ? std::countr_zero(a.or_exact) : 64) : 0;
        const int fs = F - trim;
        int w = std::min(uns ? 63 : 64, width_for(a.rmin >> trim, a.rmax >> trim, !uns) + margin);
        p.suggested = Fixed{!uns, w, w - fs, t.rounding, t.overflow};
        if (p.accum && a.exact_accum && *a.exact_accum != *p.accum) {
          bool sa = p.accum->is_signed || !uns;  // an unsigned accumulator stays unsigned for unsigned results
          int fa = p.accum->frac_bits(), ia = std::min((sa ? 64 : 63) - fa, w - fs);
          int wa = std::max(1, ia + fa);
          p.suggested_accum = Fixed{sa, wa, wa - fa, p.accum->rounding, p.accum->overflow};
        }
      }
    }
    if (!a.any_exact && p.note.empty())
      p.note = p.op == "Threshold" || p.op == "InputQuant" || p.op == "BipolarQuant" ? "model quantizer" : "no exact reference";
    if (p.by_model && p.note.empty()) p.note = "model quantizer";
    out.push_back(p);
  }
  return out;
}

}  // namespace profiling
}  // namespace nanogate
