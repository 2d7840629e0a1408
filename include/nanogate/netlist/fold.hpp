// nanogate — time-multiplexed (folded) convolutions: a design as a chain of
// parallel netlists and convolutions whose one adder graph computes one output
// position per clock cycle.
//
// A fully parallel convolution instantiates its kernel's adder graph at every
// output position (II = 1). Folded, the graph is built once (the kernel
// netlist) and fed from a frame: the convolution's zero-padded input held in
// registers as slots of E elements (one spatial position, its channels),
// loaded at once and shifted by one slot per cycle, so that each kernel tap
// reads a fixed frame element (a line buffer fed in parallel; no multiplexers).
// At cycle positions[p] the taps hold output position p's window; its M
// results are shifted into a capture register of P·M elements, which feeds
// the next parallel segment when the last position is in. With a
// ParallelizationFactor F the frame shifts F slots per cycle and F kernel
// instances read it at slot offsets 0..F−1: instance j computes the positions
// with positions[p] % F == j into its own capture register (an instance no
// position lands on, e.g. with strides, is not built), and the next segment's
// bus is those registers' elements wired back into position order. Cycles of
// a fold = ceil((positions.back() + 1) / F) (all padded positions of a
// stride-1 conv; strides skip positions but still shift through them).
//
// Timing (the RTL of src/backend/verilog/folded_top.cpp): segment i has its
// pipelined latency L_i; fold i adds cycles_i + kernel latency + 1 (the
// capture register). The design accepts an event every II = max cycles_i
// clock cycles. Every segment and kernel is a Netlist printed by the same
// printer as a parallel design; the sequencer (frame, counter, capture) is
// the only new logic, and emulate_folded below is its executable specification.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "nanogate/backend/pipeline.hpp"
#include "nanogate/model.hpp"
#include "nanogate/netlist/lower.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// One folded convolution (one group of a Conv: the Dense of its im2col rows).
struct FoldedConv {
  std::string layer;                ///< the Dense node (the Conv's name)
  Netlist kernel;                   ///< one position: input port = K taps (type of X), output port = M results
  int64_t lanes = 0;                ///< E: elements per frame slot
  std::vector<int64_t> frame;       ///< slots·E: element of the segment output X each frame element loads, -1 = 0
  std::vector<int64_t> taps;        ///< K: the frame element each tap reads (frame unshifted)
  std::vector<int64_t> positions;   ///< P: the frame slot (shift) at which output position p is read
  int parallel = 1;                 ///< F: kernel instances (output positions per cycle), 1..P
  /// Clock cycles the frame shifts: ceil((positions.back() + 1) / F).
  int64_t cycles() const { return positions.empty() ? 0 : (positions.back() + parallel) / parallel; }
};

/// A design of folds.size() + 1 parallel segments with a fold between each two:
/// segment 0 reads the model's firmware inputs and outputs fold 0's input X
/// (one port); segment i > 0 reads fold i−1's P·M results (one port, element
/// p·M + m) and outputs the next fold's X, the last segment the model outputs.
struct FoldedDesign {
  std::vector<Netlist> segments;
  std::vector<FoldedConv> folds;
  int latency = 0;              ///< cycles from valid_in to valid_out (set by pipeline_folded)
  int initiation_interval = 1;  ///< cycles between accepted events (max fold cycles)
};

/// The Dense layers of convolutions that the RTL folds: those whose
/// ReuseFactor (the configuration's, or `reuse_override` when > 0) is > 1,
/// in graph order. Only Dense nodes whose input is an im2col Move with a frame
/// schedule (passes/lower_spatial.cpp) are candidates.
std::vector<std::string> folded_layers(const Model& model, int reuse_override = 0);

/// Cuts the typed graph at the convolutions `layers` (folded_layers) and lowers
/// every segment and kernel (lower_to_netlist; the same LowerOptions). Each
/// fold's F is `parallel_override` when > 0, else the layer's
/// ParallelizationFactor, at most its P positions. Checks
/// that each frame schedule reproduces its im2col Move exactly (every position,
/// every tap). Throws nanogate::Error (file, layer, reason) when a layer is
/// not a foldable convolution, when a tensor other than the fold's input and
/// output crosses a fold (skip connections are not supported), or for any
/// lowering error.
FoldedDesign fold_to_netlists(const Model& model, const LowerOptions& options, const std::vector<std::string>& layers,
                              int parallel_override = 0);

/// Pipelines every segment and kernel (pipeline_netlist at clock_period_ns;
/// `register_ports` registers the first segment's inputs and the last's
/// outputs) and sets latency and initiation_interval. Returns the worst-stage
/// summary: latency_cycles and latency_ns of the whole design,
/// max_stage_delay_ns / met over all parts, register_bits summed (pipeline
/// registers only; the frames and capture registers are counted in
/// folded_register_bits).
PipelineResult pipeline_folded(FoldedDesign& d, const DelayModel& model, double clock_period_ns, bool register_ports);

/// Flip-flops of the sequencer: frames ((slots + F)·E·W), capture registers
/// (P·M·W) and counters, in bits.
int64_t folded_register_bits(const FoldedDesign& d);

/// Executes the design on rows events of raw firmware input codes (segment 0's
/// ports concatenated) exactly as its RTL does: each segment's netlist, then
/// per fold the frame, the taps at every position and the kernel netlist.
/// Returns rows × (last segment's output size) raw codes. Throws
/// nanogate::Error for a code outside its port type.
std::vector<int64_t> emulate_folded(const FoldedDesign& d, const int64_t* raw, int64_t rows);

}  // namespace nanogate
