// nanogate — pipelining pass: register placement under a delay model
// (see include/nanogate/backend/pipeline.hpp).
#include "nanogate/backend/pipeline.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "nanogate/error.hpp"
#include "nanogate/netlist/demand.hpp"
#include "min_registers.hpp"
#include "quantize_plan.hpp"

namespace nanogate {

namespace {
/// Netlists larger than this keep the ASAP stages (the retiming's network simplex takes minutes beyond).
constexpr int kMaxRetimedValues = 1 << 19;
}  // namespace

namespace {

const char* const kOpKeys[] = {"Add", "Neg",  "Mul", "Relu", "Max", "Min", "Cmp", "Mux", "Lut", "QuantizeRound",
                               "QuantizeSaturate"};

const char* op_key(NetOp op) {
  switch (op) {
    case NetOp::Add: return "Add";
    case NetOp::Neg: return "Neg";
    case NetOp::Mul: return "Mul";
    case NetOp::Relu: return "Relu";
    case NetOp::Max: return "Max";
    case NetOp::Min: return "Min";
    case NetOp::Cmp: return "Cmp";
    case NetOp::Mux: return "Mux";
    case NetOp::Lut: return "Lut";
    default: return nullptr;
  }
}

/// Directories that may hold delay_models/, in search order.
std::vector<std::filesystem::path> data_dirs() {
  namespace fs = std::filesystem;
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("NANOGATE_DATA_DIR")) dirs.emplace_back(env);
  char buf[4096];
  const ssize_t len = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (len > 0) {
    const fs::path exe_dir = fs::path(std::string(buf, size_t(len))).parent_path();
    dirs.push_back(exe_dir / ".." / "share" / "nanogate");
    dirs.push_back(exe_dir / ".." / "data");
  }
  dirs.emplace_back(NANOGATE_SOURCE_DATA_DIR);  // the source tree (CMakeLists.txt; absolute, unlike __FILE__ under ccache)
  return dirs;
}

}  // namespace

double DelayModel::delay_ns(const Netlist& n, int index, const std::vector<int>* widths) const {
  const NetValue& v = n.values.at(size_t(index));
  auto width = [&](int j) { return widths ? widths->at(size_t(j)) : n.values.at(size_t(j)).type.width; };
  auto cost = [&](const char* key, int result_bits, int operand_bits) {
    const OpDelay& d = ops.at(key);
    return d.base_ns + d.per_bit_ns * (d.operand_bits ? operand_bits : result_bits);
  };
  int operand_bits = 0;
  for (int a : v.args) operand_bits = std::max(operand_bits, width(a));
  if (v.op == NetOp::Input || v.op == NetOp::Const) return 0;
  if (v.op == NetOp::Quantize) {
    const auto p = verilog_detail::plan_quantize(verilog_detail::quantize_source_type(n, v), v.type);
    const double round = p.rounds ? cost("QuantizeRound", p.round_width, operand_bits) : 0;
    const double check = (p.sat_hi || p.sat_lo) ? cost("QuantizeSaturate", v.type.width, p.q_width + 1) : 0;
    return p.round_then_check ? round + check : std::max(round, check);  // side by side
  }
  return cost(op_key(v.op), width(index), operand_bits);
}

DelayModel parse_delay_model(const std::string& json_text, const std::string& origin) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin, std::string("malformed delay model JSON: ") + e.what());
  }
  auto number = [&](const nlohmann::json& o, const char* key, const std::string& where) {
    if (!o.is_object() || !o.contains(key) || !o.at(key).is_number())
      throw Error(origin, where + ": missing number '" + key + "'");
    const double x = o.at(key).get<double>();
    if (!(x >= 0)) throw Error(origin, where + ": '" + key + "' must be >= 0");
    return x;
  };
  DelayModel m;
  if (!j.is_object() || !j.contains("family") || !j.at("family").is_string())
    throw Error(origin, "delay model: missing string 'family'");
  m.family = j.at("family").get<std::string>();
  if (j.contains("source") && j.at("source").is_string()) m.source = j.at("source").get<std::string>();
  m.clk_to_q_ns = number(j, "clk_to_q_ns", "delay model");
  m.setup_ns = number(j, "setup_ns", "delay model");
  if (!j.contains("ops") || !j.at("ops").is_object()) throw Error(origin, "delay model: missing object 'ops'");
  const auto& ops = j.at("ops");
  for (const char* key : kOpKeys) {
    if (!ops.contains(key)) throw Error(origin, std::string("delay model: missing op '") + key + "'");
    const auto& o = ops.at(key);
    OpDelay d;
    d.base_ns = number(o, "base_ns", std::string("op ") + key);
    d.per_bit_ns = number(o, "per_bit_ns", std::string("op ") + key);
    const std::string bits = o.contains("bits") && o.at("bits").is_string() ? o.at("bits").get<std::string>() : "result";
    if (bits != "result" && bits != "operand")
      throw Error(origin, std::string("op ") + key + ": 'bits' must be \"result\" or \"operand\"");
    d.operand_bits = bits == "operand";
    m.ops[key] = d;
  }
  for (auto it = ops.begin(); it != ops.end(); ++it)
    if (std::find_if(std::begin(kOpKeys), std::end(kOpKeys), [&](const char* k) { return it.key() == k; }) ==
        std::end(kOpKeys))
      throw Error(origin, "delay model: unknown op '" + it.key() + "'");
  return m;
}

