// nanogate — the cocotb testbench written beside every RTL design (internal
// to the Verilog and VHDL backends; one template for both languages).
//
// Files, under DIR/tb/ (<top>: the simulated top, the core or its wrapper):
//   test_<top>.py     the cocotb tests (back-to-back events; a seeded random
//                     bubble pattern on the input valid) checking every
//                     output code `latency` cycles after its event, and the
//                     output valid (and an AXI wrapper's tready)
//   run.py            `python DIR/tb/run.py [--vectors N] [--simulator SIM]`:
//                     builds and runs them with cocotb_tools.runner (Verilog:
//                     Icarus Verilog, VHDL: GHDL); exit status 1 on a failure
//   vectors_in.txt    one event per line: the raw codes of every input
//                     element, ports in order (decimal)
//   vectors_out.txt   the expected raw output codes of each event, ports in
//                     order (decimal, signed per the port type)
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "backend/rtl/wrapper.hpp"
#include "nanogate/backend/verilog_project.hpp"

namespace nanogate::rtl_detail {

/// What the testbench needs to know of the design.
struct CocotbDesign {
  TopPorts ports;                    ///< the simulated top and its bus layout (the core or its wrapper)
  Hdl hdl = Hdl::Verilog;            ///< picks the simulators and the build flags
  std::vector<std::string> sources;  ///< HDL files relative to DIR, in compile order
  int latency = 0;                   ///< cycles from an event to its outputs
};

/// Writes DIR/tb/ (see the file comment). `inputs` holds rows × Σ input
/// elements raw codes, `outputs` rows × Σ output elements expected codes,
/// row-major, model ports in order. Throws nanogate::Error when a file cannot
/// be written.
void write_cocotb_testbench(const std::filesystem::path& dir, const CocotbDesign& design,
                            const std::vector<int64_t>& inputs, const std::vector<int64_t>& outputs, int64_t rows);

}  // namespace nanogate::rtl_detail
