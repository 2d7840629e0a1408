// nanogate — pipelining: registers placed by a delay model to meet a clock period.
//
// The delay model is data (data/delay_models/<family>.json): every netlist op
// costs base_ns + per_bit_ns · bits, where bits is the op's result width or
// its widest operand ("bits": "result" | "operand"), e.g. a carry-chain adder
// grows with its width. A Quantize costs nothing when it is pure wiring (a
// truncation with wrap-around), "QuantizeRound" when it needs a rounding
// increment and "QuantizeSaturate" when its range check can fire. Input and
// Const cost nothing. Every register costs clk_to_q_ns + setup_ns of each
// stage. The numbers are estimates (no placement, no routing): see each file's
// "source" field.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Delay of one op kind: base_ns + per_bit_ns · bits.
struct OpDelay {
  double base_ns = 0;     ///< ns
  double per_bit_ns = 0;  ///< ns per bit
  bool operand_bits = false;  ///< bits = widest operand (true) or the result width (false)
};

/// The delay model of one FPGA family.
struct DelayModel {
  std::string family;          ///< "xc7", "xcup", "ice40", "ecp5", ...
  std::string source;          ///< where the numbers come from (free text)
  double clk_to_q_ns = 0;      ///< register clock-to-output, ns
  double setup_ns = 0;         ///< register setup time, ns
  /// Keys: Add, Neg, Mul, Relu, Max, Min, Cmp, Mux, Lut, QuantizeRound,
  /// QuantizeSaturate. A missing key is an error at load time.
  std::map<std::string, OpDelay> ops;

  /// Combinational delay of value `index` of `n` in ns (0 for Input, Const
  /// and wiring-only Quantize). `widths`, when given, are the implemented
  /// widths of n's values (implemented_widths, netlist/demand.hpp), else
  /// their type widths.
  double delay_ns(const Netlist& n, int index, const std::vector<int>* widths = nullptr) const;
};

/// Parses a delay model from JSON text (format: data/delay_models/README.md).
/// `origin` names the file in errors. Throws nanogate::Error for malformed
/// JSON, a missing field or a negative delay.
DelayModel parse_delay_model(const std::string& json_text, const std::string& origin);

/// Loads data/delay_models/<family>.json. Searched, in order: the directory in
/// $NANOGATE_DATA_DIR (holding delay_models/), <exe>/../share/nanogate,
/// <exe>/../data, and the source tree this library was built from. Throws
/// nanogate::Error naming the family and the known families when none is found.
DelayModel load_delay_model(const std::string& family);

/// Result of pipelining.
struct PipelineResult {
  double clock_period_ns = 0;   ///< the target (0 = combinational)
  int latency_cycles = 0;       ///< = Netlist::latency (port registers included)
  double latency_ns = 0;        ///< latency_cycles · clock_period_ns (critical path delay if combinational)
  double max_stage_delay_ns = 0;  ///< worst stage: register overhead + combinational path, ns
  std::vector<double> stage_delay_ns;  ///< per stage, including the register overhead
  int register_bits = 0;        ///< flip-flops on stage crossings (data only, implemented widths)
  bool met = true;              ///< false when one op alone exceeds the period
};

/// Assigns NetValue::stage and sets Netlist::latency and clock_period_ns.
/// The latency is the minimum under the model: each value placed ASAP, in the
/// latest stage of its arguments if its accumulated combinational delay (plus
/// clk_to_q + setup) still fits the period, else in the next stage (registers
/// on its inputs); the outputs are read at stage `latency` (= the latest
/// output value's stage). That is De Micheli's ASAP list schedule
/// ("Synthesis and Optimization of Digital Circuits", 1994, sec. 5.3). At
/// that latency the stages are then re-chosen to need the fewest register
/// bits (each value's implemented width times the stages it is carried),
/// under the same rule that every chain of ops inside one stage fits the
/// period: Leiserson and Saxe's minimum-area retiming as a minimum-cost flow
/// (src/backend/verilog/min_registers.hpp), e.g. registering the narrow
/// inputs of an adder tree instead of its wide partial sums, or a one-bit
/// comparison instead of its wide operand; ASAP stays on a tie. II = 1;
/// constants are never registered. clock_period_ns <= 0 leaves everything in stage 0
/// (combinational) and reports the critical path. An op slower than the
/// period alone makes `met` false (it still gets a stage of its own). Throws
/// nanogate::Error for an argument index that does not precede its user or an
/// output that names a missing value.
///
/// `register_ports` adds a register on every input and every output port, as
/// da4ml's pipelined RTL has and as timing closure between modules wants:
/// inputs sit in stage 0 and every op in stages 1 .. latency − 1, so the
/// latency counts both port registers (at least 2 cycles, also when
/// clock_period_ns <= 0, where all the logic then sits in stage 1).
PipelineResult pipeline_netlist(Netlist& n, const DelayModel& model, double clock_period_ns,
                                 bool register_ports = false);

}  // namespace nanogate
