// nanogate — demanded bits of netlist values (demand.hpp).
#include "nanogate/netlist/demand.hpp"

#include <algorithm>

namespace nanogate {

bool narrowable(const NetValue& v) {
  return v.op == NetOp::Add || v.op == NetOp::Neg || (v.op == NetOp::Quantize && v.type.overflow == Overflow::WRAP);
}

std::vector<int> implemented_widths(const Netlist& n) {
  const size_t nv = n.values.size();
  std::vector<int> need(nv, 0);
  auto valid = [&](int j, size_t user) { return j >= 0 && size_t(j) < user; };
  for (const auto& p : n.outputs)
    for (int j : p.values)
      if (valid(j, nv)) need[size_t(j)] = std::max(need[size_t(j)], n.values[size_t(j)].type.width);
  auto demand = [&](int a, int bits) {
    int& d = need[size_t(a)];
    d = std::max(d, std::clamp(bits, 0, n.values[size_t(a)].type.width));
  };
  for (size_t i = nv; i-- > 0;) {
    const NetValue& v = n.values[i];
    const int nc = need[i], fc = v.type.frac_bits();
    for (size_t k = 0; k < v.args.size(); ++k) {
      const int a = v.args[k];
      if (!valid(a, i)) continue;  // malformed: reported by the netlist's users
      const Fixed& ta = n.values[size_t(a)].type;
      const int shift = k == 0 ? v.shift_a : k == 1 ? v.shift_b : 0;
      const int fa = ta.frac_bits() - shift;  // binary point of a·2^shift
      if (narrowable(v))
        demand(a, nc == 0 ? 0 : nc + fa - fc);
      else
        demand(a, ta.width);
    }
  }
  std::vector<int> w(nv);
  for (size_t i = 0; i < nv; ++i) w[i] = narrowable(n.values[i]) ? std::max(1, need[i]) : n.values[i].type.width;
  return w;
}

}  // namespace nanogate
