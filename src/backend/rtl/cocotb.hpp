// nanogate — the cocotb testbench written beside every RTL design (internal
// to the Verilog and VHDL backends; one template for both languages).
//
// Files, under DIR/tb/:
//   test_<top>.py     the cocotb tests (back-to-back events; a seeded random
//                     bubble pattern on valid_in) checking every output code
//                     `latency` cycles after its event, and valid_out
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

#include "nanogate/backend/verilog_project.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate::rtl_detail {

/// What the testbench needs to know of the design beyond its ports.
struct CocotbDesign {
  std::string top;                   ///< module / entity name
  Hdl hdl = Hdl::Verilog;            ///< picks the simulators and the build flags
  std::vector<std::string> sources;  ///< HDL files relative to DIR, in compile order
  int latency = 0;                   ///< cycles from an event to its outputs
  bool valid = true;                 ///< valid_in / valid_out ports
};

/// Writes DIR/tb/ (see the file comment) for the design's ports (the
/// netlist's, named as the writers name them). `inputs` holds rows × Σ input
/// elements raw codes, `outputs` rows × Σ output elements expected codes,
/// row-major. Throws nanogate::Error when a file cannot be written.
void write_cocotb_testbench(const std::filesystem::path& dir, const Netlist& n, const CocotbDesign& design,
                            const std::vector<int64_t>& inputs, const std::vector<int64_t>& outputs, int64_t rows);

}  // namespace nanogate::rtl_detail
