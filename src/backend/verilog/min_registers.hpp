// nanogate — register-minimising stage assignment at a fixed latency
// (internal to the pipelining pass, pipeline.cpp).
//
// The problem. Every live, non-constant netlist value v gets a stage
// s(v) in [0, L] (ops possibly in a narrower range); a value consumed d
// stages after its own passes through d registers of its implemented width
// w(v), shared by all its consumers, so the register bits are
//     sum_v w(v) * (m(v) - s(v)),  m(v) = max(s(c) for consumers c; L if v is an output).
// Constraints: inputs sit in stage 0; s(a) <= s(v) for every argument a of v;
// outputs are read at stage L; and within a stage every chain of ops fits the
// combinational budget: s(v) >= s(u) + 1 whenever the longest path from the
// start of u to the end of v (delays of both included) exceeds the budget and
// is not just v alone (an op slower than the budget on its own keeps a stage
// of its own, as the ASAP schedule gives it).
//
// The method. All constraints are differences of two stages and the
// objective is linear once m(v) is a variable of its own (m(v) >= s(c) for
// each consumer, m(v) >= L for outputs): Leiserson and Saxe's minimum-area
// retiming with "mirror" nodes for fan-out sharing (C. E. Leiserson, J. B.
// Saxe, "Retiming synchronous circuitry", Algorithmica 6, 1991, sec. 8),
// which is the same linear program as SDC scheduling's register objective
// (J. Cong, Z. Zhang, "An efficient and versatile scheduling algorithm based
// on SDC formulation", DAC 2006). Its constraint matrix is totally unimodular
// and its dual is a minimum-cost flow; LEMON's network simplex solves the
// flow and the optimal stages are the node potentials (integers). The timing
// pairs (u, v) come from a backward walk from each v over the values whose
// path to v still fits the budget; farther ancestors follow by transitivity
// through the argument constraints.
#pragma once

#include <optional>
#include <vector>

#include "nanogate/netlist/netlist.hpp"

namespace nanogate::verilog_detail {

/// Stages (index-aligned with n.values) that minimise the register bits at
/// latency `latency` (cycles, >= 1) under the constraints of the file
/// comment, every op (non-input, non-constant value) in a stage from
/// `first_op_stage` to `last_op_stage` (0 and `latency`, or 1 and
/// `latency` − 1 with registered ports). `delay` is each value's
/// combinational delay (ns), `widths` its implemented width (bits), `live`
/// whether an output depends on it; `budget` is the clock period minus the
/// register overhead (ns). Constants get stage
/// 0 and are never registered; values no output depends on are placed after
/// their arguments. Returns nullopt when no stage assignment meets the
/// constraints at this latency (never the case at the ASAP schedule's
/// latency) or when the solver reports an unbounded or infeasible flow.
/// Arguments must precede their users and outputs must name values (the
/// caller checks both).
std::optional<std::vector<int>> min_register_stages(const Netlist& n, const std::vector<double>& delay,
                                                    const std::vector<int>& widths, const std::vector<bool>& live,
                                                    int latency, int first_op_stage, int last_op_stage,
                                                    double budget);

}  // namespace nanogate::verilog_detail
