// nanogate — identifiers of the generated Verilog (internal to the backend:
// the writer declares them, the testbench generator drives them).
#pragma once

#include <string>
#include <vector>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate::verilog_detail {

/// `s` with every character outside [A-Za-z0-9_] replaced by '_' ("x" if empty).
std::string sanitize(const std::string& s);

/// Module port names of a netlist's ports: "in_" / "out_" + sanitize(name),
/// with "_1", "_2", ... appended to repeats (inputs first, then outputs).
struct PortNames {
  std::vector<std::string> inputs, outputs;
};
PortNames port_names(const Netlist& n);

}  // namespace nanogate::verilog_detail
