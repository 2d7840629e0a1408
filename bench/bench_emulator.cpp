// nanogate — emulator throughput benchmark.
//
//   bench_emulator MODEL INPUT.npy [--config CFG] [--repeat R] [--threads T] [--float] [--netlist]
//
// Runs the fixed-point layer emulator over the events of INPUT R times (default
// 5) on T threads (default 1; 0: NANOGATE_THREADS or every core) and prints the
// best events/s and each Dense layer's kernel path (Emulator::dense_kernels;
// NANOGATE_DENSE_KERNEL forces one) as one line of JSON, for
// bench/run_emulator_bench.py to compare with onnxruntime measured in the same run.
// --netlist: also lowers the model (lower_to_netlist, default options) and times
// the netlist emulator (one thread) on the same events' firmware input codes
// (the layer emulator's input quantization, not timed), after checking that its
// outputs equal the layer emulator's: "netlist_events_per_s", "netlist_values",
// "netlist_lanes" (NetlistEmulator::lane_bits), and, for a model whose firmware
// input is its graph input, "netlist_with_input_cast_events_per_s": the float
// events through NetlistEmulator::run_values (0: not measured).
#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <cstdio>
#include <cstring>
#include <string>

#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/io/table.hpp"
#include "nanogate/model.hpp"
#include "nanogate/netlist/lower.hpp"
#include "nanogate/netlist/netlist_emulator.hpp"

namespace {
/// The netlist emulator's best events/s over `repeat` runs on the firmware
/// input codes of x, as JSON members (", \"netlist_...\": ..."); throws
/// std::runtime_error when its outputs differ from the layer emulator's.
std::string netlist_line(const nanogate::Model& m, const nanogate::Emulator& emu, const nanogate::Table& x, int repeat) {
  nanogate::Netlist n = nanogate::lower_to_netlist(m);
  std::vector<std::string> names, outs;
  for (const auto& fp : emu.firmware_inputs()) names.push_back(fp.tensor);
  for (const auto& p : n.outputs) outs.push_back(p.tensor);
  nanogate::EmulatorResult er = emu.run(x.data.data(), x.rows, true, names);
  std::vector<int64_t> codes;
  int64_t n_in = 0;
  for (const auto& p : n.inputs) n_in += int64_t(p.values.size());
  codes.resize(size_t(x.rows * n_in));
  int64_t off = 0;
  for (size_t p = 0; p < n.inputs.size(); ++p) {
    const auto& c = er.trace_raw.at(names[p]);
    const int64_t cnt = int64_t(n.inputs[p].values.size());
    for (int64_t r = 0; r < x.rows; ++r)
      for (int64_t k = 0; k < cnt; ++k) codes[size_t(r * n_in + off + k)] = c[size_t(r * cnt + k)];
    off += cnt;
  }
  nanogate::NetlistEmulator ne(n);
  const nanogate::EmulatorResult ref = emu.run_firmware(codes.data(), x.rows, true, outs);
  double best = 1e300;
  std::vector<int64_t> y;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    y = ne.run(codes.data(), x.rows);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  int64_t col = 0;
  const int64_t osz = ne.output_size();
  for (const auto& p : n.outputs) {
    const auto& want = ref.trace_raw.at(p.tensor);
    const int64_t cnt = int64_t(p.values.size());
    for (int64_t r = 0; r < x.rows; ++r)
      for (int64_t k = 0; k < cnt; ++k)
        if (y[size_t(r * osz + col + k)] != want[size_t(r * cnt + k)])
          throw std::runtime_error("netlist emulator differs from the layer emulator at event " + std::to_string(r) +
                                   ", output '" + p.tensor + "'");
    col += cnt;
  }
  // With the input cast: when the one firmware port is the graph input itself
  // (no host-side preprocessing), run_values on the float events (each block
  // cast to the port type as the layer emulator casts it, then the program):
  // what a float-in, codes-out run costs.
  double best_cast = 0;
  const auto ports = emu.firmware_inputs();
  if (ports.size() == 1 && m.graph.inputs.size() == 1 && ports[0].tensor == m.graph.inputs[0] &&
      x.cols == ports[0].size) {
    const std::vector<int64_t> want = y;
    best_cast = 1e300;
    for (int r = 0; r < repeat; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      y = ne.run_values(x.data.data(), x.rows);
      best_cast = std::min(best_cast, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    if (y != want) throw std::runtime_error("the netlist emulator on float values differs from it on codes");
  }
  char buf[240];
  std::snprintf(buf, sizeof buf,
                ", \"netlist_events_per_s\": %.1f, \"netlist_with_input_cast_events_per_s\": %.1f, "
                "\"netlist_values\": %zu, \"netlist_lanes\": %d",
                double(x.rows) / best, best_cast > 0 ? double(x.rows) / best_cast : 0.0, n.values.size(), ne.lane_bits());
  return buf;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_emulator MODEL INPUT.npy [--config CFG] [--repeat R] [--threads T] [--float] [--netlist]\n");
    return 2;
  }
  std::string model = argv[1], input = argv[2], config;
  int repeat = 5, threads = 1;
  bool float_mode = false, netlist = false;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--float")) float_mode = true;
    else if (!std::strcmp(argv[i], "--netlist")) netlist = true;
  }
  try {
    nanogate::Config cfg;
    if (!config.empty()) cfg = nanogate::load_config(config);
    nanogate::Model m = nanogate::compile_model(model, cfg);
    nanogate::Table x = nanogate::read_table(input);
    nanogate::Emulator emu(m, float_mode);
    emu.set_threads(threads);
    double best = 1e300;
    for (int r = 0; r < repeat; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      auto res = emu.run(x.data.data(), x.rows);
      double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (dt < best) best = dt;
      if (res.rows != x.rows) return 1;
    }
    std::string dense;  // the Dense kernel of each layer (NANOGATE_DENSE_KERNEL forces one)
    for (const auto& [layer, path] : emu.dense_kernels())
      dense += (dense.empty() ? "\"" : ", \"") + layer + "\": \"" + path + "\"";
    std::string net;  // --netlist: the netlist emulator on the same events
    if (netlist) net = netlist_line(m, emu, x, repeat);
    std::printf("{\"events\": %lld, \"threads\": %d, \"seconds\": %.6f, \"events_per_s\": %.1f, \"dense\": {%s}%s}\n",
                (long long)x.rows, threads, best, double(x.rows) / best, dense.c_str(), net.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_emulator: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
