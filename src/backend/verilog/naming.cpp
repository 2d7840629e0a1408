// nanogate — identifiers of the generated Verilog (see naming.hpp).
#include "naming.hpp"

#include <cctype>
#include <map>

namespace nanogate::verilog_detail {

std::string sanitize(const std::string& s) {
  std::string r;
  for (char c : s) r += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return r.empty() ? "x" : r;
}

PortNames port_names(const Netlist& n) {
  std::map<std::string, int> seen;
  auto unique = [&](std::string s) {
    int& k = seen[s];
    if (k++ > 0) s += "_" + std::to_string(k - 1);
    return s;
  };
  PortNames r;
  for (const auto& p : n.inputs) r.inputs.push_back(unique("in_" + sanitize(p.name)));
  for (const auto& p : n.outputs) r.outputs.push_back(unique("out_" + sanitize(p.name)));
  return r;
}

}  // namespace nanogate::verilog_detail
