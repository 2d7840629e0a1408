// nanogate HLS backend — the io_stream top function (project_files.hpp): one
// dataflow process per entry of the stream plan (stream_plan.hpp), connected
// by hls::stream FIFOs of pixel tokens with the plan's depths.
#include <algorithm>
#include <map>
#include <sstream>

#include "backend/hls/project_files.hpp"
#include "backend/hls/stream_plan.hpp"
#include "backend/hls/types.hpp"
#include "nanogate/error.hpp"

namespace nanogate::hls {

namespace {

struct FifoNames {
  std::string var;    ///< the hls::stream variable (or port)
  std::string elem;   ///< element typedef
  std::string token;  ///< token struct
};

std::string stream_of(const FifoNames& f) { return "hls::stream<" + f.token + ">&"; }

std::vector<std::string> numbers(const std::vector<int64_t>& v) {
  std::vector<std::string> s;
  s.reserve(v.size());
  for (int64_t x : v) s.push_back(std::to_string(x));
  return s;
}

class StreamEmitter {
 public:
  StreamEmitter(const Model& m, LayerFunctions& lf, const StreamPlan& plan) : m_(m), lf_(lf), plan_(plan) {}

  TopFunction run(const std::vector<FirmwarePort>& ports) {
    TopFunction tf;
    tf.includes = {"hls_stream.h"};
    names_.resize(plan_.fifos.size());
    for (size_t k = 0; k < ports.size(); ++k) {  // input ports: named after their tensors, as in io_parallel
      const int f = plan_.inputs[k];
      const std::string var = lf_.names.unique(ports[k].tensor);
      declare(f, var, var + "_input_t", "firmware input '" + ports[k].tensor + "'");
      tf.inputs.push_back(port(ports[k].tensor, f, plan_.input_layouts[k]));
    }
    for (size_t k = 0; k < plan_.outputs.size(); ++k) {
      const int f = plan_.outputs[k];
      const std::string var = lf_.names.unique(m_.graph.outputs[k]);
      declare(f, var, var + "_t", "graph output '" + m_.graph.outputs[k] + "'");
    }
    CppWriter calls;
    for (const StreamProc& p : plan_.procs) {
      for (int f : p.out)
        if (names_[size_t(f)].var.empty()) {
          const std::string var = lf_.names.unique("s_" + plan_.fifos[size_t(f)].name);
          declare(f, var, var + "_t", "FIFO '" + var + "'");
          calls.line("hls::stream<" + names_[size_t(f)].token + "> " + var + "(\"" + var + "\");");
          calls.pragma("STREAM variable=" + var + " depth=" + std::to_string(plan_.fifos[size_t(f)].depth));
        }
      const std::string fn = process(p);
      std::string call = fn + "(";
      for (int f : p.in) call += names_[size_t(f)].var + ", ";
      for (size_t k = 0; k < p.out.size(); ++k) call += names_[size_t(p.out[k])].var + (k + 1 < p.out.size() ? ", " : "");
      calls.line(call + ");");
    }
    for (size_t k = 0; k < plan_.outputs.size(); ++k)
      tf.outputs.push_back(port(m_.graph.outputs[k], plan_.outputs[k], plan_.output_layouts[k]));

    tf.proto = "void " + lf_.top + "(";
    for (auto& p : tf.inputs) tf.proto += "hls::stream<" + p.pixel_t + ">& " + p.var + ", ";
    for (size_t k = 0; k < tf.outputs.size(); ++k)
      tf.proto += "hls::stream<" + tf.outputs[k].pixel_t + ">& " + tf.outputs[k].var + (k + 1 < tf.outputs.size() ? ", " : "");
    tf.proto += ")";
    tf.ii = int(std::min<int64_t>(plan_.ii, 1 << 30));
    CppWriter t;
    t.comment("The top function: a dataflow of " + std::to_string(plan_.procs.size()) +
              " processes over pixel streams; modelled II " + std::to_string(plan_.ii) + " cycles, latency " +
              std::to_string(plan_.latency) + " cycles (stream_plan.hpp's schedule model).");
    t.open(tf.proto);
    for (auto& p : tf.inputs) t.pragma("INTERFACE mode=axis port=" + p.var);
    for (auto& p : tf.outputs) t.pragma("INTERFACE mode=axis port=" + p.var);
    t.pragma("DATAFLOW");
    std::istringstream body(calls.str());
    for (std::string line; std::getline(body, line);) t.line(line);
    t.close();
    tf.definition = t.str();
    tf.summary = {"io_stream: every tensor travels as a stream of pixel tokens (data[lanes]); one dataflow process per",
                  "layer; line buffers (shift registers of tokens) for the windows of Conv / Pool / Pad / Flatten."};
    nlohmann::json fifos = nlohmann::json::array();
    for (size_t f = 0; f < plan_.fifos.size(); ++f)
      fifos.push_back({{"name", names_[f].var}, {"tokens", plan_.fifos[f].pixels}, {"lanes", plan_.fifos[f].lanes},
                       {"type", plan_.fifos[f].type.str()}, {"depth", plan_.fifos[f].depth}});
    nlohmann::json windows = nlohmann::json::array();
    for (const StreamProc& p : plan_.procs)
      if (p.kind == ProcKind::Window)
        windows.push_back({{"name", p.name}, {"buffer_tokens", p.depth}, {"steps", p.step_read.size()}});
    tf.report["stream"] = {{"model", "one step per process per cycle, FIFOs unbounded, 3 events back to back"},
                           {"ii_cycles", plan_.ii},
                           {"latency_cycles", plan_.latency},
                           {"fifos", fifos},
                           {"line_buffers", windows}};
    return tf;
  }

