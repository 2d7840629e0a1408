// nanogate — identifiers of the generated Verilog (see naming.hpp).
#include "naming.hpp"

#include <cctype>
#include <map>

namespace nanogate::verilog_detail {

std::string sanitize(const std::string& s) {
  // Letters, digits and single underscores only: Verilator mangles "__" in
  // port names (to "___05F"), which would break the generated testbench.
  std::string r;
  for (char c : s) {
    char o = (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    if (o == '_' && (r.empty() || r.back() == '_')) continue;
    r += o;
  }
  while (!r.empty() && r.back() == '_') r.pop_back();
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
  auto prefixed = [](const std::string& prefix, const std::string& name) {
    std::string s = sanitize(name);
    return s.rfind(prefix, 0) == 0 ? s : prefix + s;  // the netlist's names may already carry it
  };
  for (const auto& p : n.inputs) r.inputs.push_back(unique(prefixed("in_", p.name)));
  for (const auto& p : n.outputs) r.outputs.push_back(unique(prefixed("out_", p.name)));
  return r;
}

}  // namespace nanogate::verilog_detail
