// nanogate fuzzing — the shared driver of every fuzz target: what runs on an
// input that parses, with small hard limits so that one input stays fast.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "nanogate/config.hpp"
#include "nanogate/graph.hpp"

namespace nanogate::fuzz {

/// Limits a fuzz input must stay within to be compiled at all (inputs beyond
/// them are skipped, not errors: the product code's own limits are larger and
/// tested elsewhere). They keep one execution well under a second.
struct FuzzLimits {
  int64_t max_nodes = 256;                  ///< nodes of the frontend graph
  int64_t max_const_elements = 1 << 13;     ///< Σ constant elements (frontend and typed graph)
  int64_t max_event_elements = 1 << 13;     ///< Σ per-event elements of the typed graph's activations
  int64_t cse_budget = 1 << 14;             ///< LowerOptions::cse_budget
  int64_t events = 6;                       ///< events emulated (extremes first, then random codes)
};

/// Runs the whole pipeline on a frontend graph: compile_graph(g, cfg) →
/// format_inspect → the float and the fixed-point layer emulators →
/// lower_to_netlist → NetlistEmulator, and checks that the netlist emulator
/// equals the layer emulator bit for bit on the test vectors.
///
/// A user error (nanogate::Error, IoError, FixedTypeError) ends the run
/// quietly after checking that its message is one non-empty line; any other
/// exception, a multi-line message or an emulator mismatch aborts the process
/// (a finding: libFuzzer saves the input). Graphs beyond `limits` are skipped.
void run_graph(Graph g, const Config& cfg = Config{}, const FuzzLimits& limits = {});

/// ONNX model bytes (named "fuzz.onnx" in errors): load_onnx_bytes, then
/// run_graph on what parses.
void run_onnx(const uint8_t* data, size_t size);

/// Runs `body` and classifies what it throws as run_graph does: user errors
/// are checked for their one-line shape and swallowed, anything else aborts.
template <class F>
void guarded(F&& body);

/// Aborts with a one-line reason on stderr (a fuzz finding).
[[noreturn]] void finding(const std::string& what);

/// Checks the shape of a user-facing error message: one non-empty line that
/// names a file (not "<model>"). Aborts via finding() otherwise.
void check_error_message(const std::string& what);

/// Writes `size` bytes to this process's scratch file with extension `ext`
/// (in $TMPDIR or /tmp, named after the pid, reused by every call) and returns
/// its path. Aborts when the file cannot be written.
std::string scratch_file(const uint8_t* data, size_t size, const std::string& ext);

/// The project's source folder (compiled in), for base models of the config
/// and table targets.
std::string source_dir();

}  // namespace nanogate::fuzz

#include "fuzz_guard.hpp"