 private:
  const Model& m_;
  LayerFunctions& lf_;
  const StreamPlan& plan_;
  std::vector<FifoNames> names_;

  void declare(int f, const std::string& var, const std::string& elem, const std::string& what) {
    const StreamFifo& s = plan_.fifos[size_t(f)];
    names_[size_t(f)] = {var, elem, var + "_token"};
    lf_.defines.comment(what + ": " + std::to_string(s.pixels) + " token(s) of " + std::to_string(s.lanes) + " x " +
                        describe(s.type));
    lf_.defines.line("typedef " + ap_type(s.type) + " " + elem + ";");
    lf_.defines.line("struct " + var + "_token { " + elem + " data[" + std::to_string(s.lanes) + "]; };");
  }

  Port port(const std::string& tensor, int f, const StreamLayout& l) const {
    const StreamFifo& s = plan_.fifos[size_t(f)];
    Port p = Port::array(tensor, names_[size_t(f)].var, names_[size_t(f)].elem, s.type, int64_t(l.slot.size()));
    p.lanes = l.lanes;
    p.pixel_t = names_[size_t(f)].token;
    p.order = l.order();
    return p;
  }

  /// Emits process p; returns its function name.
  std::string process(const StreamProc& p) {
    if (p.kind == ProcKind::Pixel) return pixel(p);
    if (p.kind == ProcKind::Window) return window(p);
    const std::string id = lf_.names.unique(p.name);
    const FifoNames& out0 = names_[size_t(p.out.at(0))];
    CppWriter& w = lf_.functions;
    w.comment(p.kind == ProcKind::Clone ? "Clone: every token of '" + p.name + "' to " + std::to_string(p.out.size()) + " readers"
                                        : "Zip '" + p.name + "': one token of each input, concatenated (cast to " +
                                              p.out_type.str() + ")");
    open_token_loop(p, id);
    if (p.kind == ProcKind::Clone) {
      for (size_t k = 0; k < p.out.size(); ++k) {  // each reader's FIFO has its own token struct of the same type
        w.open("");
        w.line(names_[size_t(p.out[k])].token + " b;");
        w.open_for("", "l", plan_.fifos[size_t(p.in[0])].lanes);
        w.pragma("UNROLL");
        w.line("b.data[l] = a0.data[l];");
        w.close();
        w.line("y" + std::to_string(k) + ".write(b);");
        w.close();
      }
    } else {
      w.line(out0.token + " b;");
      int64_t lane = 0;
      for (size_t k = 0; k < p.in.size(); ++k) {
        const int64_t n = plan_.fifos[size_t(p.in[k])].lanes;
        w.open_for("", "l", n);
        w.pragma("UNROLL");
        w.line(at("b.data", lane ? std::to_string(lane) + " + l" : "l") + " = " + cast(out0.elem, "a" + std::to_string(k) + ".data[l]") + ";");
        w.close();
        lane += n;
      }
      w.line("y0.write(b);");
    }
    close_token_loop();
    return id;
  }

