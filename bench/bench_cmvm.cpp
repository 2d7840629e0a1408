// bench_cmvm — runs nanogate's CMVM optimizer on one matrix and prints JSON.
//
//   bench_cmvm MATRIX.npy [--ranges RANGES.npy | --lo L --hi H] [--dc N]
//              [--scope graph|per_output] [--no-cse] [--repeat R]
//
// MATRIX: n_in x n_out integers (any integer/float dtype holding integers),
// W[i][j] multiplies x_i into y_j. RANGES: n_in x 2 (lo, hi) per input;
// default every input in [--lo, --hi] = [-128, 127]. Prints one JSON object:
// shape, adders, cost_bits (sum of adder output widths), depth (max adder
// depth), plain_csd_adders, min_csd_depth, exact (implemented matrix == W),
// solve_s (best of R runs, seconds).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "nanogate/cmvm/cmvm.hpp"
#include "nanogate/io/table.hpp"

using namespace nanogate;

int main(int argc, char** argv) {
  try {
    if (argc < 2) {
      std::fprintf(stderr, "usage: bench_cmvm MATRIX.npy [--ranges R.npy | --lo L --hi H] [--dc N] "
                           "[--scope graph|per_output] [--no-cse] [--repeat R]\n");
      return 2;
    }
    std::string ranges_path;
    int64_t lo = -128, hi = 127;
    int repeat = 3;
    cmvm::CmvmOptions opts;
    for (int a = 2; a < argc; ++a) {
      const std::string s = argv[a];
      auto next = [&]() -> std::string {
        if (a + 1 >= argc) throw std::runtime_error("missing value after " + s);
        return argv[++a];
      };
      if (s == "--ranges") ranges_path = next();
      else if (s == "--lo") lo = std::stoll(next());
      else if (s == "--hi") hi = std::stoll(next());
      else if (s == "--dc") opts.dc = std::stoi(next());
      else if (s == "--repeat") repeat = std::max(1, std::stoi(next()));
      else if (s == "--no-cse") opts.cse = false;
      else if (s == "--scope") {
        const std::string v = next();
        if (v == "graph") opts.scope = cmvm::DelayScope::graph;
        else if (v == "per_output") opts.scope = cmvm::DelayScope::per_output;
        else throw std::runtime_error("bad --scope " + v);
      } else throw std::runtime_error("unknown argument " + s);
    }
    const Table m = read_npy(argv[1]);
    const int n_in = static_cast<int>(m.rows), n_out = static_cast<int>(m.cols);
    std::vector<int64_t> W(m.data.size());
    for (size_t k = 0; k < W.size(); ++k) {
      W[k] = static_cast<int64_t>(std::llround(m.data[k]));
      if (static_cast<double>(W[k]) != m.data[k]) throw std::runtime_error("matrix entry is not an integer");
    }
    std::vector<std::pair<int64_t, int64_t>> ranges(static_cast<size_t>(n_in), {lo, hi});
    if (!ranges_path.empty()) {
      const Table r = read_npy(ranges_path);
      if (r.rows != n_in || r.cols != 2) throw std::runtime_error("ranges must be n_in x 2");
      for (int i = 0; i < n_in; ++i) ranges[static_cast<size_t>(i)] = {std::llround(r.at(i, 0)), std::llround(r.at(i, 1))};
    }
    double best = 1e30;
    cmvm::AdderGraph g;
    for (int r = 0; r < repeat; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      g = cmvm::optimize_cmvm(W, n_in, n_out, ranges, opts);
      const auto t1 = std::chrono::steady_clock::now();
      best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    }
    const auto impl = g.implemented_matrix();
    bool exact = impl.size() == W.size();
    for (size_t k = 0; exact && k < W.size(); ++k) exact = impl[k] == static_cast<i128>(W[k]);
    const auto mt = g.metrics();
    std::printf(
        "{\"n_in\": %d, \"n_out\": %d, \"dc\": %d, \"adders\": %lld, \"cost_bits\": %lld, \"depth\": %d, "
        "\"plain_csd_adders\": %lld, \"min_csd_depth\": %d, \"exact\": %s, \"solve_s\": %.6f}\n",
        n_in, n_out, opts.dc, static_cast<long long>(mt.adders), static_cast<long long>(mt.cost_bits), mt.depth,
        static_cast<long long>(cmvm::plain_csd_adders(W, n_in, n_out)), cmvm::minimal_csd_depth(W, n_in, n_out),
        exact ? "true" : "false", best);
    return exact ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cmvm: error: %s\n", e.what());
    return 1;
  }
}
