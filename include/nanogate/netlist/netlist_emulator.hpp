// nanogate — the netlist emulator: the executable specification of the RTL.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Executes a Netlist on batches of events, exactly (values up to 64 bits,
/// 128-bit intermediates). The RTL generated from the same netlist must give
/// the same bits (pipelining changes timing only).
class NetlistEmulator {
 public:
  /// Prepares the evaluation order (verifies the netlist). The netlist must
  /// outlive the emulator. Throws nanogate::Error for an invalid netlist.
  explicit NetlistEmulator(const Netlist& netlist);

  /// Σ input port sizes / Σ output port sizes (values per event).
  int64_t input_size() const;
  int64_t output_size() const;

  /// raw: rows × input_size() raw codes (input ports concatenated in order,
  /// each within its port type). Returns rows × output_size() raw codes.
  /// Throws nanogate::Error for a code outside its port type.
  std::vector<int64_t> run(const int64_t* raw, int64_t rows) const;

  /// As run, also returning every value (rows × values.size()) for debugging.
  std::vector<int64_t> run_all(const int64_t* raw, int64_t rows) const;

 private:
  /// Runs events [0, rows) in chunks; emit(row0, n, buf) sees each chunk's
  /// values (value-major: buf[v * chunk + r]).
  template <class Emit>
  void run_chunks(const int64_t* raw, int64_t rows, Emit&& emit) const;

  struct Plan;  ///< per-value precompiled steps (src/netlist/net_eval.hpp)
  const Netlist* n_;
  std::shared_ptr<const Plan> plan_;
};

}  // namespace nanogate