  /// Opens `static void id(x0.., y0..)` (one hls::stream per FIFO of p) and
  /// its pipelined loop over the tokens, with the reads `a<k> = x<k>.read()`.
  void open_token_loop(const StreamProc& p, const std::string& id) {
    std::string sig = "static void " + id + "(";
    for (size_t k = 0; k < p.in.size(); ++k) sig += stream_of(names_[size_t(p.in[k])]) + " x" + std::to_string(k) + ", ";
    for (size_t k = 0; k < p.out.size(); ++k)
      sig += stream_of(names_[size_t(p.out[k])]) + " y" + std::to_string(k) + (k + 1 < p.out.size() ? ", " : ")");
    CppWriter& w = lf_.functions;
    w.open(sig);
    w.open_for("Token", "q", plan_.fifos[size_t(p.out[0])].pixels);
    w.pragma("PIPELINE II=1");
    for (size_t k = 0; k < p.in.size(); ++k)
      w.line("const " + names_[size_t(p.in[k])].token + " a" + std::to_string(k) + " = x" + std::to_string(k) + ".read();");
  }

  void close_token_loop() {
    lf_.functions.close();
    lf_.functions.close();
    lf_.functions.line("");
  }

  /// A Pixel process: the local nodes' functions, then the loop over tokens.
  std::string pixel(const StreamProc& p) {
    const Graph& lg = p.local;
    std::map<std::string, ArrayArg> arrays;
    for (size_t k = 0; k < p.in.size(); ++k) {
      const StreamFifo& s = plan_.fifos[size_t(p.in[k])];
      const Tensor& t = lg.tensor(lg.inputs[k]);
      arrays[lg.inputs[k]] = ArrayArg{lg.inputs[k], "a" + std::to_string(k) + ".data", names_[size_t(p.in[k])].elem,
                                      s.type, t.shape, t.size()};
    }
    CppWriter loop;
    for (size_t j = 0; j < lg.nodes.size(); ++j) {
      const Node& n = lg.nodes[j];
      std::vector<ArrayArg> ins;
      std::string args;
      for (auto& i : n.inputs) {
        if (i.empty() || lg.tensor(i).is_const) continue;
        ins.push_back(arrays.at(i));
        args += arrays.at(i).var + ", ";
      }
      const Tensor& t = lg.tensor(n.outputs[0]);
      std::string ctype;
      const std::string fn = lf_.emit(lg, n, ins, t.shape, ctype);
      const bool last = j + 1 == lg.nodes.size();
      const std::string var = last ? "b.data" : fn + "_tmp";
      if (!last) loop.line(ctype + " " + var + "[" + std::to_string(t.size()) + "];");
      loop.line(fn + "(" + args + var + ");");
      arrays[n.outputs[0]] = ArrayArg{n.outputs[0], var, ctype, *t.type, t.shape, t.size()};
    }
    const std::string id = lf_.names.unique(p.name + "_stream");
    CppWriter& w = lf_.functions;
    w.comment("'" + p.name + "' on every token of its input stream(s)");
    open_token_loop(p, id);
    w.line(names_[size_t(p.out[0])].token + " b;");
    std::istringstream body(loop.str());
    for (std::string line; std::getline(body, line);) w.line(line);
    w.line("y0.write(b);");
    close_token_loop();
    return id;
  }

