// nanogate fuzzing — the shared driver (fuzz_pipeline.hpp).
#include "fuzz_pipeline.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "nanogate/emulate/emulator.hpp"
#include "nanogate/emulate/test_vectors.hpp"
#include "nanogate/frontend/onnx.hpp"
#include "nanogate/inspect.hpp"
#include "nanogate/model.hpp"
#include "nanogate/netlist/lower.hpp"
#include "nanogate/netlist/netlist_emulator.hpp"

namespace nanogate::fuzz {

namespace {

/// Σ elements of the constants and of the per-event activations of g
/// (shapes as the graph holds them; unknown shapes count as their dims).
void count_elements(const Graph& g, int64_t& consts, int64_t& events) {
  consts = events = 0;
  for (const auto& [name, t] : g.tensors) {
    const int64_t n = checked_num_elements(t.shape);
    if (n < 0) {  // beyond kMaxTensorElements: the frontend should have refused it
      consts = events = kMaxTensorElements;
      return;
    }
    (t.is_const ? consts : events) += n;
  }
}

/// The layer emulator's raw codes of every netlist output port tensor.
std::vector<int64_t> reference_codes(const Emulator& emu, const Netlist& net, const std::vector<int64_t>& raw,
                                     int64_t rows) {
  std::vector<std::string> names;
  for (const auto& p : net.outputs) names.push_back(p.tensor);
  EmulatorResult r = emu.run_firmware(raw.data(), rows, true, names);
  int64_t cols = 0;
  for (const auto& p : net.outputs) cols += int64_t(p.values.size());
  std::vector<int64_t> out(size_t(rows * cols));
  int64_t c0 = 0;
  for (const auto& p : net.outputs) {
    const auto& tv = r.trace_raw.at(p.tensor);
    const int64_t sz = int64_t(p.values.size());
    if (int64_t(tv.size()) != rows * sz) finding("trace of '" + p.tensor + "' has the wrong size");
    for (int64_t row = 0; row < rows; ++row)
      for (int64_t k = 0; k < sz; ++k) out[size_t(row * cols + c0 + k)] = tv[size_t(row * sz + k)];
    c0 += sz;
  }
  return out;
}

void run_model(const Model& m, const FuzzLimits& limits) {
  (void)format_inspect(m);
  Emulator femu(m, true);
  femu.set_threads(1);
  std::vector<double> zeros(size_t(femu.input_size() * 2), 0.0);
  for (size_t i = zeros.size() / 2; i < zeros.size(); ++i) zeros[i] = 1.0;
  guarded([&] { (void)femu.run(zeros.data(), 2); });  // float mode: a Quant may refuse a value

  Emulator emu(m);
  emu.set_threads(1);
  const std::vector<FirmwarePort> ports = emu.firmware_inputs();
  const std::vector<int64_t> raw = firmware_test_vectors(element_types(ports), limits.events, 1);
  (void)emu.run_firmware(raw.data(), limits.events);

  LowerOptions lo;
  lo.cse_budget = limits.cse_budget;
  lo.strip_final_softmax = true;
  Netlist net = lower_to_netlist(m, lo);
  NetlistEmulator ne(net);
  const std::vector<int64_t> got = ne.run(raw.data(), limits.events);
  const std::vector<int64_t> want = reference_codes(emu, net, raw, limits.events);
  if (got != want) finding("netlist emulator != layer emulator on " + m.source);
}

}  // namespace

void finding(const std::string& what) {
  std::fprintf(stderr, "nanogate fuzz finding: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

void check_error_message(const std::string& what) {
  if (what.empty()) finding("empty error message");
  if (what.find('\n') != std::string::npos) finding("error message of several lines: " + what);
  if (what.rfind("<model>", 0) == 0) finding("error names '<model>', not the file: " + what);
}

void run_graph(Graph g, const Config& cfg, const FuzzLimits& limits) {
  if (int64_t(g.nodes.size()) > limits.max_nodes) return;
  int64_t consts = 0, events = 0;
  count_elements(g, consts, events);
  if (consts > limits.max_const_elements || events > limits.max_event_elements) return;
  guarded([&] {
    Model m = compile_graph(std::move(g), cfg);
    count_elements(m.graph, consts, events);
    if (consts > limits.max_const_elements || events > limits.max_event_elements) return;
    run_model(m, limits);
  });
}

void run_onnx(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  guarded([&] { run_graph(load_onnx_bytes(bytes, "fuzz.onnx")); });
}

std::string scratch_file(const uint8_t* data, size_t size, const std::string& ext) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/nanogate-fuzz-" + std::to_string(getpid()) +
                           "." + ext;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), std::streamsize(size));
  f.close();
  if (!f) finding("cannot write the scratch file " + path);
  return path;
}

std::string source_dir() { return NANOGATE_SOURCE_DIR; }

}  // namespace nanogate::fuzz
