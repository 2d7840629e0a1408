// nanogate — the operation netlist: construction, verification, listing (netlist.hpp).
#include "nanogate/netlist/netlist.hpp"

#include <stdexcept>

#include <sstream>

#include "nanogate/error.hpp"
#include "netlist/net_eval.hpp"

namespace nanogate {

const char* to_string(NetOp op) {
  switch (op) {
    case NetOp::Input: return "Input";
    case NetOp::Const: return "Const";
    case NetOp::Add: return "Add";
    case NetOp::Neg: return "Neg";
    case NetOp::Mul: return "Mul";
    case NetOp::Relu: return "Relu";
    case NetOp::Quantize: return "Quantize";
    case NetOp::Max: return "Max";
    case NetOp::Min: return "Min";
    case NetOp::Cmp: return "Cmp";
    case NetOp::Mux: return "Mux";
    case NetOp::Lut: return "Lut";
  }
  return "?";
}

int Netlist::add(NetValue v) {
  if (values.size() >= size_t(kMaxNetlistValues))
    throw std::overflow_error("the netlist grows past " + std::to_string(kMaxNetlistValues) +
                              " values (a fully parallel design this large is beyond this flow: narrower types, "
                              "fewer positions, or the Vitis backend)");
  values.push_back(std::move(v));
  return int(values.size()) - 1;
}

namespace {

std::string i128_str(i128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  std::string s;
  while (v != 0) {
    int d = int(v % 10);
    s += char('0' + (d < 0 ? -d : d));
    v /= 10;
  }
  if (neg) s += '-';
  return {s.rbegin(), s.rend()};
}

/// Checks value i; returns an empty string when valid, else the reason.
std::string check_value(const Netlist& n, int i) {
  const NetValue& v = n.values[size_t(i)];
  try {
    v.type.validate();
  } catch (const FixedTypeError& e) {
    return e.what();
  }
  if (int(v.args.size()) != net_arg_count(v.op))
    return "has " + std::to_string(v.args.size()) + " arguments, " + to_string(v.op) + " takes " +
           std::to_string(net_arg_count(v.op));
  for (int a : v.args)
    if (a < 0 || a >= i) return "argument v" + std::to_string(a) + " does not precede it (SSA order)";
  const Fixed& t = v.type;
  switch (v.op) {
    case NetOp::Input: {
      if (v.port < 0 || v.port >= int(n.inputs.size())) return "input port " + std::to_string(v.port) + " does not exist";
      const NetPort& p = n.inputs[size_t(v.port)];
      if (v.index < 0 || v.index >= int(p.values.size()) || p.values[size_t(v.index)] != i)
        return "is not element " + std::to_string(v.index) + " of input port '" + p.name + "'";
      if (!(t == p.type)) return "type " + t.str() + " differs from its port's " + p.type.str();
      return "";
    }
    case NetOp::Const:
      if (v.konst < t.min_raw() || v.konst > t.max_raw())
        return "constant " + std::to_string(v.konst) + " outside " + t.str();
      return "";
    case NetOp::Quantize: return "";
    case NetOp::Lut: {
      const Fixed& ta = n.values[size_t(v.args[0])].type;
      if (ta.width > 24) return "table input " + ta.str() + " wider than 24 bits";
      if (v.table.size() != (size_t(1) << ta.width))
        return "table has " + std::to_string(v.table.size()) + " entries, input " + ta.str() + " needs " +
               std::to_string(size_t(1) << ta.width);
      for (int64_t e : v.table)
        if (e < t.min_raw() || e > t.max_raw()) return "table entry " + std::to_string(e) + " outside " + t.str();
      return "";
    }
    case NetOp::Cmp:
      if (t.is_signed || t.width != 1 || t.int_bits != 1) return "comparison type " + t.str() + " is not ufixed<1,1>";
      return "";
    default: break;
  }
  Interval r;
  try {
    r = net_interval(n, v);
  } catch (const FixedTypeError& e) {
    return std::string("result range: ") + e.what();
  }
  if (t.frac_bits() < r.frac)
    return "type " + t.str() + " has " + std::to_string(t.frac_bits()) + " fractional bits, the exact result needs " +
           std::to_string(r.frac);
  Interval a = r.at(t.frac_bits());
  if (a.lo < t.min_raw() || a.hi > t.max_raw())
    return "type " + t.str() + " does not hold the exact result range [" + i128_str(a.lo) + ", " + i128_str(a.hi) +
           "]·2^-" + std::to_string(t.frac_bits());
  return "";
}

std::string operand(int a, int shift) {
  std::string s = "v" + std::to_string(a);
  if (shift > 0) s += "<<" + std::to_string(shift);
  if (shift < 0) s += ">>" + std::to_string(-shift);
  return s;
}

}  // namespace

void Netlist::verify() const {
  auto fail = [&](int i, const std::string& why) {
    const NetValue& v = values[size_t(i)];
    throw Error(source, v.layer, to_string(v.op), "netlist value v" + std::to_string(i) + ": " + why);
  };
  for (int i = 0; i < int(values.size()); ++i) {
    std::string why = check_value(*this, i);
    if (!why.empty()) fail(i, why);
  }
  for (size_t p = 0; p < inputs.size(); ++p)
    for (size_t k = 0; k < inputs[p].values.size(); ++k) {
      int v = inputs[p].values[k];
      if (v < 0 || v >= int(values.size()) || values[size_t(v)].op != NetOp::Input ||
          values[size_t(v)].port != int(p) || values[size_t(v)].index != int(k))
        throw Error(source, "input port '" + inputs[p].name + "' element " + std::to_string(k) +
                                " is not its Input value");
    }
  for (const NetPort& p : outputs)
    for (size_t k = 0; k < p.values.size(); ++k) {
      int v = p.values[k];
      if (v < 0 || v >= int(values.size()))
        throw Error(source, "output port '" + p.name + "' element " + std::to_string(k) + " names no value");
      if (!same_format(values[size_t(v)].type, p.type))
        throw Error(source, "output port '" + p.name + "' element " + std::to_string(k) + ": value v" +
                                std::to_string(v) + " of type " + values[size_t(v)].type.str() +
                                " is not of the port type " + p.type.str());
    }
}

std::string to_text(const Netlist& n) {
  std::ostringstream os;
  os << "netlist " << n.source << ": " << n.values.size() << " values, latency " << n.latency << "\n";
  for (const NetPort& p : n.inputs)
    os << "input " << p.name << " (" << p.tensor << ") " << p.values.size() << " x " << p.type.str() << "\n";
  for (const NetPort& p : n.outputs) {
    os << "output " << p.name << " (" << p.tensor << ") " << p.values.size() << " x " << p.type.str() << " =";
    for (int v : p.values) os << " v" << v;
    os << "\n";
  }
  for (const std::string& s : n.stripped) os << "stripped softmax " << s << "\n";
  for (size_t i = 0; i < n.values.size(); ++i) {
    const NetValue& v = n.values[i];
    os << "v" << i << " = " << to_string(v.op);
    switch (v.op) {
      case NetOp::Input: os << " " << n.inputs.at(size_t(v.port)).name << "[" << v.index << "]"; break;
      case NetOp::Const: os << " " << v.konst; break;
      case NetOp::Add:
        os << " " << operand(v.args[0], v.shift_a) << (v.sub ? " - " : " + ") << operand(v.args[1], v.shift_b);
        break;
      case NetOp::Quantize: os << " " << operand(v.args[0], v.shift_a); break;
      case NetOp::Cmp:
        os << " v" << v.args[0] << (v.cmp == CmpKind::GE ? " >= " : v.cmp == CmpKind::GT ? " > " : " == ") << "v"
           << v.args[1];
        break;
      case NetOp::Lut: os << " v" << v.args[0] << " (" << v.table.size() << " entries)"; break;
      default:
        for (int a : v.args) os << " v" << a;
    }
    os << " : " << v.type.str();
    if (v.stage) os << " @" << v.stage;
    if (!v.layer.empty()) os << " [" << v.layer << "]";
    os << "\n";
  }
  return os.str();
}

int64_t count_values(const Netlist& n, NetOp op, const std::string& layer) {
  int64_t c = 0;
  for (const NetValue& v : n.values) c += v.op == op && (layer.empty() || v.layer == layer);
  return c;
}

std::vector<bool> live_values(const Netlist& n) {
  const size_t nv = n.values.size();
  std::vector<bool> live(nv, false);
  for (const NetPort& p : n.outputs)
    for (int v : p.values)
      if (v >= 0 && size_t(v) < nv) live[size_t(v)] = true;
  for (size_t i = nv; i-- > 0;)
    if (live[i])
      for (int a : n.values[i].args)
        if (a >= 0 && size_t(a) < i) live[size_t(a)] = true;
  return live;
}

void remove_dead_values(Netlist& n) {
  std::vector<bool> live = live_values(n);
  for (const NetPort& p : n.inputs)
    for (int v : p.values) live[size_t(v)] = true;
  std::vector<int> remap(n.values.size(), -1);
  std::vector<NetValue> kept;
  for (size_t i = 0; i < n.values.size(); ++i)
    if (live[i]) {
      remap[i] = int(kept.size());
      kept.push_back(std::move(n.values[i]));
      for (int& a : kept.back().args) a = remap[size_t(a)];
    }
  n.values = std::move(kept);
  for (NetPort& p : n.inputs)
    for (int& v : p.values) v = remap[size_t(v)];
  for (NetPort& p : n.outputs)
    for (int& v : p.values) v = remap[size_t(v)];
}

}  // namespace nanogate
