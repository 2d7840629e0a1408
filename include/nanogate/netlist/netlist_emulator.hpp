// nanogate — the netlist emulator: the executable specification of the RTL.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Executes a Netlist on batches of events, exactly (values up to 64 bits,
/// 128-bit intermediates where wrap-around arithmetic is not exact),
/// compiled once into a straight-line program over blocks of 256 events on
/// int32 lanes when every value fits 32 bits, else int64 lanes. The RTL generated from the same netlist must give
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

  /// As run, from float values (rows × input_size() doubles): each cast to
  /// its input port's type as the layer emulator casts a graph input
  /// (quantize(v, type); for a WRAP type, a NaN or a value beyond one LSB
  /// outside the type is refused). For netlists whose input ports are the
  /// model's graph inputs (no host-side preprocessing). Throws nanogate::Error
  /// naming the event, port and element of a refused value.
  std::vector<int64_t> run_values(const double* x, int64_t rows) const;

  /// The lanes run() computes on: 32 when every value an output depends on
  /// fits int32, else 64 (bits).
  int lane_bits() const;

  /// As run, also returning every value (rows × values.size()) for debugging.
  std::vector<int64_t> run_all(const int64_t* raw, int64_t rows) const;

  /// The compiled program (netlist_emulator.cpp).
  struct Plan;

 private:
  /// Runs events [0, rows) in chunks of `plan` on lanes of type T (int32_t
  /// or int64_t): fill(row0, n, buf) writes each chunk's input slots, then
  /// the program runs, then emit(row0, n, buf) sees the chunk's slots (value
  /// v at buf[plan.slot[v] * chunk + r], a const T*).
  template <class T, class Fill, class Emit>
  void run_chunks(const Plan& plan, int64_t rows, Fill&& fill, Emit&& emit) const;
  /// run (raw codes) or run_values (x) on lanes of type T.
  template <class T>
  std::vector<int64_t> run_lanes(const int64_t* raw, const double* x, int64_t rows) const;
  /// Compiles the program: compact, the values outputs depend on in reused
  /// slots; else every value in its own slot (run_all).
  std::shared_ptr<const Plan> make_plan(bool compact) const;

  const Netlist* n_;
  std::shared_ptr<const Plan> plan_;
};

}  // namespace nanogate
