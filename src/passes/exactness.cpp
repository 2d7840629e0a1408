// nanogate — which layers reproduce the model exactly (passes.hpp, mark_exactness).
#include <cmath>
#include <sstream>

#include "emulate/float_ops.hpp"
#include "nanogate/error.hpp"
#include "nanogate/passes/passes.hpp"

namespace nanogate {

namespace {

/// How many of `values` the type `t` does not hold exactly, and the first.
int64_t not_held(const std::vector<double>& values, const Fixed& t, double& first) {
  int64_t bad = 0;
  for (double v : values)
    if (!std::isfinite(v) || t.value(quantize(v, t)) != v) {
      if (!bad) first = v;
      ++bad;
    }
  return bad;
}

std::string rounded(const std::string& what, int64_t bad, size_t total, double first, const Fixed& t) {
  std::ostringstream os;
  os.precision(9);
  os << bad << " of " << total << " " << what << " are float values that " << t.str() << " rounds (e.g. " << first
     << ")";
  return os.str();
}

}  // namespace

void mark_exactness(Graph& g, const Config& cfg) {
  for (Node& n : g.nodes) {
    n.exactness = Exactness::Exact;
    n.exactness_note.clear();
    if (!g.quantized) {
      n.exactness = Exactness::FloatModel;
      continue;
    }
    const bool configured = cfg.by_name.count(n.name) || cfg.by_type.count(n.op);
    std::string why;
    double first = 0;
    auto check = [&](const std::string& what, const std::vector<double>& v, const std::optional<Fixed>& t) {
      if (!t || !why.empty()) return;
      if (int64_t bad = not_held(v, *t, first)) why = rounded(what, bad, v.size(), first, *t);
    };
    if (n.op == "Dense") {
      check("weights", g.tensor(n.inputs[1]).values, n.precision.weight);
      if (n.inputs.size() > 2) check("biases", g.tensor(n.inputs[2]).values, n.precision.bias);
    } else if (n.op == "Add" || n.op == "Sub" || n.op == "Mul") {
      for (auto& i : n.inputs)
        if (g.tensor(i).is_const) check("constants", g.tensor(i).values, n.precision.weight);
    } else if (n.op == "LeakyRelu") {
      check("alpha values", {n.attr_float("alpha", 0.01)}, n.precision.weight);
    } else if (n.op == "BatchNorm") {
      std::vector<double> sc, of;
      batchnorm_affine(g, n, sc, of);
      check("BatchNorm scales", sc, n.precision.weight);
      check("BatchNorm offsets", of, n.precision.bias);
    } else if (n.op == "Sigmoid" || n.op == "Softmax") {
      n.exactness = Exactness::Table;
      n.exactness_note = "a float function, evaluated per input code and rounded to " + n.precision.result->str();
      continue;
    }
    if (why.empty()) continue;
    n.exactness = configured ? Exactness::Configured : Exactness::Inexact;
    n.exactness_note = why;
  }
}

std::string exactness_str(const Node& n) {
  switch (n.exactness) {
    case Exactness::Exact: return "exact";
    case Exactness::FloatModel: return "-";
    case Exactness::Table: return "table";
    case Exactness::Configured: return "configured";
    case Exactness::Inexact: return "INEXACT";
  }
  return "?";
}

std::vector<std::string> require_exact(const Graph& g, bool allow_inexact) {
  std::vector<std::string> warnings;
  for (const Node& n : g.nodes) {
    if (n.exactness == Exactness::Inexact) {
      if (!allow_inexact)
        throw Error(g.source, n.name, n.op,
                    "not bit-exact with the model: " + n.exactness_note +
                        " (quantize these constants in the model, configure this layer's precision, or pass "
                        "--allow-inexact / allow_inexact=True to run it anyway)");
      warnings.push_back(g.source + ": node '" + n.name + "' (" + n.op + "): not bit-exact with the model: " +
                         n.exactness_note + " (allowed by --allow-inexact)");
    } else if (n.exactness == Exactness::Table) {
      warnings.push_back(g.source + ": node '" + n.name + "' (" + n.op + "): " + n.exactness_note);
    }
  }
  return warnings;
}

}  // namespace nanogate
