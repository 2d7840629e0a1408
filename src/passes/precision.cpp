// nanogate — precision inference: configuration + interval analysis (passes.hpp).
#include <algorithm>
#include <cmath>
#include <set>

#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"
#include "emulate/float_ops.hpp"
#include "passes/interval.hpp"

namespace nanogate {

namespace {

struct Inference {
  Graph& g;
  const Config& cfg;

  [[noreturn]] void fail(const Node& n, const std::string& why) { throw Error(g.source, n.name, n.op, why); }

  /// Merged configuration of a node: LayerType < LayerName (Model is handled
  /// by the defaults below).
  PrecisionSpec configured(const std::string& name, const std::string& type) const {
    PrecisionSpec p;
    auto merge = [&](const PrecisionSpec& s) {
      if (s.weight) p.weight = s.weight;
      if (s.bias) p.bias = s.bias;
      if (s.accum) p.accum = s.accum;
      if (s.result) p.result = s.result;
    };
    if (auto it = cfg.by_type.find(type); it != cfg.by_type.end()) merge(it->second.precision);
    if (auto it = cfg.by_name.find(name); it != cfg.by_name.end()) merge(it->second.precision);
    return p;
  }

  /// Type of a constant operand: its Quant type, the configured one, the
  /// exact type of its values when they need at most 18 significant bits,
  /// else the Model precision.
  Fixed const_type(const Tensor& t, const std::optional<TypeSpec>& configured_spec) const {
    if (t.type) return *t.type;
    if (configured_spec && !configured_spec->is_auto) return configured_spec->type;
    if (auto e = exact_type_of_values(t.values, 18)) return *e;
    if (configured_spec && configured_spec->is_auto) {
      if (auto e = exact_type_of_values(t.values, 53)) return *e;
    }
    return cfg.default_precision;
  }

  /// Type of an arithmetic result: configured, else exact (quantized model;
  /// falls back to the Model precision beyond 64 bits or for non-exact ops),
  /// else the Model precision (float model).
  Fixed result_type(const Node& n, const std::optional<TypeSpec>& conf, const std::optional<Interval>& exact) {
    if (conf && !conf->is_auto) return conf->type;
    bool want_exact = (conf && conf->is_auto) || g.quantized;
    if (want_exact && exact) {
      try {
        return exact->type();
      } catch (const FixedTypeError& e) {
        fail(n, std::string("the exact result type is impossible (") + e.what() +
                    "); configure a result precision for this layer");
      }
    }
    if (conf && conf->is_auto && !exact) fail(n, "auto precision: this op has no exact fixed-point result");
    return cfg.default_precision;
  }

  Fixed type_of(const std::string& t, const Node& n) {
    const Tensor& x = g.tensor(t);
    if (!x.type) fail(n, "input '" + t + "' has no fixed-point type");
    return *x.type;
  }

  void set_output(Node& n, const Fixed& t) {
    t.validate();
    n.precision.result = t;
    for (auto& o : n.outputs) g.tensor(o).type = t;
  }

  void check_names() {
    std::set<std::string> names(g.inputs.begin(), g.inputs.end());
    for (auto& n : g.nodes) names.insert(n.name);
    for (auto& [name, _] : cfg.by_name)
      if (!names.count(name)) {
        std::string list;
        int k = 0;
        for (auto& nm : names)
          if (k++ < 12) list += (list.empty() ? "" : ", ") + nm;
        if (names.size() > 12) list += ", ...";
        throw Error(cfg.source, "config LayerName." + name + ": no layer or input named '" + name + "' in " + g.source +
                                    " (layers: " + list + ")");
      }
  }

  void inputs() {
    for (auto& in : g.inputs) {
      bool pre = false;
      for (auto* c : g.consumers(in)) pre |= c->op == "InputQuant";
      if (pre) {
        if (cfg.by_name.count(in))
          throw Error(cfg.source, "config LayerName." + in + ": input '" + in +
                                      "' is quantized by the model's first Quant; its type cannot be configured");
        continue;
      }
      PrecisionSpec p = configured(in, "Input");
      // A type the frontend gave the input (the exact input type of a model
      // whose quantizers need one, e.g. HGQ2's) stands unless configured.
      Fixed t = (p.result && !p.result->is_auto) ? p.result->type : g.tensor(in).type.value_or(cfg.default_precision);
      g.tensor(in).type = t;
    }
  }

