// nanogate HLS backend — the project layout: firmware sources, headers, top
// function, tb_data, and the calls into the per-layer emitters (hls.hpp).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backend/hls/cpp_writer.hpp"
#include "backend/hls/layer_emitter.hpp"
#include "backend/hls/project_files.hpp"
#include "backend/hls/types.hpp"
#include "nanogate/backend/hls.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/emulate/test_vectors.hpp"
#include "nanogate/error.hpp"

namespace nanogate {

namespace {

namespace fs = std::filesystem;

/// Names the generated code may not take (C++ keywords that look like layer
/// names, and names the project itself uses).
const std::set<std::string>& reserved() {
  static const std::set<std::string> r = {"int", "bool", "double", "float", "char", "long", "short", "void", "const",
                                          "static", "return", "if", "else", "for", "while", "do", "switch", "case",
                                          "default", "break", "continue", "class", "struct", "union", "enum", "new",
                                          "delete", "this", "template", "typename", "namespace", "using", "auto",
                                          "register", "signed", "unsigned", "sizeof", "true", "false", "and", "or",
                                          "not", "xor", "main", "std", "x", "y", "i", "j", "k", "acc"};
  return r;
}

struct Writer {
  HlsProject& project;
  void file(const std::string& rel, const std::string& text) {
    fs::path p = fs::path(project.dir) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    if (!f) throw Error(p.string(), "cannot write the file");
    f << text;
    if (!f) throw Error(p.string(), "cannot write the file");
    project.files.push_back(rel);
  }
};

std::string header_guard(const std::string& top, const std::string& what) {
  std::string g = hls::identifier(top + "_" + what + "_h");
  std::transform(g.begin(), g.end(), g.begin(), [](unsigned char ch) { return char(std::toupper(ch)); });
  return g;
}

std::string type_list(const Graph& g, const Node& n) {
  std::string s;
  for (auto& i : n.inputs) {
    if (i.empty()) continue;
    const Tensor& t = g.tensor(i);
    if (t.is_const) continue;
    s += (s.empty() ? "" : ", ") + shape_str(t.shape) + " " + (t.type ? t.type->str() : "?");
  }
  return s;
}

}  // namespace

HlsProject write_hls_project(const Model& model, const HlsOptions& o, const std::string& dir) {
  const Graph& g = model.graph;
  const std::string& src = model.source;
  if (o.top.empty() || hls::identifier(o.top) != o.top || reserved().count(o.top))
    throw Error(src, "HLS top name '" + o.top + "' is not a C identifier");
  if (!is_fpga_part_name(o.part))
    throw Error(src, "FPGA part '" + o.part + "' has characters other than letters, digits, '-', '_' and '.'");
  if (o.io_type == "io_stream")
    throw Error(src, "io_stream: this model has no streaming layers (Conv/Pool); use io_parallel");
  if (o.io_type != "io_parallel") throw Error(src, "unknown io type '" + o.io_type + "' (valid: io_parallel, io_stream)");
  if (o.strategy && *o.strategy != "Latency" && *o.strategy != "Resource" && *o.strategy != "DA")
    throw Error(src, "unknown strategy '" + *o.strategy + "' (valid: Latency, Resource, DA)");
  if (o.reuse_factor && *o.reuse_factor < 1) throw Error(src, "ReuseFactor must be >= 1");
  if (!(o.clock_period_ns > 0)) throw Error(src, "the clock period must be > 0 ns");

  HlsProject project;
  project.dir = dir;
  Writer out{project};
  Emulator emu(model);
  const std::string& top = o.top;

  std::set<std::string> used = reserved();
  used.insert(top);
  auto unique = [&](const std::string& name) {
    std::string s = hls::identifier(name);
    while (used.count(s)) s += "_";
    used.insert(s);
    return s;
  };

  hls::CppWriter defines, functions, top_body, params;
  std::map<std::string, hls::ArrayArg> arrays;  // tensor -> C++ array
  std::vector<hls::Port> in_ports, out_ports;
  std::vector<std::string> weight_headers;
  std::set<std::string> graph_outputs(g.outputs.begin(), g.outputs.end());

  for (const FirmwarePort& p : emu.firmware_inputs()) {
    std::string var = unique(p.tensor);
    hls::ArrayArg a{p.tensor, var, var + "_input_t", p.type, g.tensor(p.tensor).shape, p.size};
    defines.comment("firmware input '" + p.tensor + "' " + shape_str(a.shape) + " " + hls::describe(p.type));
    defines.line("typedef " + hls::ap_type(p.type) + " " + a.ctype + ";");
    arrays.emplace(p.tensor, a);
    in_ports.push_back({p.tensor, var, a.ctype, p.type, p.size});
  }

  int ii = 1;
  int index = 0;
  for (const Node& n : g.nodes) {
    if (n.op == "InputQuant") continue;  // host-side preprocessing, not firmware
    ++index;
    std::string id = unique(n.name);
    if (n.outputs.size() != 1) throw Error(src, n.name, n.op, "HLS backend: a layer must have one output");
    const std::string& ot = n.outputs[0];
    const Tensor& otensor = g.tensor(ot);
    if (!otensor.type) throw Error(src, n.name, n.op, "output '" + ot + "' has no fixed-point type");
    bool is_out = graph_outputs.count(ot) != 0;
    std::string ovar = is_out ? unique(ot) : id + "_out";
    used.insert(ovar);
    hls::ArrayArg oarg{ot, is_out ? "y" : "y", id + "_result_t", *otensor.type, otensor.shape, otensor.size()};
    defines.comment("layer " + std::to_string(index) + ": " + n.op + " '" + n.name + "'");
    defines.line("typedef " + hls::ap_type(*otensor.type) + " " + oarg.ctype + ";");

    std::vector<hls::ArrayArg> ins;
    std::vector<std::string> call_args;
    for (auto& i : n.inputs) {
      if (i.empty() || g.tensor(i).is_const) continue;
      auto it = arrays.find(i);
      if (it == arrays.end()) throw Error(src, n.name, n.op, "input '" + i + "' is not computed by the firmware");
      ins.push_back(it->second);
      call_args.push_back(it->second.var);
    }
    for (size_t k = 0; k < ins.size(); ++k) ins[k].var = ins.size() == 1 ? "x" : "x" + std::to_string(k);

    std::string strategy = o.strategy.value_or(n.strategy.empty() ? "Latency" : n.strategy);
    int reuse = o.reuse_factor.value_or(n.reuse_factor);
    if (n.op == "Dense" && strategy != "Resource" && reuse > 1)
      project.notes.push_back(n.name + ": ReuseFactor " + std::to_string(reuse) + " has no effect with the " + strategy +
                              " strategy (fully parallel)");

    hls::CppWriter weights;
    std::string sig = "static void " + id + "(";
    for (auto& a : ins) sig += "const " + a.ctype + " " + a.var + "[" + std::to_string(a.size) + "], ";
    sig += oarg.ctype + " y[" + std::to_string(oarg.size) + "])";
    functions.comment(n.op + " '" + n.name + "': " + type_list(g, n) + " -> " + shape_str(oarg.shape) + " " +
                      oarg.type.str());
    std::string roles;
    if (n.precision.weight && n.op != "Cast") roles += "weight " + n.precision.weight->str() + ", ";
    if (n.precision.bias) roles += "bias " + n.precision.bias->str() + ", ";
    if (n.precision.accum) roles += "accum " + n.precision.accum->str() + ", ";
    if (n.op == "Dense") roles += "strategy " + strategy + (strategy == "Resource" ? ", ReuseFactor " + std::to_string(reuse) : "");
    if (!roles.empty()) functions.comment(roles);
    functions.open(sig);
    functions.pragma("INLINE");
    hls::LayerCtx ctx{g, n, src, id, strategy, reuse, o.da_dc, ins, oarg, defines, weights, functions, project.notes, 1};
    hls::emit_layer(ctx);
    functions.close();
    functions.line("");
    ii = std::max(ii, ctx.ii);
    if (!weights.str().empty()) {
      std::string rel = "firmware/weights/" + id + ".h";
      std::string guard = header_guard(top, "weights_" + id);
      out.file(rel, "// " + n.op + " '" + n.name + "': constants, generated by nanogate\n#ifndef " + guard +
                        "\n#define " + guard + "\n\n#include \"defines.h\"\n\n" + weights.str() + "\n#endif\n");
      weight_headers.push_back("weights/" + id + ".h");
    }
    params.line("constexpr int " + id + "_reuse_factor = " + std::to_string(n.op == "Dense" && strategy == "Resource" ? reuse : 1) +
                ";  // " + n.op + ", strategy " + (n.op == "Dense" ? strategy : std::string("Latency")));

    hls::ArrayArg stored = oarg;
    stored.var = ovar;
    arrays[ot] = stored;
    if (!is_out) {
      top_body.line(oarg.ctype + " " + ovar + "[" + std::to_string(oarg.size) + "];");
      top_body.pragma("ARRAY_PARTITION variable=" + ovar + " complete dim=0");
    }
    std::string call = id + "(";
    for (auto& a : call_args) call += a + ", ";
    top_body.line(call + ovar + ");");
  }
  for (auto& t : g.outputs) {
    auto it = arrays.find(t);
    if (it == arrays.end()) throw Error(src, "graph output '" + t + "' is not computed by the firmware");
    out_ports.push_back({t, it->second.var, it->second.ctype, it->second.type, it->second.size});
  }
  project.ii = ii;

  // ---- firmware/defines.h, parameters.h ----
  std::string dg = header_guard(top, "defines");
  out.file("firmware/defines.h", "// Types of '" + top + "' (from " + fs::path(src).filename().string() +
                                     "), generated by nanogate: one per firmware input, layer result and layer role.\n"
                                     "// Integer types are spelled ap_fixed<W,W> so that casts apply their modes.\n#ifndef " +
                                     dg + "\n#define " + dg + "\n\n#include \"ap_fixed.h\"\n#include \"ap_int.h\"\n\n" +
                                     "// HLS directives: #pragma HLS under Vitis HLS synthesis (__SYNTHESIS__); empty for a\n"
                                     "// C++ compiler (C simulation), which does not know them.\n"
                                     "#ifdef __SYNTHESIS__\n#define NANOGATE_PRAGMA(...) _Pragma(#__VA_ARGS__)\n#else\n"
                                     "#define NANOGATE_PRAGMA(...)\n#endif\n\n" +
                                     defines.str() + "\n#endif\n");
  hls::CppWriter pw;
  pw.comment("Sizes and per-layer parameters of '" + top + "', generated by nanogate.");
  pw.line("#ifndef " + header_guard(top, "parameters"));
  pw.line("#define " + header_guard(top, "parameters"));
  pw.line("");
  for (auto& p : in_ports) pw.line("constexpr int " + p.var + "_size = " + std::to_string(p.size) + ";  // input, " + p.type.str());
  for (auto& p : out_ports) pw.line("constexpr int " + p.var + "_size = " + std::to_string(p.size) + ";  // output, " + p.type.str());
  pw.line("constexpr int " + top + "_ii = " + std::to_string(ii) + ";  // initiation interval of the top function");
  out.file("firmware/parameters.h", pw.str() + params.str() + "\n#endif\n");

  // ---- firmware/<top>.h ----
  std::string proto = "void " + top + "(";
  for (auto& p : in_ports) proto += "const " + p.ctype + " " + p.var + "[" + std::to_string(p.size) + "], ";
  for (size_t k = 0; k < out_ports.size(); ++k)
    proto += out_ports[k].ctype + " " + out_ports[k].var + "[" + std::to_string(out_ports[k].size) + "]" +
             (k + 1 < out_ports.size() ? ", " : "");
  proto += ")";
  std::string tg = header_guard(top, "top");
  out.file("firmware/" + top + ".h", "// '" + top + "': the firmware of " + fs::path(src).filename().string() +
                                         ", generated by nanogate.\n#ifndef " + tg + "\n#define " + tg +
                                         "\n\n#include \"defines.h\"\n#include \"parameters.h\"\n\n" + proto + ";\n\n#endif\n");

  // ---- firmware/<top>.cpp ----
  hls::CppWriter f;
  f.comment("'" + top + "': " + fs::path(src).filename().string() + " as Vitis HLS C++ (io_parallel), generated by nanogate.");
  f.comment("One function per layer; each comment names the source node and its types.");
  f.comment("Semantics: nanogate's layer emulator, bit for bit (csim: nanogate csim DIR).");
  f.line("#include <algorithm>");
  f.line("#include <cmath>");
  f.line("");
  f.line("#include \"" + top + ".h\"");
  for (auto& h : weight_headers) f.line("#include \"" + h + "\"");
  f.line("");
  std::string fn = functions.str();
  std::string text = f.str() + fn;
  hls::CppWriter t;
  t.comment("The top function: firmware input ports in, graph outputs out; II = " + std::to_string(ii) + ".");
  t.open(proto);
  std::string ports;
  for (auto& p : in_ports) ports += (ports.empty() ? "" : ",") + p.var;
  for (auto& p : out_ports) ports += (ports.empty() ? "" : ",") + p.var;
  for (auto& p : in_ports) t.pragma("ARRAY_RESHAPE variable=" + p.var + " complete dim=0");
  for (auto& p : out_ports) t.pragma("ARRAY_PARTITION variable=" + p.var + " complete dim=0");
  t.pragma("INTERFACE mode=ap_vld port=" + ports);
  t.pragma("PIPELINE II=" + std::to_string(ii));
  std::istringstream tb(top_body.str());
  for (std::string line; std::getline(tb, line);) t.line(line);
  t.close();
  out.file("firmware/" + top + ".cpp", text + t.str());

  // ---- testbench, tb_data, build script ----
  out.file(top + "_test.cpp", hls::testbench_cpp(top, in_ports, out_ports));
  out.file("build_prj.tcl", hls::build_tcl(top, o));
  {
    const int rows = 64;
    int64_t n_in = 0;
    for (auto& p : in_ports) n_in += p.size;
    std::vector<int64_t> raw = firmware_test_vectors(element_types(emu.firmware_inputs()), rows, 12345, false);
    EmulatorResult er = emu.run_firmware(raw.data(), rows);
    std::ostringstream ins, outs;
    for (int r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < n_in; ++c) ins << (c ? " " : "") << raw[size_t(r * n_in + c)];
      ins << '\n';
      for (int64_t c = 0; c < er.cols; ++c) outs << (c ? " " : "") << er.raw[size_t(r * er.cols + c)];
      outs << '\n';
    }
    out.file("tb_data/tb_input_codes.txt", ins.str());
    out.file("tb_data/tb_output_codes.txt", outs.str());
  }
  nlohmann::json j;
  j["generator"] = "nanogate";
  j["top"] = top;
  j["model"] = fs::absolute(o.model_path.empty() ? src : o.model_path).string();
  j["config"] = o.config_path.empty() ? "" : fs::absolute(o.config_path).string();
  j["weights"] = o.weights_path.empty() ? "" : fs::absolute(o.weights_path).string();
  j["io_type"] = o.io_type;
  j["strategy"] = o.strategy ? *o.strategy : "";
  j["reuse_factor"] = o.reuse_factor ? *o.reuse_factor : 0;
  j["da_dc"] = o.da_dc;
  j["part"] = o.part;
  j["clock_period_ns"] = o.clock_period_ns;
  j["ii"] = ii;
  for (auto& p : in_ports) j["inputs"].push_back({{"tensor", p.tensor}, {"type", p.type.str()}, {"size", p.size}});
  for (auto& p : out_ports) j["outputs"].push_back({{"tensor", p.tensor}, {"type", p.type.str()}, {"size", p.size}});
  j["notes"] = project.notes;
  out.file("nanogate_project.json", j.dump(2) + "\n");
  return project;
}

}  // namespace nanogate
