// nanogate — lowering a typed layer graph to the operation netlist (lower.hpp):
// ports, the walk over the layers, Softmax stripping, dead-value removal.
#include "nanogate/netlist/lower.hpp"

#include <cctype>
#include <set>
#include <stdexcept>

#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "netlist/fold_rounding.hpp"
#include "netlist/lower_internal.hpp"
#include "netlist/net_eval.hpp"

namespace nanogate {

std::vector<int> LowerContext::operand(const Node& n, const std::string& name) {
  auto it = tensors.find(name);
  if (it != tensors.end()) return it->second;
  const Tensor& t = g.tensor(name);
  if (!t.is_const) fail(n, "input tensor '" + name + "' is not computed by the firmware (no port or layer)");
  if (!n.precision.weight) fail(n, "constant operand '" + name + "' has no weight type");
  std::vector<int> v;
  for (double x : t.values) v.push_back(b.constant(quantize(x, *n.precision.weight), *n.precision.weight));
  return v;
}

namespace {

/// A Verilog-safe port name: prefix + the tensor name with every character
/// outside [A-Za-z0-9_] replaced by '_', made unique with a numeric suffix.
std::string port_name(const std::string& prefix, const std::string& tensor, std::set<std::string>& used) {
  std::string s = prefix;
  for (char c : tensor) s += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  std::string u = s;
  for (int k = 1; used.count(u); ++k) u = s + "_" + std::to_string(k);
  used.insert(u);
  return u;
}

/// The Softmax to strip for graph output `out`, or nullptr.
const Node* final_softmax(const Graph& g, const std::string& out, bool strip) {
  const Node* p = g.producer(out);
  if (!strip || !p || p->op != "Softmax" || !g.consumers(out).empty()) return nullptr;
  return p;
}

}  // namespace

namespace {

Netlist lower_model(const Model& model, const LowerOptions& options) {
  const Graph& g = model.graph;
  Netlist net;
  net.source = model.source;
  LowerContext cx(model, options, net);
  std::set<std::string> names;

  cx.b.layer = "input";
  for (const FirmwarePort& fp : Emulator(model).firmware_inputs()) {
    NetPort p;
    p.name = port_name("in_", fp.tensor, names);
    p.tensor = fp.tensor;
    p.type = fp.type;
    net.inputs.push_back(p);
    const int port = int(net.inputs.size()) - 1;
    for (int64_t k = 0; k < fp.size; ++k) net.inputs.back().values.push_back(cx.b.input(port, int(k), fp.type));
    cx.tensors[fp.tensor] = net.inputs.back().values;
  }

  std::set<const Node*> stripped;
  for (const std::string& out : g.outputs)
    if (const Node* s = final_softmax(g, out, options.strip_final_softmax)) stripped.insert(s);

  for (const Node& n : g.nodes) {
    if (n.op == "InputQuant") continue;  // host-side preprocessing: its output is a firmware port
    if (stripped.count(&n)) continue;
    if (n.op == "Softmax")
      cx.fail(n, "Softmax has no exact hardware lowering; only a final Softmax feeding a graph output can be "
                 "dropped (LowerOptions::strip_final_softmax)");
    if (!n.precision.result) cx.fail(n, "the layer has no result type (run precision inference)");
    cx.b.layer = n.name;
    try {
      if (n.op == "Dense") lower_dense(cx, n);
      else lower_layer(cx, n);
    } catch (const FixedTypeError& e) {
      cx.fail(n, std::string("an exact intermediate value does not fit 64 bits: ") + e.what());
    } catch (const std::invalid_argument& e) {
      cx.fail(n, e.what());
    } catch (const std::overflow_error& e) {
      cx.fail(n, e.what());
    }
    const Fixed& T = cx.result(n);
    // every element a value of T (its own type may be narrower: NetBuilder::quantize)
    for (int& v : cx.tensors.at(n.outputs.at(0))) v = cx.b.quantize(Term{v, 0, false}, T);
  }

  cx.b.layer = "output";
  for (const std::string& out : g.outputs) {
    const Node* s = final_softmax(g, out, options.strip_final_softmax);
    const std::string& t = s ? s->inputs.at(0) : out;
    if (s) net.stripped.push_back(out);
    auto it = cx.tensors.find(t);
    if (it == cx.tensors.end()) throw Error(model.source, "graph output '" + t + "' is not computed by the firmware");
    NetPort p;
    p.name = port_name("out_", t, names);
    p.tensor = t;
    p.type = *g.tensor(t).type;
    for (int v : it->second) p.values.push_back(cx.b.quantize_to(Term{v, 0, false}, p.type));
    net.outputs.push_back(p);
  }
  fold_rounding_into_constants(net);  // RND casts of bias adds become truncations
  remove_dead_values(net);
  net.verify();
  return net;
}

}  // namespace

Netlist lower_to_netlist(const Model& model, const LowerOptions& options) {
  return naming_file(model.source, [&] { return lower_model(model, options); });
}

}  // namespace nanogate
