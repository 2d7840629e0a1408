// nanogate — running external tools (Yosys, nextpnr) as subprocesses.
//
// No shell is involved: a command is an argv vector handed to posix_spawnp, so
// file and module names can never be interpreted as shell syntax. Output goes
// to a log file; a wall-clock timeout kills the whole process group.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nanogate::report {

/// The full path of the executable NAME found on $PATH (or NAME itself when it
/// contains a '/' and is executable); "" when there is none.
std::string find_program(const std::string& name);

/// How a subprocess ended.
struct ProcessResult {
  int exit_code = -1;      ///< exit status when it exited normally, else -1
  int signal = 0;          ///< the signal that ended it (0 if it exited)
  bool timed_out = false;  ///< killed by us after the timeout
  double elapsed_s = 0;    ///< wall-clock seconds it ran
  /// True when it exited normally with status 0.
  bool ok() const { return exit_code == 0 && !timed_out; }
};

/// Options of run_process.
struct ProcessOptions {
  std::string cwd;               ///< working directory ("" = ours)
  std::string log_path;          ///< stdout and stderr are appended here ("" = /dev/null)
  double timeout_s = 0;          ///< kill (SIGTERM, then SIGKILL after 2 s) past this; 0 = none
  double heartbeat_s = 30;       ///< call `heartbeat` this often while it runs (0 = never)
  std::function<void(double elapsed_s)> heartbeat;  ///< progress callback (may be empty)
};

/// Runs argv[0] (looked up on $PATH) with the arguments argv[1..] in its own
/// process group, waits for it and reports how it ended. Throws
/// std::runtime_error when it cannot be started at all (e.g. log not writable).
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts);

/// Runs `cmd` with /bin/sh -c (the caller quotes every path in it), showing a
/// progress bar labelled `label` while it runs (nanogate/progress.hpp; nothing
/// when progress output is off). With `lines_of` set, the bar counts the lines
/// that file has so far (a simulator writing one output line per vector)
/// against `total` `unit`s; else it shows the elapsed time. Returns the exit
/// status, 128 + the signal when one ended it, -1 when /bin/sh cannot start.
int run_shell(const std::string& cmd, const std::string& label, const std::string& lines_of = "", int64_t total = 0,
              const std::string& unit = "");

}  // namespace nanogate::report
