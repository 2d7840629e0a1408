// nanogate HLS backend — emitter dispatch and the per-layer context (layer_emitter.hpp).
#include "backend/hls/layer_emitter.hpp"

#include "backend/hls/types.hpp"
#include "nanogate/error.hpp"

#include <climits>

namespace nanogate::hls {

std::string LayerCtx::typedef_for(const std::string& role, const Fixed& t) {
  std::string name = id + "_" + role + "_t";
  std::string decl = "typedef " + ap_type(t) + " " + name + ";";
  if (defines.str().find(decl) == std::string::npos) defines.line(decl);
  return name;
}

std::string LayerCtx::table(const std::string& name, const std::string& ctype, const Fixed& t,
                            const std::vector<int64_t>& codes, const std::string& what) {
  bool wide = t.width > 31;
  std::vector<std::string> v;
  v.reserve(codes.size());
  for (int64_t c : codes) v.push_back(int_literal(c));
  weights.comment(what + "\n" + describe(t) + " raw codes: value = code * 2^" + std::to_string(-t.frac_bits()));
  weights.const_array(wide ? "long long" : "int", name + "_code", v);
  weights.open("static inline " + ctype + " " + name + "(int k)");
  weights.line(ctype + " v;");
  weights.line("v.range(" + std::to_string(t.width - 1) + ", 0) = " + at(name + "_code", "k") + ";");
  weights.line("return v;");
  weights.close();
  return name;
}

void LayerCtx::fail(const std::string& why) const { throw Error(source, node.name, node.op, why); }

const std::vector<std::string>& hls_supported_ops() {
  static const std::vector<std::string> ops = {"Dense", "Relu", "LeakyRelu", "Cast", "BipolarQuant", "Add", "Sub", "Mul",
                                               "BatchNorm", "Threshold", "Sigmoid", "Softmax", "Move", "ReduceSum", "ReduceMax"};
  return ops;
}

void emit_layer(LayerCtx& c) {
  const std::string& op = c.node.op;
  if (op == "Dense") return emit_dense(c);
  if (op == "Move" || op == "ReduceSum" || op == "ReduceMax") return emit_data(c);
  for (auto& s : hls_supported_ops())
    if (s == op) return emit_elementwise(c);
  std::string list;
  for (auto& s : hls_supported_ops()) list += (list.empty() ? "" : ", ") + s;
  c.fail("no HLS emitter for op '" + op + "' (supported: " + list + ")");
}

}  // namespace nanogate::hls
