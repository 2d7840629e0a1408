// nanogate HLS backend — the io_parallel top function (project_files.hpp):
// arrays at the ports, one call per layer, fully partitioned intermediates.
#include <map>
#include <set>
#include <sstream>

#include "backend/hls/project_files.hpp"
#include "backend/hls/types.hpp"
#include "nanogate/error.hpp"

namespace nanogate::hls {

TopFunction parallel_top(const Model& model, const Emulator& emu, LayerFunctions& lf) {
  const Graph& g = model.graph;
  const std::string& src = model.source;
  TopFunction tf;
  CppWriter body;
  std::map<std::string, ArrayArg> arrays;  // tensor -> C++ array
  std::set<std::string> graph_outputs(g.outputs.begin(), g.outputs.end());

  for (const FirmwarePort& p : emu.firmware_inputs()) {
    std::string var = lf.names.unique(p.tensor);
    ArrayArg a{p.tensor, var, var + "_input_t", p.type, g.tensor(p.tensor).shape, p.size};
    lf.defines.comment("firmware input '" + p.tensor + "' " + shape_str(a.shape) + " " + describe(p.type));
    lf.defines.line("typedef " + ap_type(p.type) + " " + a.ctype + ";");
    arrays.emplace(p.tensor, a);
    tf.inputs.push_back(Port::array(p.tensor, var, a.ctype, p.type, p.size));
  }
  for (const Node& n : g.nodes) {
    if (n.op == "InputQuant") continue;  // host-side preprocessing, not firmware
    std::vector<ArrayArg> ins;
    std::vector<std::string> call_args;
    for (auto& i : n.inputs) {
      if (i.empty() || g.tensor(i).is_const) continue;
      auto it = arrays.find(i);
      if (it == arrays.end()) throw Error(src, n.name, n.op, "input '" + i + "' is not computed by the firmware");
      ins.push_back(it->second);
      call_args.push_back(it->second.var);
    }
    const std::string& ot = n.outputs.at(0);
    std::string ctype;
    const std::string id = lf.emit(g, n, ins, g.tensor(ot).shape, ctype);
    const bool is_out = graph_outputs.count(ot) != 0;
    const std::string ovar = is_out ? lf.names.unique(ot) : id + "_out";
    lf.names.take(ovar);
    const Tensor& t = g.tensor(ot);
    arrays[ot] = ArrayArg{ot, ovar, ctype, *t.type, t.shape, t.size()};
    if (!is_out) {
      body.line(ctype + " " + ovar + "[" + std::to_string(t.size()) + "];");
      body.pragma("ARRAY_PARTITION variable=" + ovar + " complete dim=0");
    }
    std::string call = id + "(";
    for (auto& a : call_args) call += a + ", ";
    body.line(call + ovar + ");");
  }
  for (auto& t : g.outputs) {
    auto it = arrays.find(t);
    if (it == arrays.end()) throw Error(src, "graph output '" + t + "' is not computed by the firmware");
    tf.outputs.push_back(Port::array(t, it->second.var, it->second.ctype, it->second.type, it->second.size));
  }
  tf.ii = lf.ii;

  tf.proto = "void " + lf.top + "(";
  for (auto& p : tf.inputs) tf.proto += "const " + p.ctype + " " + p.var + "[" + std::to_string(p.size) + "], ";
  for (size_t k = 0; k < tf.outputs.size(); ++k)
    tf.proto += tf.outputs[k].ctype + " " + tf.outputs[k].var + "[" + std::to_string(tf.outputs[k].size) + "]" +
                (k + 1 < tf.outputs.size() ? ", " : "");
  tf.proto += ")";

  CppWriter t;
  t.comment("The top function: firmware input ports in, graph outputs out; II = " + std::to_string(tf.ii) + ".");
  t.open(tf.proto);
  std::string ports;
  for (auto& p : tf.inputs) ports += (ports.empty() ? "" : ",") + p.var;
  for (auto& p : tf.outputs) ports += (ports.empty() ? "" : ",") + p.var;
  for (auto& p : tf.inputs) t.pragma("ARRAY_RESHAPE variable=" + p.var + " complete dim=0");
  for (auto& p : tf.outputs) t.pragma("ARRAY_PARTITION variable=" + p.var + " complete dim=0");
  t.pragma("INTERFACE mode=ap_vld port=" + ports);
  t.pragma("PIPELINE II=" + std::to_string(tf.ii));
  std::istringstream tb(body.str());
  for (std::string line; std::getline(tb, line);) t.line(line);
  t.close();
  tf.definition = t.str();
  tf.summary = {"io_parallel: one function per layer; each comment names the source node and its types."};
  return tf;
}

}  // namespace nanogate::hls
