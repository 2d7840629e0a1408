// nanogate tests — building small netlists by hand and running them.
#pragma once

#include <string>
#include <vector>

#include "nanogate/fixed.hpp"
#include "nanogate/netlist/netlist.hpp"
#include "nanogate/netlist/netlist_emulator.hpp"

namespace nanogate::test {

inline Fixed fx(const char* s) { return parse_fixed(s); }

/// A netlist with one input port of `n` elements of type t.
inline Netlist with_input(const Fixed& t, int n) {
  Netlist net;
  net.source = "unit";
  net.inputs.push_back(NetPort{"in_x", "x", t, {}});
  for (int k = 0; k < n; ++k) {
    NetValue v;
    v.op = NetOp::Input;
    v.type = t;
    v.index = k;
    net.inputs[0].values.push_back(net.add(v));
  }
  return net;
}

inline int add_value(Netlist& net, NetOp op, const Fixed& t, std::vector<int> args) {
  NetValue v;
  v.op = op;
  v.type = t;
  v.args = std::move(args);
  return net.add(v);
}

/// One output port per value of `vals` (in order); runs on rows of inputs.
inline std::vector<int64_t> run(Netlist& net, const std::vector<int>& vals, const std::vector<int64_t>& x) {
  net.outputs.clear();
  for (int v : vals)
    net.outputs.push_back(NetPort{"out_" + std::to_string(v), "y", net.values[size_t(v)].type, {v}});
  NetlistEmulator e(net);
  return e.run(x.data(), int64_t(x.size()) / e.input_size());
}

}  // namespace nanogate::test