  /// A Window process: the shift register of input tokens and the steps.
  std::string window(const StreamProc& p) {
    const std::string id = lf_.names.unique(p.name + "_window");
    const FifoNames& in = names_[size_t(p.in[0])];
    const FifoNames& out = names_[size_t(p.out[0])];
    const int64_t li = plan_.fifos[size_t(p.in[0])].lanes, lo = plan_.fifos[size_t(p.out[0])].lanes;
    const int64_t po = plan_.fifos[size_t(p.out[0])].pixels;
    // one fixed buffer position per output lane when every output token reads the same positions
    bool fixed_taps = true;
    for (int64_t r = 1; r < po && fixed_taps; ++r)
      fixed_taps = std::equal(p.src.begin(), p.src.begin() + lo, p.src.begin() + r * lo);
    CppWriter tabs;
    tabs.comment("Window '" + p.name + "': per step, whether an input token is read and which output token is written (-1: none)");
    tabs.const_array("unsigned char", id + "_read", numbers(p.step_read));
    tabs.const_array("int", id + "_row", numbers(p.step_row));
    // few fixed taps: one assignment per lane; else a table (of one token's taps when they are fixed)
    const bool unrolled = fixed_taps && lo <= 64;
    if (!unrolled) {
      tabs.comment(fixed_taps ? "the buffer position of every output lane, the same for every token (-1: zero)"
                              : "the buffer position of every output element (token * " + std::to_string(lo) +
                                    " + lane; -1: zero)");
      tabs.const_array("int", id + "_src", numbers(fixed_taps ? std::vector<int64_t>(p.src.begin(), p.src.begin() + lo) : p.src));
    }
    const std::string guard = header_guard(lf_.top, "weights_" + id);
    lf_.weight_files.emplace_back("weights/" + id + ".h", "// Window '" + p.name + "': line-buffer schedule, generated by nanogate\n#ifndef " +
                                                              guard + "\n#define " + guard + "\n\n" + tabs.str() + "\n#endif\n");
    CppWriter& w = lf_.functions;
    w.comment("Window '" + p.name + "': line buffer of the last " + std::to_string(p.depth) + " token(s) of " +
              std::to_string(li) + " element(s); writes " + std::to_string(po) + " token(s) of " + std::to_string(lo) +
              (fixed_taps ? ", every one from the same buffer positions" : ", positions per token from a table"));
    w.open("static void " + id + "(" + stream_of(in) + " x, " + stream_of(out) + " y)");
    const int64_t n = p.depth * li;
    w.line("static " + in.elem + " buf[" + std::to_string(n) + "];  // newest token first");
    w.pragma("ARRAY_PARTITION variable=buf complete dim=0");
    w.open_for("Step", "s", int64_t(p.step_read.size()));
    w.pragma("PIPELINE II=1");
    w.open("if (" + id + "_read[s])");
    w.line("const " + in.token + " t = x.read();");
    if (n > li) {
      w.line("for (int k = " + std::to_string(n - 1) + "; k >= " + std::to_string(li) + "; --k) buf[k] = buf[k - " +
             std::to_string(li) + "];");
    }
    w.open_for("", "l", li);
    w.pragma("UNROLL");
    w.line("buf[l] = t.data[l];");
    w.close();
    w.close();
    w.line("const int r = " + id + "_row[s];");
    w.open("if (r >= 0)");
    w.line(out.token + " o;");
    if (unrolled) {
      for (int64_t l = 0; l < lo; ++l) {
        const int64_t k = p.src[size_t(l)];
        w.line(at("o.data", l) + " = " + (k < 0 ? cast(out.elem, "0") : cast(out.elem, at("buf", k))) + ";");
      }
    } else {
      w.open_for("", "l", lo);
      w.pragma("UNROLL");
      w.line("const int k = " + id + (fixed_taps ? "_src[l];" : "_src[r * " + std::to_string(lo) + " + l];"));
      w.line("o.data[l] = k < 0 ? " + cast(out.elem, "0") + " : " + cast(out.elem, "buf[k]") + ";");
      w.close();
    }
    w.line("y.write(o);");
    w.close();
    w.close();
    w.close();
    w.line("");
    return id;
  }
};

}  // namespace

TopFunction stream_top(const Model& model, const Emulator& emu, LayerFunctions& lf) {
  const StreamPlan plan = plan_stream(model, emu.firmware_inputs());
  return StreamEmitter(model, lf, plan).run(emu.firmware_inputs());
}

}  // namespace nanogate::hls