DelayModel load_delay_model(const std::string& family) {
  namespace fs = std::filesystem;
  std::vector<std::string> known;
  for (const auto& dir : data_dirs()) {
    const fs::path p = dir / "delay_models" / (family + ".json");
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      std::ifstream f(p);
      std::stringstream ss;
      ss << f.rdbuf();
      return parse_delay_model(ss.str(), p.string());
    }
    if (known.empty() && fs::is_directory(dir / "delay_models", ec))
      for (const auto& e : fs::directory_iterator(dir / "delay_models", ec))
        if (e.path().extension() == ".json") known.push_back(e.path().stem().string());
  }
  std::sort(known.begin(), known.end());
  std::string list;
  for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
  throw Error("", "no delay model for FPGA family '" + family + "'" +
                      (list.empty() ? std::string(" (no data/delay_models found; set NANOGATE_DATA_DIR)")
                                    : " (known: " + list + ")"));
}

namespace {

/// Per-value stage assignment and what it costs.
struct Schedule {
  std::vector<int> stage;
  std::vector<double> stage_delay;  ///< combinational delay per stage, ns (live values)
  int register_bits = 0;
};

/// Stage delays and register bits of the stages in `s.stage` at `latency`:
/// a value consumed d stages after its own passes through d registers of
/// its implemented width (shared by its consumers); outputs are read at
/// stage `latency`; constants are never registered.
void cost(const Netlist& n, const std::vector<double>& delay, const std::vector<int>& widths,
          const std::vector<bool>& live, int latency, Schedule& s) {
  const size_t nv = n.values.size();
  std::vector<double> finish(nv, 0.0);
  std::vector<int> need(nv, 0);
  s.stage_delay.assign(size_t(latency) + 1, 0.0);
  for (size_t i = 0; i < nv; ++i) {
    const NetValue& v = n.values[i];
    if (!live[i] || v.op == NetOp::Const || v.op == NetOp::Input) continue;
    double start = 0;
    for (int a : v.args) {
      if (n.values[size_t(a)].op == NetOp::Const) continue;
      need[size_t(a)] = std::max(need[size_t(a)], s.stage[i] - s.stage[size_t(a)]);
      if (s.stage[size_t(a)] == s.stage[i]) start = std::max(start, finish[size_t(a)]);
    }
    finish[i] = start + delay[i];
    double& d = s.stage_delay[size_t(std::min(s.stage[i], latency))];
    d = std::max(d, finish[i]);
  }
  for (const auto& p : n.outputs)
    for (int j : p.values) need[size_t(j)] = std::max(need[size_t(j)], latency - s.stage[size_t(j)]);
  s.register_bits = 0;
  for (size_t i = 0; i < nv; ++i)
    if (n.values[i].op != NetOp::Const) s.register_bits += need[i] * widths[i];
}

}  // namespace

