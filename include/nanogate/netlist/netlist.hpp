// nanogate — the operation netlist: the bit-exact dataflow the RTL implements.
//
// A Netlist is a flat SSA list of integer operations. Every value has an exact
// fixed-point type (Fixed: signedness, width, binary point); its real value is
// raw * 2^-frac. Aligning binary points and shifting by constants is free
// wiring in hardware, so Add takes a shift on each operand. Precision is lost
// only in Quantize (the target type's rounding and overflow modes) — exactly
// like the layer graph, so lowering can be bit-exact by construction.
//
// Operation semantics (value-level, exact unless stated):
//   Input    element `index` of input port `port` (a raw code of `type`).
//   Const    the raw code `konst` of `type`.
//   Add      v = a·2^shift_a + b·2^shift_b   (sub: a·2^shift_a − b·2^shift_b);
//            shifts may be negative; `type` holds the result exactly.
//   Neg      v = −a.
//   Mul      v = a·b (two variables; constant multiplies are lowered to Adds).
//   Relu     v = max(a, 0).
//   Quantize v = cast(a·2^shift_a, type) with type.rounding and type.overflow
//            (ap_fixed); shift_a (usually 0) is a free wired scaling of the
//            argument, as on Add, so that e.g. x·2^-3 needs no adder.
//   Max/Min  v = max(a, b) / min(a, b).
//   Cmp      v = (a ≥ b) (kind GE), (a > b) (GT) or (a == b) (EQ): ufixed<1,1>.
//   Mux      v = a0 ≠ 0 ? a1 : a2 (args[0] is the select).
//   Lut      v = table[raw(a) − min_raw(type(a))], table entries raw codes of `type`.
// The value types of Relu/Max/Min/Mux/Neg/Mul/Add are exact: they never
// overflow (the verifier checks this by interval analysis over the types).
//
// Pipelining assigns every value a `stage`; a register sits on every edge from
// a value to a consumer in a later stage. Stage 0 is combinational from the
// input ports; outputs are read after `latency` clock cycles.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nanogate/fixed.hpp"

namespace nanogate {

/// Most values a netlist may hold (2^22, a few hundred MB; convert refuses larger designs).
inline constexpr int64_t kMaxNetlistValues = int64_t(1) << 22;

enum class NetOp { Input, Const, Add, Neg, Mul, Relu, Quantize, Max, Min, Cmp, Mux, Lut };
enum class CmpKind { GE, GT, EQ };

/// Name of an op ("Add", ...), for messages and reports.
const char* to_string(NetOp op);

/// One SSA value.
struct NetValue {
  NetOp op = NetOp::Const;
  Fixed type;                    ///< exact type of the value (TRN/WRAP except as a Quantize target)
  std::vector<int> args;         ///< operand value indices (all smaller than this value's index)
  int shift_a = 0, shift_b = 0;  ///< Add: operand shifts (value scaling by 2^shift); Quantize: shift_a
  bool sub = false;              ///< Add: subtract the second operand
  CmpKind cmp = CmpKind::GE;     ///< Cmp
  int64_t konst = 0;             ///< Const: raw code
  int port = 0, index = 0;       ///< Input: port and element
  std::vector<int64_t> table;    ///< Lut: raw codes of `type`, one per raw code of args[0]'s type
  std::string layer;             ///< the layer-graph node it implements (reports, comments)
  int stage = 0;                 ///< pipeline stage (set by pipelining; 0 = unpipelined)
};

/// A port: a tensor of the layer graph, one value per element (row-major),
/// all elements of one type. On the Verilog top module a port is a flat bus of
/// elements × type.width bits, element k at bits [(k+1)·W−1 : k·W].
struct NetPort {
  std::string name;         ///< Verilog-safe identifier
  std::string tensor;       ///< layer-graph tensor name
  Fixed type;
  std::vector<int> values;  ///< value index of each element
};

/// The netlist of one model.
struct Netlist {
  std::string source;              ///< model file (messages, generated headers)
  std::vector<NetValue> values;    ///< SSA order: arguments precede their users
  std::vector<NetPort> inputs, outputs;
  /// Graph outputs whose final Softmax was dropped (LowerOptions::
  /// strip_final_softmax): the Softmax output tensor names. The output port
  /// of such an output carries the Softmax's *input* tensor (NetPort::tensor),
  /// which preserves the argmax; the host applies the Softmax if it needs it.
  std::vector<std::string> stripped;
  /// Lowering decisions worth a line in the report (e.g. a CMVM sharing
  /// search skipped by LowerOptions::cse_budget).
  std::vector<std::string> notes;
  int latency = 0;                 ///< clock cycles from inputs to outputs (0 = combinational)
  double clock_period_ns = 0;      ///< the period the pipelining targeted (0 = none)

  /// Appends a value and returns its index. Throws std::overflow_error past
  /// kMaxNetlistValues values (the lowering names the layer).
  int add(NetValue v);
  /// Checks SSA order, argument counts and kinds, and that every exact op's
  /// type holds its result over the argument types (interval analysis).
  /// Throws nanogate::Error naming the source, the value index, its layer and
  /// the reason.
  void verify() const;
};

/// A readable listing for debugging: the ports, then one line per value, e.g.
///   "v12 = Add v3<<2 - v5>>1 : fixed<10,4> [dense_1]"
///   "v13 = Quantize v12 : fixed<8,3,RND,SAT> [dense_1]".
std::string to_text(const Netlist& n);

/// Number of values with op `op`, only those of layer `layer` when not empty
/// (e.g. count_values(n, NetOp::Add, "fc1") = the adders of Dense fc1).
int64_t count_values(const Netlist& n, NetOp op, const std::string& layer = "");

/// Whether each value (index-aligned with n.values) is one an output port
/// depends on: the output ports' values and, transitively, their arguments.
/// Argument and output indices that do not name an earlier value are skipped
/// (Netlist::verify and the backends report them); nothing is thrown.
std::vector<bool> live_values(const Netlist& n);

/// Removes every value no output port depends on (input port values are kept)
/// and renumbers the rest, keeping SSA order and the ports' element order.
void remove_dead_values(Netlist& n);

}  // namespace nanogate
