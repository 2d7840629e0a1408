// nanogate HLS backend — the io_stream plan: which tensor travels through which
// FIFO as a stream of pixels, the dataflow processes between the FIFOs, the
// line-buffer tables of every window (im2col, pooling, padding, flatten), and
// the FIFO depths and latency of the modelled schedule.
//
// Layout. Every tensor of the layer graph travels, per event, as `pixels`
// tokens of `lanes` elements (StreamLayout::slot says which token and lane
// holds each element). Firmware inputs of rank >= 2 stream one pixel per
// spatial position with the channels as lanes (channels-last models such as
// Keras' (Graph::channels_last) or tf2onnx's NHWC -> NCHW Transpose), like hls4ml's
// io_stream; rank-1 tensors are one token.
//
// Processes (one per layer or less, in a topological order):
//   Pixel   a per-pixel function: the layer applied to each token (Dense on
//           the rows of a Conv's im2col, activations, casts, BatchNorm,
//           pooling reductions within a token); built as a small graph of
//           per-token nodes and emitted by the ordinary layer emitters.
//   Window  a line buffer: the last `depth` input tokens in a shift register;
//           after each input token, the output tokens whose elements have
//           all arrived are written (one per step), read from fixed buffer
//           positions (`src`). Non-bijective Moves (im2col, pooling windows,
//           padding, Resize, Flatten before a Dense) become Windows; a
//           permutation Move (e.g. the Conv's back-to-CHW Move) costs nothing:
//           it only relabels the elements of the same tokens.
//   Clone   a FIFO read by several processes (or also a port) is copied.
//   Zip     a Move of several inputs with equal token counts reads one token
//           of each and writes their concatenation.
// A layer whose elements cannot be split into tokens this way (a Softmax, a
// global pooling, constants that differ per position) gets its input gathered
// into one token first (a Window that buffers the whole tensor).
//
// Schedule model (for FIFO depths and latency): each process performs one
// step per cycle (a step reads at most one token from each input and writes
// at most one token to each output) as soon as its inputs are available; a
// token written in cycle t is readable from cycle t + 1; the input ports
// deliver one token per cycle, events back to back at the plan's II. Three
// events are simulated with unbounded FIFOs; each FIFO's depth is its largest
// occupancy (at least 1), so the modelled schedule never stalls on a full
// FIFO. Vitis HLS adds each process's pipeline depth, which the model does
// not know; the figures are a model, stated as such in the report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nanogate/emulate/emulator.hpp"
#include "nanogate/model.hpp"

namespace nanogate::hls {

/// Where each element of a tensor travels: element i (row-major per event)
/// is lane slot[i] % lanes of token slot[i] / lanes.
struct StreamLayout {
  int64_t pixels = 1;          ///< tokens per event
  int64_t lanes = 0;           ///< elements per token
  std::vector<int64_t> slot;   ///< per element: token * lanes + lane (a bijection onto pixels × lanes)
  /// The element in each slot (the inverse of `slot`).
  std::vector<int64_t> order() const;
  bool operator==(const StreamLayout& o) const { return pixels == o.pixels && lanes == o.lanes && slot == o.slot; }
};

/// One FIFO (hls::stream) of tokens `data[lanes]` of one fixed-point type.
struct StreamFifo {
  std::string name;           ///< tensor it carries (for names and comments)
  Fixed type;
  int64_t pixels = 1, lanes = 1;
  int producer = -1;          ///< process index; -1: a firmware input port
  int64_t depth = 1;          ///< FIFO depth (tokens) from the modelled schedule
};

/// The kind of a dataflow process (see the file comment).
enum class ProcKind { Pixel, Window, Clone, Zip };

/// One dataflow process.
struct StreamProc {
  ProcKind kind = ProcKind::Pixel;
  std::string name;            ///< the layer (or tensor) it implements
  std::vector<int> in, out;    ///< FIFO indices
  /// Pixel: nodes applied to each token, in order; local.inputs[k] is the
  /// token of FIFO in[k] (shape [lanes]), local.outputs[0] the output token.
  Graph local;
  /// Window: buffered input tokens, the buffer position of every output slot
  /// (token * lanes_out + lane -> back * lanes_in + lane, -1: zero), and the
  /// steps: per step whether an input token is read, and the output token
  /// written (-1: none).
  int64_t depth = 1;
  std::vector<int64_t> src, step_read, step_row;
  Fixed out_type;              ///< Window / Zip: the output element type (the cast applied)
};

/// The whole io_stream design.
struct StreamPlan {
  std::vector<StreamFifo> fifos;
  std::vector<StreamProc> procs;           ///< a topological order
  std::vector<int> inputs;                 ///< FIFO of each firmware input (Emulator::firmware_inputs order)
  std::vector<StreamLayout> input_layouts;
  std::vector<int> outputs;                ///< FIFO of each graph output
  std::vector<StreamLayout> output_layouts;
  int64_t ii = 1;                          ///< modelled cycles between events (the busiest process's steps)
  int64_t latency = 0;                     ///< modelled cycles from an event's first input token to its last output token
};

/// Plans the io_stream design of model.graph (firmware inputs `inputs`).
/// Throws nanogate::Error (source, layer, reason) for a graph the stream
/// cannot carry (an op without an HLS emitter, more than 2^24 tokens).
StreamPlan plan_stream(const Model& model, const std::vector<FirmwarePort>& inputs);

}  // namespace nanogate::hls
