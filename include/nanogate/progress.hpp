// nanogate — progress bars for the steps that take more than a few seconds:
// large emulations, verify's simulator build and run, csim, synth.
//
// The library draws nothing unless a program turns it on with
// set_progress_output() (the CLI does, for a terminal on stderr). On a
// terminal a bar is redrawn in place (carriage return) at most 10 times a
// second and erased when its step ends, so error and result lines stay one
// line each; on a file or pipe (NANOGATE_PROGRESS=1 in the CLI) it prints a
// complete line at most every 5 s plus one when the step ends.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace nanogate {

/// Sends progress bars to `out` (nullptr: none, the default). `terminal`: redraw
/// in place (true) or print whole lines (false). Not thread-safe: call it once,
/// before any step runs.
void set_progress_output(std::FILE* out, bool terminal);

/// One progress line, e.g.
///   `verify: simulation  4,096/10,000 vectors [#####.......]  41%  12.3 k/s  ETA 0:03`
/// or, when the total is unknown (0), `verify: Verilator build  12 s`.
/// `done`, `total`: units so far and expected; `elapsed_s`: seconds since the
/// step began; `width`: characters of the bar itself. Pure (tested directly).
std::string render_progress(const std::string& label, const std::string& unit, int64_t done, int64_t total,
                            double elapsed_s, int width = 24);

/// A step in progress, shown while it lives. add() and set() are thread-safe
/// (emulator worker threads call add()); redraws are rate-limited. A step that
/// ends within 0.5 s is never drawn. The destructor erases the bar on a
/// terminal, or prints the final line otherwise.
class Progress {
 public:
  /// `label`: what runs ("emulate", "verify: simulation"); `total`: units
  /// expected (0 = unknown: elapsed seconds only); `unit`: "events", "vectors".
  explicit Progress(std::string label, int64_t total = 0, std::string unit = "");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  /// `n` more units done.
  void add(int64_t n);
  /// `done` units done in all (values below the current count are ignored).
  void set(int64_t done);
  /// Redraws now (rate limits apply): for steps whose count does not move,
  /// e.g. an external build, so that the elapsed time advances.
  void tick() { draw(false); }
  /// True when progress output is on (set_progress_output).
  static bool enabled();

 private:
  void draw(bool final);
  std::string label_, unit_;
  int64_t total_;
  std::atomic<int64_t> done_{0};
  double t0_;
  double last_draw_ = -1;
  bool drawn_ = false;
  std::mutex mu_;
};

}  // namespace nanogate
