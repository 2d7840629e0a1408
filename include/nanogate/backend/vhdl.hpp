// nanogate — the VHDL-2008 RTL backend and its GHDL test harness.
//
// The VHDL is printed from the same pipelined netlist, by the same printer
// (src/backend/rtl/netlist_printer.hpp), as the Verilog: the same signals,
// widths, registers and expressions, so both are one circuit by construction.
// Only ieee.std_logic_1164 and ieee.numeric_std are used.
//
// Files of a design named TOP (verilog_module_name):
//   TOP_pkg.vhd   package TOP_pkg: LATENCY, and per port P its element count,
//                 element bits, fraction bits, the bus subtype P_t
//                 (std_logic_vector) and the element subtype P_element_t
//                 (signed/unsigned); the helper to_u1
//   TOP.vhd       entity TOP, architecture rtl. Ports in the Verilog order
//                 and widths: clk : in std_logic; ce : in std_logic (only
//                 with VerilogOptions::clock_enable: registers load when '1');
//                 valid_in : in std_logic,
//                 valid_out : out std_logic (optional); in_<port> : in P_t;
//                 out_<port> : out P_t, element k at bits
//                 (k+1)·W−1 downto k·W. Outputs for the inputs applied in
//                 cycle t appear in cycle t + latency; II = 1. Registers
//                 power up at 0 (initial values) and have no reset.
//   tb_TOP.vhd    a textio testbench: reads sim_in.txt, writes sim_out.txt
//   sim_ghdl.sh   analyses the three files with `ghdl -a --std=08 -Werror`
//                 (plus the warnings ghdl 2.0 has off by default) and runs
//                 the testbench
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nanogate/backend/verilog.hpp"
#include "nanogate/netlist/netlist.hpp"

namespace nanogate {

/// Options of the VHDL writer: the Verilog writer's (top = the entity name,
/// valid = valid_in/valid_out ports).
using VhdlOptions = VerilogOptions;

/// The ghdl analysis flags of sim_ghdl.sh (and of the lint tests): VHDL-2008,
/// warnings as errors, with the optional warnings enabled.
std::string ghdl_analysis_flags();

/// The VHDL entity/architecture text (TOP.vhd). Throws nanogate::Error as
/// write_verilog does, and when two port names differ only in case (VHDL
/// identifiers are case-insensitive).
std::string write_vhdl(const Netlist& n, const VhdlOptions& options);

/// The package text (TOP_pkg.vhd): I/O types and widths, LATENCY, to_u1.
std::string write_vhdl_package(const Netlist& n, const VhdlOptions& options);

/// The testbench tb_TOP.vhd. Run in the design folder, it reads sim_in.txt:
/// one vector per line, one binary string (MSB first, the port's bus bits)
/// per input port, ports in order, separated by one space; it applies one
/// vector per clock cycle, flushes the pipeline (latency cycles), checks
/// valid_out, and writes sim_out.txt: one line per vector, one binary string
/// per output port. A malformed line or a wrong valid_out ends the
/// simulation with a failure (non-zero exit of ghdl).
std::string write_vhdl_testbench(const Netlist& n, const VhdlOptions& options);

/// sim_ghdl.sh: `sh sim_ghdl.sh` analyses (ghdl_analysis_flags) into
/// ghdl_work/ and runs tb_TOP in the folder; `sh sim_ghdl.sh lint` only
/// analyses.
std::string write_ghdl_script(const VhdlOptions& options);

/// Writes TOP_pkg.vhd, TOP.vhd, tb_TOP.vhd and sim_ghdl.sh into `dir`
/// (created if missing). Throws nanogate::Error when a file cannot be written.
void write_vhdl_files(const std::string& dir, const Netlist& n, const VhdlOptions& options);

/// Simulates rows × Σ input port sizes raw codes (ports concatenated,
/// row-major) with GHDL (sim_ghdl.sh in `dir`) and returns rows × Σ output
/// port sizes raw codes (sign-extended per the port type). Files go to
/// dir/sim_in.txt, dir/sim_out.txt and dir/sim.log. Throws nanogate::Error
/// (one line: GHDL's first message and the log's path) when analysis or
/// simulation fails, or when the output is malformed.
std::vector<int64_t> run_ghdl_sim(const std::string& dir, const Netlist& n, const VhdlOptions& options,
                                  const std::vector<int64_t>& raw, int64_t rows);

}  // namespace nanogate
