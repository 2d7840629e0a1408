// nanogate HLS backend — the project's non-firmware files: the testbench and
// the vitis_hls build script.
#pragma once

#include <string>
#include <vector>

#include "nanogate/backend/hls.hpp"

namespace nanogate::hls {

/// A port of the top function (firmware input or graph output).
struct Port {
  std::string tensor;  ///< graph tensor
  std::string var;     ///< C++ name of the top-function argument
  std::string ctype;   ///< its element typedef
  Fixed type;
  int64_t size = 0;
};

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
