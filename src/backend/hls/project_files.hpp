// nanogate HLS backend — the project's non-firmware files: the testbench and
// the vitis_hls build script.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/hls/layer_functions.hpp"
#include "nanogate/backend/hls.hpp"
#include "nanogate/emulate/emulator.hpp"

namespace nanogate::hls {

/// A port of the top function (firmware input or graph output): an array
/// (io_parallel) or an hls::stream of pixels (io_stream).
struct Port {
  std::string tensor;  ///< graph tensor
  std::string var;     ///< C++ name of the top-function argument
  std::string ctype;   ///< its element typedef
  Fixed type;
  int64_t size = 0;
  int64_t lanes = 0;            ///< io_stream: elements per pixel (0: an array port)
  std::string pixel_t;          ///< io_stream: the pixel struct (`data[lanes]`)
  std::vector<int64_t> order;   ///< io_stream: the tensor element in each stream slot (pixel * lanes + lane)

  /// An array port (io_parallel).
  static Port array(std::string tensor, std::string var, std::string ctype, Fixed type, int64_t size) {
    Port p;
    p.tensor = std::move(tensor);
    p.var = std::move(var);
    p.ctype = std::move(ctype);
    p.type = type;
    p.size = size;
    return p;
  }
};

/// The top function of a project, as io_parallel or io_stream builds it.
struct TopFunction {
  std::string proto;       ///< `void <top>(...)`
  std::string definition;  ///< the whole function, pragmas and layer calls
  std::vector<Port> inputs, outputs;
  std::vector<std::string> includes;  ///< extra headers of <top>.h (e.g. hls_stream.h)
  std::vector<std::string> summary;   ///< comment lines for <top>.cpp (architecture, latency)
  nlohmann::json report = nlohmann::json::object();  ///< extra nanogate_project.json fields
  int ii = 1;                         ///< initiation interval of the top function (cycles)
};

/// io_parallel: arrays at the ports (ARRAY_RESHAPE / ap_vld), one call per
/// layer, PIPELINE II = the largest layer II (top_parallel.cpp).
TopFunction parallel_top(const Model& model, const Emulator& emu, LayerFunctions& lf);

/// io_stream: hls::stream ports of pixels, one dataflow process per layer,
/// line buffers for the windows of Conv/Pool, FIFO depths from the modelled
/// schedule (top_stream.cpp; the plan in stream_plan.hpp). Throws
/// nanogate::Error (source, layer, reason) for a layer it cannot stream.
TopFunction stream_top(const Model& model, const Emulator& emu, LayerFunctions& lf);

/// The testbench <top>_test.cpp: reads raw input codes (one event per line,
/// the input ports' codes concatenated; default tb_data/tb_input_codes.txt),
/// runs the top function per event, writes raw output codes (default
/// tb_data/csim_output_codes.txt) and, when tb_data/tb_output_codes.txt
/// exists and no paths are given, compares with it (exit status 1 on a
/// difference), so that vitis_hls csim is self-checking.
std::string testbench_cpp(const std::string& top, const std::vector<Port>& inputs, const std::vector<Port>& outputs);

/// build_prj.tcl for vitis_hls 2023.1+: `vitis_hls -f build_prj.tcl
/// "csim=1 synth=1 cosim=0 export=0"` (flags as in hls4ml's script).
std::string build_tcl(const std::string& top, const HlsOptions& options);

}  // namespace nanogate::hls