  void node(Node& n) {
    PrecisionSpec p = configured(n.name, n.op);
    auto rf = cfg.by_name.count(n.name) ? cfg.by_name.at(n.name).reuse_factor : std::nullopt;
    n.reuse_factor = rf.value_or(cfg.model.reuse_factor.value_or(1));
    auto pf = cfg.by_name.count(n.name) ? cfg.by_name.at(n.name).parallelization_factor : std::nullopt;
    n.parallelization_factor = pf.value_or(cfg.model.parallelization_factor.value_or(1));
    n.strategy = cfg.model.strategy.value_or("Latency");
    if (auto it = cfg.by_type.find(n.op); it != cfg.by_type.end() && it->second.strategy) n.strategy = *it->second.strategy;
    if (auto it = cfg.by_name.find(n.name); it != cfg.by_name.end() && it->second.strategy) n.strategy = *it->second.strategy;
    if (!g.quantized) {  // float model: Model precision everywhere a type is needed, as in hls4ml
      PrecisionSpec m = cfg.model.precision;
      if (!p.weight && m.weight) p.weight = m.weight;
      if (!p.bias && m.bias) p.bias = m.bias;
      if (!p.accum) p.accum = m.accum ? m.accum : TypeSpec{false, cfg.default_precision};
      if (!p.result && n.op != "Move" && n.op != "ReduceMax") p.result = m.result ? m.result : TypeSpec{false, cfg.default_precision};
      if (!p.weight) p.weight = TypeSpec{false, cfg.default_precision};
      if (!p.bias) p.bias = TypeSpec{false, cfg.default_precision};
    }
    const std::string& op = n.op;
    if (op == "InputQuant" || op == "Cast" || op == "Threshold" || op == "BipolarQuant") {
      if (op == "BipolarQuant") {
        const Tensor& s = g.tensor(n.inputs.at(1));
        int e;
        if (!s.is_const || s.values.size() != 1 || std::frexp(s.values[0], &e) != 0.5)
          fail(n, "BipolarQuant needs a constant power-of-two scale");
        n.precision.result = Fixed{true, 2, 2 - (1 - e), Rounding::TRN, Overflow::WRAP};
      }
      Fixed fixed_by_model = *n.precision.result;
      if (auto it = cfg.by_name.find(n.name); it != cfg.by_name.end() && it->second.precision.result &&
                                              !it->second.precision.result->is_auto &&
                                              it->second.precision.result->type != fixed_by_model) {
        throw Error(cfg.source, "config LayerName." + n.name + ".Precision.result: " +
                                      it->second.precision.result->type.str() + " conflicts with the exact type " +
                                      fixed_by_model.str() + " fixed by the model's Quant node");
      }
      if (op == "Threshold") type_of(n.inputs[0], n);
      set_output(n, fixed_by_model);
      return;
    }
    if (op == "Dense") {
      Fixed tx = type_of(n.inputs[0], n);
      const Tensor& W = g.tensor(n.inputs[1]);
      Fixed tw = const_type(W, p.weight);
      n.precision.weight = tw;
      std::optional<Fixed> tb;
      if (n.inputs.size() > 2) tb = n.precision.bias = const_type(g.tensor(n.inputs[2]), p.bias);
      Interval acc = dense_interval(tx, W, tw, n.inputs.size() > 2 ? &g.tensor(n.inputs[2]) : nullptr, tb);
      Fixed ta = result_type(n, p.accum, acc);
      n.precision.accum = ta;
      auto res_spec = p.result;
      if ((!res_spec || res_spec->is_auto) && p.accum && !p.accum->is_auto) res_spec = TypeSpec{false, ta};
      set_output(n, result_type(n, res_spec, Interval::of(ta)));
      return;
    }
    if (op == "Add" || op == "Sub" || op == "Mul") {
      std::vector<Interval> iv;
      for (auto& i : n.inputs) {
        const Tensor& t = g.tensor(i);
        if (t.is_const) {
          Fixed ct = const_type(t, p.weight);
          n.precision.weight = ct;
          iv.push_back(Interval::of_values(t.values, ct));
        } else {
          iv.push_back(Interval::of(type_of(i, n)));
        }
      }
      std::optional<Interval> r;
      if (op == "Add") r = iv[0].add(iv[1]);
      if (op == "Sub") r = iv[0].sub(iv[1]);
      if (op == "Mul") r = n.inputs[0] == n.inputs[1] ? iv[0].square() : iv[0].mul(iv[1]);
      set_output(n, result_type(n, p.result, r));
      return;
    }
    if (op == "Relu") {
      Fixed tx = type_of(n.inputs[0], n);
      set_output(n, result_type(n, p.result, Interval::of(tx).relu()));
      return;
    }
    if (op == "LeakyRelu") {
      Fixed tx = type_of(n.inputs[0], n);
      double alpha = n.attr_float("alpha", 0.01);
      Tensor a;
      a.values = {alpha};
      Fixed ta = const_type(a, p.weight);
      n.precision.weight = ta;
      Interval ix = Interval::of(tx);
      set_output(n, result_type(n, p.result, ix.unite(ix.mul(Interval::of_values({alpha}, ta)))));
      return;
    }
    if (op == "Sigmoid" || op == "Softmax") {
      type_of(n.inputs[0], n);
      set_output(n, result_type(n, p.result, std::nullopt));
      return;
    }
    if (op == "BatchNorm") {
      Fixed tx = type_of(n.inputs[0], n);
      std::vector<double> scale, offset;
      batchnorm_affine(g, n, scale, offset);
      Tensor st, ot;
      st.values = scale;
      ot.values = offset;
      Fixed ts = const_type(st, p.weight), to = const_type(ot, p.bias);
      n.precision.weight = ts;
      n.precision.bias = to;
      Interval r = Interval::of(tx).mul(Interval::of_values(scale, ts)).add(Interval::of_values(offset, to));
      set_output(n, result_type(n, p.result, r));
      return;
    }
    if (op == "ReduceSum") {
      Fixed tx = type_of(n.inputs[0], n);
      int64_t terms = g.tensor(n.inputs[0]).size() / std::max<int64_t>(1, g.tensor(n.outputs[0]).size());
      Fixed ta = result_type(n, p.accum, Interval::of(tx).times(terms));
      n.precision.accum = ta;
      auto res_spec = p.result;
      if ((!res_spec || res_spec->is_auto) && p.accum && !p.accum->is_auto) res_spec = TypeSpec{false, ta};
      set_output(n, result_type(n, res_spec, Interval::of(ta)));
      return;
    }
    if (op == "Move" || op == "ReduceMax") {  // a copy / a maximum of the inputs' values; Move's -1 is a zero
      std::optional<Interval> u;
      for (auto& i : n.inputs) {
        Interval x = Interval::of(type_of(i, n));
        u = u ? u->unite(x) : x;
      }
      auto map = n.attr_ints("map", {});
      if (std::find(map.begin(), map.end(), -1) != map.end()) u = u->unite(Interval::of_values({0.0}, u->type()));
      if (p.result && !p.result->is_auto) set_output(n, p.result->type);
      else set_output(n, u->type());
      return;
    }
    fail(n, "no precision rule for op '" + op + "'");
  }

  void run() {
    check_names();
    inputs();
    for (auto& n : g.nodes) {
      try {
        node(n);
      } catch (const FixedTypeError& e) {  // e.g. an exact product wider than 64 bits
        fail(n, std::string(e.what()) + "; configure narrower types or a result precision for this layer");
      }
    }
  }
};

}  // namespace

void infer_precision(Graph& g, const Config& cfg) { Inference{g, cfg}.run(); }

}  // namespace nanogate
