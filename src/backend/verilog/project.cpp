// nanogate — the Verilog output folder: convert and verify (verilog_project.hpp).
#include "nanogate/backend/verilog_project.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "nanogate/backend/verilog.hpp"
#include "nanogate/backend/vhdl.hpp"
#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/emulate/test_vectors.hpp"
#include "nanogate/error.hpp"
#include "nanogate/frontend/keras.hpp"
#include "nanogate/io/output_folder.hpp"
#include "nanogate/io/table.hpp"
#include "nanogate/model.hpp"
#include "nanogate/netlist/demand.hpp"
#include "nanogate/netlist/fold.hpp"
#include "nanogate/netlist/lower.hpp"
#include "nanogate/netlist/netlist_emulator.hpp"
#include "nanogate/passes/passes.hpp"
#include "nanogate/report/synth.hpp"
#include "backend/rtl/cocotb.hpp"
#include "backend/rtl/wrapper.hpp"
#include "naming.hpp"
#include "quantize_plan.hpp"

namespace nanogate {

namespace fs = std::filesystem;

namespace {

const char* kGenerator = "nanogate";

/// Rough LUT count of value i at the implemented widths iw (see
/// netlist_resources).
int64_t luts_of(const Netlist& n, const std::vector<int>& iw, size_t i) {
  const NetValue& v = n.values[i];
  const int w = iw[i];
  int wa = 0;
  for (int a : v.args) wa = std::max(wa, iw[size_t(a)]);
  switch (v.op) {
    case NetOp::Input:
    case NetOp::Const: return 0;
    case NetOp::Add:
    case NetOp::Neg:
    case NetOp::Relu:
    case NetOp::Mux: return w;
    case NetOp::Max:
    case NetOp::Min: return wa + w;
    case NetOp::Cmp: return wa;
    case NetOp::Mul: return int64_t(iw[size_t(v.args[0])]) * iw[size_t(v.args[1])];
    case NetOp::Lut: return int64_t(w) * std::max<int64_t>(1, (int64_t(1) << std::min(wa, 40)) / 64);
    case NetOp::Quantize: {
      const auto p = verilog_detail::plan_quantize(verilog_detail::quantize_source_type(n, v), v.type);
      const int round = narrowable(v) ? std::min(p.round_width, w + 1) : p.round_width;  // WRAP: implemented bits
      return round + ((p.sat_hi || p.sat_lo) ? p.q_width + w : 0);
    }
  }
  return 0;
}

nlohmann::ordered_json port_json(const NetPort& p, const std::string& verilog_name) {
  nlohmann::ordered_json j;
  j["name"] = verilog_name;
  j["tensor"] = p.tensor;
  j["type"] = p.type.str();
  j["elements"] = p.values.size();
  j["element_bits"] = p.type.width;
  j["bus_bits"] = int64_t(p.values.size()) * p.type.width;
  j["layout"] = "element k at bits [(k+1)*" + std::to_string(p.type.width) + "-1 : k*" +
                std::to_string(p.type.width) + "]";
  return j;
}

/// Host-side dequantization of an output port whose codes stand for float
/// values (Tensor::dequant_scale): model value = value * scale[k] + offset[k].
void add_dequant(nlohmann::ordered_json& j, const Tensor& t) {
  if (t.dequant_scale.empty()) return;
  j["dequant"] = {{"formula", "model value[k] = value[k] * scale[k] + offset[k] (host-side)"},
                  {"scale", t.dequant_scale},
                  {"offset", t.dequant_offset}};
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error(p.string(), "cannot write the file");
}

nlohmann::json read_report(const std::string& dir) {
  const fs::path p = fs::path(dir) / "report.json";
  std::ifstream f(p);
  if (!f) throw Error(dir, "no report.json (expected the output folder of `nanogate convert --backend verilog|vhdl`)");
  nlohmann::json j;
  try {
    f >> j;
  } catch (const nlohmann::json::exception& e) {
    throw Error(p.string(), std::string("malformed JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("generator") || !j["generator"].is_object() ||
      !j["generator"].contains(kGenerator) ||
      (j.value("backend", "") != "verilog" && j.value("backend", "") != "vhdl"))
    throw Error(p.string(),
                "not a nanogate RTL report (\"generator\": {\"nanogate\": ...}, \"backend\": \"verilog\" or \"vhdl\")");
  return j;
}

/// The cocotb testbench's vectors: `rows` firmware_test_vectors (seed 1) and
/// the layer emulator's output codes for them (ports concatenated, row-major).
std::pair<std::vector<int64_t>, std::vector<int64_t>> testbench_vectors(const Model& model, const Netlist& n,
                                                                        int64_t rows) {
  std::vector<Fixed> types;
  std::vector<std::string> out_tensors;
  for (const auto& p : n.inputs) types.insert(types.end(), p.values.size(), p.type);
  for (const auto& p : n.outputs) out_tensors.push_back(p.tensor);
  std::vector<int64_t> x = firmware_test_vectors(types, rows, 1);
  const EmulatorResult r = Emulator(model).run_firmware(x.data(), rows, true, out_tensors);
  std::vector<int64_t> y;
  for (int64_t row = 0; row < rows; ++row)
    for (const auto& p : n.outputs) {
      const auto& codes = r.trace_raw.at(p.tensor);
      const size_t cnt = p.values.size();
      y.insert(y.end(), codes.begin() + std::ptrdiff_t(size_t(row) * cnt), codes.begin() + std::ptrdiff_t(size_t(row + 1) * cnt));
    }
  return {std::move(x), std::move(y)};
}

Model compile(const std::string& model_path, const std::string& config_path, const std::string& weights = "") {
  Config cfg;
  if (!config_path.empty()) cfg = load_config(config_path);
  return compile_model(model_path, cfg, weights);
}

}  // namespace

const char* to_string(Hdl h) { return h == Hdl::Vhdl ? "vhdl" : "verilog"; }

namespace {

/// netlist_resources of every segment and kernel of a folded design, in
/// pipeline order, with the totals summed.
nlohmann::ordered_json folded_resources(const FoldedDesign& d) {
  nlohmann::ordered_json j = netlist_resources(d.segments.at(0));
  auto merge = [&](const Netlist& n) {
    const nlohmann::ordered_json r = netlist_resources(n);
    for (const auto& l : r["layers"]) j["layers"].push_back(l);
    for (auto& [k, v] : j["totals"].items())
      if (r["totals"].contains(k) && v.is_number_integer())
        v = v.get<int64_t>() + r["totals"][k].get<int64_t>();  // as netlist_resources sums its layers
  };
  for (size_t i = 0; i < d.folds.size(); ++i) {
    merge(d.folds[i].kernel);
    merge(d.segments.at(i + 1));
  }
  return j;
}

}  // namespace

nlohmann::ordered_json netlist_resources(const Netlist& n) {
  struct Layer {
    int64_t values = 0, adders = 0, adder_bits = 0, luts = 0, depth = 0;
  };
  std::vector<std::string> order;
  std::map<std::string, Layer> layers;
  std::vector<int64_t> depth(n.values.size(), 0);  // adder depth within the value's layer
  const std::vector<int> iw = implemented_widths(n);
  Layer total;
  for (size_t i = 0; i < n.values.size(); ++i) {
    const NetValue& v = n.values[i];
    if (v.op == NetOp::Input) continue;
    if (!layers.count(v.layer)) order.push_back(v.layer);
    Layer& l = layers[v.layer];
    const bool adder = v.op == NetOp::Add || v.op == NetOp::Neg;
    int64_t d = 0;
    for (int a : v.args)
      if (n.values[size_t(a)].layer == v.layer) d = std::max(d, depth[size_t(a)]);
    depth[i] = d + (adder ? 1 : 0);
    l.values++;
    l.adders += adder;
    l.adder_bits += adder ? iw[i] : 0;
    l.luts += luts_of(n, iw, i);
    l.depth = std::max(l.depth, depth[i]);
  }
  nlohmann::ordered_json j;
  j["layers"] = nlohmann::ordered_json::array();
  for (const auto& name : order) {
    const Layer& l = layers[name];
    j["layers"].push_back({{"name", name}, {"values", l.values}, {"adders", l.adders}, {"adder_bits", l.adder_bits},
                           {"luts_est", l.luts}, {"depth", l.depth}});
    total.values += l.values;
    total.adders += l.adders;
    total.adder_bits += l.adder_bits;
    total.luts += l.luts;
    total.depth += l.depth;
  }
  j["totals"] = {{"values", total.values},   {"adders", total.adders},
                 {"adder_bits", total.adder_bits}, {"luts_est", total.luts},
                 {"depth", total.depth}};
  j["luts_est_note"] =
      "pre-synthesis estimate: one LUT per adder bit (carry chain), plus rounding/saturation, max/min, mux, relu, "
      "Lut ROMs (64 entries per LUT6 per output bit), Mul as Wa*Wb; depth: longest adder chain per layer "
      "(totals: sum over layers)";
  return j;
}

VerilogProject convert_to_verilog(const std::string& dir, const VerilogProjectOptions& o) {
  const fs::path d(dir);
  std::error_code ec;
  const report::Family family = report::parse_family(o.family);
  const DelayModel delays = load_delay_model(o.family);
  Model model = compile(o.model_path, o.config_path, o.weights_path);
  std::vector<std::string> warnings = require_exact(model.graph, o.allow_inexact);
  LowerOptions lo;
  lo.dc = o.dc;
  lo.cse_budget = o.cse_budget;
  const bool vhdl = o.hdl == Hdl::Vhdl;
  const std::vector<std::string> fold = folded_layers(model, o.reuse_factor);
  if (!fold.empty()) {
    const std::string why = vhdl ? "the VHDL backend" : o.wrapper != Wrapper::None ? "--wrapper" : !o.valid ? "--no-valid" : "";
    if (!why.empty())
      throw Error(o.model_path, "layer '" + fold[0] + "' has ReuseFactor > 1 (a time-multiplexed convolution), which " +
                                    why + " does not support yet (Verilog with valid ports only)");
  }
  std::optional<FoldedDesign> folded;
  Netlist n;
  if (fold.empty()) n = lower_to_netlist(model, lo);
  else folded = fold_to_netlists(model, lo, fold, o.parallelization_factor);  // segments and kernels verified by lowering
  if (!folded) n.verify();
  VerilogProject p;
  p.warnings = std::move(warnings);
  const bool register_ports = o.register_ports || o.wrapper != Wrapper::None;  // a wrapper's ports are registered
  if (folded) {
    p.pipeline = pipeline_folded(*folded, delays, o.clock_period_ns, register_ports);
    n = folded_ports(*folded);
  } else {
    p.pipeline = pipeline_netlist(n, delays, o.clock_period_ns, register_ports);
  }
  // A product of two variables is one Mul op, which no register can split: when
  // one misses the period, the products become shift-and-add rows instead
  // (LowerOptions::expand_products), kept if that meets the period or comes closer.
  const bool has_mul = std::any_of(n.values.begin(), n.values.end(), [](const NetValue& v) { return v.op == NetOp::Mul; });
  if (!p.pipeline.met && has_mul && !folded) {
    LowerOptions le = lo;
    le.expand_products = true;
    Netlist e = lower_to_netlist(model, le);
    e.verify();
    const PipelineResult pe = pipeline_netlist(e, delays, o.clock_period_ns, register_ports);
    if (pe.met || pe.max_stage_delay_ns < p.pipeline.max_stage_delay_ns) {
      n = std::move(e);
      lo = le;
      p.pipeline = pe;
    }
  }
  p.dir = dir;
  p.top = verilog_module_name(o.model_path);
  p.verilog_file = p.top + (vhdl ? ".vhd" : ".v");
  VerilogOptions vo;
  vo.top = p.top;
  vo.valid = o.valid;
  if (folded) vo.initiation_interval = folded->initiation_interval;
  vo.clock_enable = o.wrapper == Wrapper::Axis;  // the AXI-Stream wrapper stalls the core (wrapper.hpp)
  // Yosys reads VHDL only through the ghdl plugin, which Debian 12 does not
  // package: a VHDL folder has no synthesis script.
  const std::string ys = vhdl ? "" : "synth_" + o.family + ".ys";
  rtl_detail::CocotbDesign tb;  // the wrapper's checks come before any file is written
  if (!folded) tb.ports = rtl_detail::top_ports(n, p.top, o.valid, o.wrapper, o.field_bits, o.model_path);
  // Only now that the design is complete: --force's cleanup of the previous
  // project, or the refusal of a non-empty folder (nothing written before).
  const OutputFolder folder(dir, o.force, {o.model_path, o.weights_path, o.config_path});
  if (vhdl) {
    write_vhdl_files(dir, n, vo);
  } else if (folded) {
    write_folded_rtl_files(dir, *folded, vo);
    write_text(d / ys, report::yosys_script(family, p.verilog_file, p.top));
  } else {
    write_rtl_files(dir, n, vo);
    write_text(d / ys, report::yosys_script(family, p.verilog_file, p.top));
  }
  tb.hdl = o.hdl;
  tb.sources = vhdl ? std::vector<std::string>{p.top + "_pkg.vhd", p.verilog_file} : std::vector<std::string>{p.verilog_file};
  const std::string wrapper_file = tb.ports.top + (vhdl ? ".vhd" : ".v");
  if (o.wrapper != Wrapper::None) {
    write_text(d / wrapper_file, rtl_detail::write_wrapper(n, p.top, tb.ports, o.hdl));
    tb.sources.push_back(wrapper_file);
  }
  tb.latency = p.pipeline.latency_cycles;
  const int64_t tb_rows = std::max<int64_t>(1, o.testbench_vectors);
  if (!folded) {  // the cocotb testbench drives one event per cycle (II = 1)
    const auto [tb_in, tb_out] = testbench_vectors(model, n, tb_rows);
    rtl_detail::write_cocotb_testbench(d, tb, tb_in, tb_out, tb_rows);
  }
  // Copies of the inputs, so that verify needs nothing outside DIR.
  fs::create_directories(d / "model", ec);
  const std::string model_copy = "model/" + fs::path(o.model_path).filename().string();
  fs::copy_file(o.model_path, d / model_copy, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(o.model_path, "cannot copy the model into " + dir + ": " + ec.message());
  if (detect_model_kind(o.model_path) == ModelKind::KerasJson) {  // its weights, under the name load_keras looks for
    const fs::path src = !o.weights_path.empty()        ? fs::path(o.weights_path)
                         : model.config.weights_file ? fs::path(*model.config.weights_file)
                                                     : fs::path(o.model_path).parent_path() /
                                                           (fs::path(o.model_path).stem().string() + "_weights.h5");
    fs::copy_file(src, d / "model" / (fs::path(o.model_path).stem().string() + "_weights.h5"),
                  fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(src.string(), "cannot copy the weights into " + dir + ": " + ec.message());
  }
  std::string config_copy;
  if (!o.config_path.empty()) {
    config_copy = "model/config" + fs::path(o.config_path).extension().string();
    fs::copy_file(o.config_path, d / config_copy, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(o.config_path, "cannot copy the configuration into " + dir + ": " + ec.message());
  }
  const verilog_detail::PortNames names = verilog_detail::port_names(n);
  nlohmann::ordered_json j;
  const Provenance prov = provenance_of(o.model_path, o.weights_path, o.config_path);
  j["generator"] = nlohmann::ordered_json::parse(prov.json_object());
  j["backend"] = to_string(o.hdl);
  j["top"] = p.top;
  j[to_string(o.hdl)] = p.verilog_file;
  if (vhdl) j["package"] = p.top + "_pkg.vhd";
  j["testbench"] = "tb_" + p.top + (vhdl ? ".vhd" : ".cpp");
  j["build_script"] = vhdl ? "sim_ghdl.sh" : "build_sim.sh";
  j["wrapper"] = nullptr;
  if (o.wrapper != Wrapper::None) {
    nlohmann::ordered_json w = {{"kind", o.wrapper == Wrapper::Axis ? "axis" : "packed"},
                                {"top", tb.ports.top},
                                {"file", wrapper_file},
                                {"field_bits", o.field_bits},
                                {"in_bits", tb.ports.in_bits},
                                {"out_bits", tb.ports.out_bits},
                                {"fields", nlohmann::ordered_json::array()}};
    for (const auto* list : {&tb.ports.inputs, &tb.ports.outputs})
      for (const auto& f : *list)
        w["fields"].push_back({{"port", f.label}, {"bus", f.bus}, {"offset", f.offset}, {"elements", f.count},
                               {"bits", f.bits}, {"stride", f.stride}, {"signed", f.is_signed}});
    w["layout"] = "LSB first: model ports in order, element k of a port at bits [offset + k*stride + bits - 1 : "
                  "offset + k*stride]; padding bits: inputs ignored, outputs sign (signed) or 0";
    j["wrapper"] = w;
  }
  j["cocotb"] = nullptr;
  if (!folded)
    j["cocotb"] = {{"test", "tb/test_" + tb.ports.top + ".py"},
                   {"run", "tb/run.py"},
                   {"simulator", vhdl ? "ghdl" : "icarus"},
                   {"vectors", tb_rows}};
  j["yosys_script"] = vhdl ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(ys);
  j["model"] = {{"path", fs::absolute(o.model_path).lexically_normal().string()},
                {"copy", model_copy},
                {"config", o.config_path.empty() ? nlohmann::ordered_json(nullptr)
                                                 : nlohmann::ordered_json(fs::absolute(o.config_path).lexically_normal().string())},
                {"config_copy", config_copy.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(config_copy)}};
  j["options"] = {{"clock_period_ns", o.clock_period_ns}, {"dc", o.dc}, {"cse_budget", o.cse_budget}, {"family", o.family},
                  {"valid", o.valid},                     {"register_ports", register_ports},
                  {"strip_final_softmax", lo.strip_final_softmax},
                  {"expand_products", lo.expand_products}, {"clock_enable", vo.clock_enable},
                  {"folded_layers", fold},
                  {"parallelization_factor", o.parallelization_factor}};
  auto ps = [](double ns) { return std::round(ns * 1000.0) / 1000.0; };  // report ns to the ps
  std::vector<double> stages;
  for (double t : p.pipeline.stage_delay_ns) stages.push_back(ps(t));
  j["latency"] = {{"cycles", p.pipeline.latency_cycles},
                  {"ns", ps(p.pipeline.latency_ns)},
                  {"clock_period_ns", p.pipeline.clock_period_ns},
                  {"initiation_interval", folded ? folded->initiation_interval : 1},
                  {"max_stage_delay_ns", ps(p.pipeline.max_stage_delay_ns)},
                  {"stage_delay_ns", stages},
                  {"met", p.pipeline.met},
                  {"register_bits", p.pipeline.register_bits},
                  {"delay_model", delays.family},
                  {"delay_model_source", delays.source}};
  nlohmann::ordered_json ports;
  ports["inputs"] = nlohmann::ordered_json::array();
  ports["outputs"] = nlohmann::ordered_json::array();
  for (size_t i = 0; i < n.inputs.size(); ++i) ports["inputs"].push_back(port_json(n.inputs[i], names.inputs[i]));
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    ports["outputs"].push_back(port_json(n.outputs[i], names.outputs[i]));
    if (model.graph.has_tensor(n.outputs[i].tensor)) add_dequant(ports["outputs"].back(), model.graph.tensor(n.outputs[i].tensor));
  }
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (model.graph.has_tensor(n.inputs[i].tensor)) add_dequant(ports["inputs"][i], model.graph.tensor(n.inputs[i].tensor));
  j["ports"] = ports;
  j["stripped_softmax"] = n.stripped;
  j["notes"] = n.notes;
  const nlohmann::ordered_json res = folded ? folded_resources(*folded) : netlist_resources(n);
  if (folded) {
    j["folds"] = nlohmann::ordered_json::array();
    for (const FoldedConv& f : folded->folds)
      j["folds"].push_back({{"layer", f.layer},
                            {"positions", f.positions.size()},
                            {"cycles", f.cycles()},
                            {"frame_slots", f.frame.size() / size_t(f.lanes)},
                            {"lanes", f.lanes},
                            {"parallel", f.parallel},
                            {"kernel_latency_cycles", f.kernel.latency}});
    j["latency"]["sequencer_register_bits"] = folded_register_bits(*folded);
  }
  j["layers"] = res["layers"];
  j["totals"] = res["totals"];
  j["luts_est_note"] = res["luts_est_note"];
  write_text(d / "report.json", j.dump(2) + "\n");
  folder.commit(prov);
  p.report = j;
  return p;
}

namespace {
VerifyResult verify_project(const std::string& dir, const VerifyOptions& o, const nlohmann::json& rep);
}  // namespace

VerifyResult verify_verilog_project(const std::string& dir, const VerifyOptions& o) {
  const nlohmann::json rep = read_report(dir);
  ProjectUpdate written(dir, "verify");  // obj_dir/ or ghdl_work/, sim files, logs: into the manifest
  try {
    VerifyResult r = verify_project(dir, o, rep);
    written.record();
    return r;
  } catch (const nlohmann::json::exception& e) {  // a report edited by hand: one line, naming it
    throw Error((fs::path(dir) / "report.json").string(), std::string("a key is missing or mistyped: ") + e.what());
  }
}

namespace {
VerifyResult verify_project(const std::string& dir, const VerifyOptions& o, const nlohmann::json& rep) {
  const fs::path d(dir);
  const std::string model_path = (d / rep.at("model").at("copy").get<std::string>()).string();
  const auto& cc = rep.at("model").at("config_copy");
  const std::string config_path = cc.is_string() ? (d / cc.get<std::string>()).string() : "";
  Model model = compile(model_path, config_path);
  LowerOptions lo;
  lo.dc = rep.at("options").at("dc").get<int>();
  lo.cse_budget = rep.at("options").value("cse_budget", lo.cse_budget);
  lo.expand_products = rep.at("options").value("expand_products", false);
  const std::vector<std::string> fold = rep.at("options").value("folded_layers", std::vector<std::string>());
  std::optional<FoldedDesign> folded;
  Netlist n;
  if (fold.empty()) n = lower_to_netlist(model, lo);
  else folded = fold_to_netlists(model, lo, fold, rep.at("options").value("parallelization_factor", 0));
  if (folded) n = folded_ports(*folded);
  VerilogOptions vo;
  vo.top = rep.at("top").get<std::string>();
  vo.valid = rep.at("options").at("valid").get<bool>();
  vo.clock_enable = rep.at("options").value("clock_enable", false);
  Emulator layer(model);

  // The vectors: extremes, alternations, zero, then uniform random codes.
  std::vector<Fixed> types;
  for (const auto& p : n.inputs)
    for (size_t k = 0; k < p.values.size(); ++k) types.push_back(p.type);
  const int64_t n_in = int64_t(types.size());
  std::vector<int64_t> x = firmware_test_vectors(types, o.vectors, o.seed);
  if (!o.input.empty()) {
    const Table t = read_table(o.input);
    if (o.input_raw) {
      if (t.cols != n_in)
        throw Error(o.input, "has " + std::to_string(t.cols) + " codes per row, the firmware takes " + std::to_string(n_in));
      for (int64_t r = 0; r < t.rows; ++r)
        for (int64_t k = 0; k < n_in; ++k) {
          const double v = t.at(r, k);
          const Fixed& ty = types[size_t(k)];
          if (v != std::floor(v) || v < double(ty.min_raw()) || v > double(ty.max_raw()))
            throw Error(o.input, "row " + std::to_string(r) + " code " + std::to_string(k) + " (" + std::to_string(v) +
                                     ") is not an integer code of " + ty.str());
          x.push_back(int64_t(v));
        }
    } else {  // float values: the layer emulator's input path gives the firmware codes
      if (t.cols != layer.input_size())
        throw Error(o.input, "has " + std::to_string(t.cols) + " values per row, the model takes " +
                                 std::to_string(layer.input_size()));
      std::vector<std::string> names;
      for (const auto& fp : layer.firmware_inputs()) names.push_back(fp.tensor);
      EmulatorResult er = layer.run(t.data.data(), t.rows, true, names);
      size_t first = x.size();
      x.resize(first + size_t(t.rows * n_in));
      int64_t off = 0;
      for (size_t p = 0; p < n.inputs.size(); ++p) {
        const auto& codes = er.trace_raw.at(layer.firmware_inputs()[p].tensor);
        const int64_t cnt = int64_t(n.inputs[p].values.size());
        for (int64_t r = 0; r < t.rows; ++r)
          for (int64_t k = 0; k < cnt; ++k) x[first + size_t(r * n_in + off + k)] = codes[size_t(r * cnt + k)];
        off += cnt;
      }
    }
  }
  const int64_t rows = n_in ? int64_t(x.size()) / n_in : 0;

  const std::vector<int64_t> ref_net = folded ? emulate_folded(*folded, x.data(), rows) : NetlistEmulator(n).run(x.data(), rows);
  std::vector<std::string> out_tensors;
  for (const auto& p : n.outputs) out_tensors.push_back(p.tensor);
  const EmulatorResult lr = layer.run_firmware(x.data(), rows, true, out_tensors);
  std::vector<int64_t> rtl;
  if (rep.at("backend").get<std::string>() == "vhdl") {
    rtl = run_ghdl_sim(dir, n, vo, x, rows);
  } else {
    build_verilator_sim(dir, vo);
    rtl = run_verilator_sim(dir, n, vo, x, rows);
  }

  VerifyResult res;
  res.vectors = rows;
  res.latency = rep.at("latency").at("cycles").get<int>();
  int64_t n_out = 0;
  for (const auto& p : n.outputs) n_out += int64_t(p.values.size());
  res.outputs = n_out;
  std::vector<bool> ok(size_t(rows), true);
  int64_t off = 0;
  for (const auto& p : n.outputs) {
    const auto& lv = lr.trace_raw.at(p.tensor);
    const int64_t cnt = int64_t(p.values.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < cnt; ++k) {
        const size_t at = size_t(r * n_out + off + k);
        const int64_t a = rtl[at], b = ref_net[at];
        const int64_t c = lv[size_t(r * cnt + k)];
        if (a == b && b == c) continue;
        ok[size_t(r)] = false;
        if (res.bad_vector < 0 || r < res.bad_vector || (r == res.bad_vector && off + k < res.bad_output)) {
          res.bad_vector = r;
          res.bad_output = off + k;
          res.bad_port = p.name + "[" + std::to_string(k) + "]";
          res.rtl = a;
          res.netlist = b;
          res.layer = c;
        }
      }
    off += cnt;
  }
  res.exact = std::count(ok.begin(), ok.end(), true);
  return res;
}

}  // namespace

}  // namespace nanogate