PipelineResult pipeline_netlist(Netlist& n, const DelayModel& model, double clock_period_ns, bool register_ports) {
  const int nv = int(n.values.size());
  const double overhead = model.clk_to_q_ns + model.setup_ns;
  const bool pipelined = clock_period_ns > 0;
  const double budget = clock_period_ns - overhead;
  const double eps = 1e-9;
  PipelineResult r;
  r.clock_period_ns = pipelined ? clock_period_ns : 0;
  const std::vector<int> widths = implemented_widths(n);
  std::vector<double> delay(size_t(nv), 0.0);
  for (int i = 0; i < nv; ++i) {
    const NetValue& v = n.values[size_t(i)];
    for (int a : v.args)
      if (a < 0 || a >= i)
        throw Error(n.source, v.layer, "", "netlist value " + std::to_string(i) + ": argument " + std::to_string(a) +
                                               " does not precede its user");
    delay[size_t(i)] = model.delay_ns(n, i, &widths);
    if (pipelined && delay[size_t(i)] > budget + eps && v.op != NetOp::Const && v.op != NetOp::Input) r.met = false;
  }
  for (const auto& p : n.outputs)
    for (int j : p.values)
      if (j < 0 || j >= nv) throw Error(n.source, "output port '" + p.name + "' names a missing value");
  const std::vector<bool> live = live_values(n);
  auto fixed = [&](int i) { return n.values[size_t(i)].op == NetOp::Const || n.values[size_t(i)].op == NetOp::Input; };

  // ASAP: each value in the latest stage of its arguments while its path
  // delay fits the budget, else at the start of the next stage.
  // With registered ports, ops start in stage 1 (after the input registers).
  const int first_op_stage = register_ports ? 1 : 0;
  Schedule asap;
  asap.stage.assign(size_t(nv), 0);
  std::vector<double> finish(size_t(nv), 0.0);
  for (int i = 0; i < nv; ++i) {
    if (fixed(i)) continue;
    int s = first_op_stage;
    for (int a : n.values[size_t(i)].args)
      if (n.values[size_t(a)].op != NetOp::Const) s = std::max(s, asap.stage[size_t(a)]);
    double start = 0;
    for (int a : n.values[size_t(i)].args)
      if (!fixed(a) && asap.stage[size_t(a)] == s) start = std::max(start, finish[size_t(a)]);
    if (pipelined && start > 0 && start + delay[size_t(i)] > budget + eps) {
      ++s;
      start = 0;
    }
    asap.stage[size_t(i)] = s;
    finish[size_t(i)] = start + delay[size_t(i)];
  }
  int latency = 0;
  if (pipelined)
    for (const auto& p : n.outputs)
      for (int j : p.values)
        if (n.values.at(size_t(j)).op != NetOp::Const) latency = std::max(latency, asap.stage[size_t(j)]);
  if (register_ports) latency = std::max(latency, first_op_stage) + 1;  // the output registers
  cost(n, delay, widths, live, latency, asap);
  Schedule best = asap;

  // At that latency, the stages with the fewest register bits
  // (min_registers.hpp); ASAP stays when the solver finds nothing better.
  const int last_op_stage = register_ports ? latency - 1 : latency;
  const bool small_enough = nv <= kMaxRetimedValues;  // the min-cost flow grows faster than linearly
  if (pipelined && last_op_stage > first_op_stage && !small_enough) {
    const std::string note = "pipelining: " + std::to_string(nv) + " values, more than the " +
                             std::to_string(kMaxRetimedValues) + " the register-minimising retiming takes: ASAP stages";
    if (std::find(n.notes.begin(), n.notes.end(), note) == n.notes.end()) n.notes.push_back(note);
  }
  if (pipelined && last_op_stage > first_op_stage && small_enough)
    if (auto stages = verilog_detail::min_register_stages(n, delay, widths, live, latency, first_op_stage,
                                                          last_op_stage, budget)) {
      Schedule fewest;
      fewest.stage = std::move(*stages);
      cost(n, delay, widths, live, latency, fewest);
      if (fewest.register_bits < best.register_bits) best = std::move(fewest);
    }

  for (int i = 0; i < nv; ++i) n.values[size_t(i)].stage = best.stage[size_t(i)];
  n.latency = latency;
  n.clock_period_ns = r.clock_period_ns;
  r.latency_cycles = latency;
  for (double t : best.stage_delay) {
    r.stage_delay_ns.push_back(t + (pipelined ? overhead : 0));
    r.max_stage_delay_ns = std::max(r.max_stage_delay_ns, r.stage_delay_ns.back());
  }
  r.latency_ns = pipelined ? latency * clock_period_ns : r.max_stage_delay_ns;
  r.register_bits = best.register_bits;
  return r;
}

}  // namespace nanogate
