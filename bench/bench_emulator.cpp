// nanogate — emulator throughput benchmark.
//
//   bench_emulator MODEL INPUT.npy [--config CFG] [--repeat R] [--threads T] [--float]
//
// Runs the fixed-point layer emulator over the events of INPUT R times (default
// 5) on T threads (default 1; 0: NANOGATE_THREADS or every core) and prints the
// best events/s and each Dense layer's kernel path (Emulator::dense_kernels;
// NANOGATE_DENSE_KERNEL forces one) as one line of JSON, for
// bench/run_emulator_bench.py to compare with onnxruntime measured in the same run.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "nanogate/config.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/io/table.hpp"
#include "nanogate/model.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_emulator MODEL INPUT.npy [--config CFG] [--repeat R] [--threads T] [--float]\n");
    return 2;
  }
  std::string model = argv[1], input = argv[2], config;
  int repeat = 5, threads = 1;
  bool float_mode = false;
  for (int i = 3; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--config") && i + 1 < argc) config = argv[++i];
    else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc) repeat = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--float")) float_mode = true;
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
    std::printf("{\"events\": %lld, \"threads\": %d, \"seconds\": %.6f, \"events_per_s\": %.1f, \"dense\": {%s}}\n",
                (long long)x.rows, threads, best, double(x.rows) / best, dense.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_emulator: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
