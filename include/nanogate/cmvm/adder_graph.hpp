// nanogate — shift-and-add adder graphs, the result of the CMVM optimizer.
//
// An AdderGraph computes y = f(x) for an integer input vector x (n_inputs
// entries, x_i in a known closed interval [lo_i, hi_i]) using only adders and
// wired shifts: every node is
//
//     v = (a << shift_a) + (b << shift_b)      or
//     v = (a << shift_a) - (b << shift_b)      (a, b: earlier nodes or inputs)
//
// Each output is either the constant 0 or  (+/-) (node << shift). Shifts are
// left shifts by s >= 0 bits, i.e. exact multiplications by 2^s (wires only in
// hardware). All values are integers (raw fixed-point codes); the binary point
// is the caller's business.
//
// Because every node is a linear form sum_i c_i x_i of the inputs with integer
// coefficients, the graph keeps that form for every node; a node's interval
// [lo, hi] is then *exact* (lo = sum_i min(c_i lo_i, c_i hi_i), reached at a
// corner of the input box), which is tighter than interval arithmetic on the
// operands when they share inputs. The bit width of a node follows from its
// interval (see bit_width()).
//
// Cost model (da4ml, arXiv 2507.04535, Sec. 3): an adder costs its output bit
// width (one LUT/carry cell per output bit on an FPGA); inputs, shifts and
// negations at the outputs are free. Depth: inputs have depth 0, a node has
// depth max(depth a, depth b) + 1 (adder depth, a latency proxy).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nanogate/fixed.hpp"

namespace nanogate::cmvm {

/// Number of bits of the smallest two's complement (lo < 0) or unsigned
/// (lo >= 0) integer type holding every value of [lo, hi]: unsigned width =
/// bit length of hi, signed width = smallest W with -2^(W-1) <= lo and
/// hi < 2^(W-1). [0, 0] gives 0 bits. Precondition lo <= hi.
int bit_width(i128 lo, i128 hi);

/// One node of an AdderGraph. Inputs are nodes too (is_input(), a == b == -1,
/// shifts 0, depth 0).
struct AdderNode {
  int a = -1;          ///< first operand (node index), -1 for an input
  int b = -1;          ///< second operand (node index), -1 for an input
  int shift_a = 0;     ///< left shift of a, bits (>= 0)
  int shift_b = 0;     ///< left shift of b, bits (>= 0)
  bool sub = false;    ///< true: (a << shift_a) - (b << shift_b)
  i128 lo = 0;         ///< exact minimum of the node over the input box
  i128 hi = 0;         ///< exact maximum of the node over the input box
  int depth = 0;       ///< adder depth (inputs 0)

  bool is_input() const { return a < 0; }
  /// Output bit width, bit_width(lo, hi).
  int width() const { return bit_width(lo, hi); }
};

/// An output: constant zero (node == -1) or (negate ? -1 : 1) * (node << shift).
struct OutputRef {
  int node = -1;        ///< node index, -1 = the constant 0
  int shift = 0;        ///< left shift, bits (>= 0)
  bool negate = false;  ///< output is the negated (shifted) node
};

/// Summary metrics of an AdderGraph (da4ml's cost model, see file comment).
struct AdderGraphMetrics {
  int64_t adders = 0;      ///< number of adder/subtractor nodes
  int64_t cost_bits = 0;   ///< sum over adders of their output width (bits)
  int depth = 0;           ///< max adder depth over the outputs (0 if none)
};

/// A DAG of shift-and-add nodes over integer inputs with exact intervals.
/// Nodes are appended in topological order (operands always precede the node).
class AdderGraph {
 public:
  AdderGraph() = default;

  /// A graph whose first ranges.size() nodes are the inputs, x_i in
  /// [ranges[i].first, ranges[i].second]. Throws std::invalid_argument when a
  /// range is empty (lo > hi).
  explicit AdderGraph(const std::vector<std::pair<int64_t, int64_t>>& ranges);

  /// Appends the node (a << shift_a) +/- (b << shift_b) and returns its index.
  /// Its exact interval comes from its linear form in the inputs, its depth
  /// is max(depth a, depth b) + 1. Throws std::invalid_argument for an operand
  /// that is not an existing node or a shift outside [0, 62], and
  /// std::overflow_error when a coefficient or bound would exceed 2^120.
  int add(int a, int shift_a, int b, int shift_b, bool sub);

  /// Sets the outputs (any number; nodes must exist, shifts in [0, 62]).
  /// Throws std::invalid_argument otherwise.
  void set_outputs(std::vector<OutputRef> outputs);

  int n_inputs() const { return n_inputs_; }
  int n_outputs() const { return static_cast<int>(outputs_.size()); }
  const std::vector<AdderNode>& nodes() const { return nodes_; }
  const std::vector<OutputRef>& outputs() const { return outputs_; }
  const AdderNode& node(int i) const { return nodes_.at(static_cast<size_t>(i)); }

  /// The node's linear form: sorted (input index, coefficient) pairs with
  /// non-zero coefficients, node = sum coefficient * x_input.
  const std::vector<std::pair<int, i128>>& linear_form(int node) const {
    return forms_.at(static_cast<size_t>(node));
  }

  /// The matrix the graph implements, W[i][j] = coefficient of x_i in output
  /// j, row-major n_inputs x n_outputs (same convention as optimize_cmvm).
  std::vector<i128> implemented_matrix() const;

  /// Exact interval of output j ([0, 0] for a zero output).
  std::pair<i128, i128> output_interval(int j) const;

  /// Adder depth of output j (0 for a zero output or a bare input).
  int output_depth(int j) const;

  /// Number of adders, total cost in bits and max output depth.
  AdderGraphMetrics metrics() const;

  /// Evaluates the graph on a batch: x is row-major batch x n_inputs, the
  /// result row-major batch x n_outputs, exact (128-bit intermediates; exact
  /// as long as every node's value fits, which holds for inputs inside their
  /// ranges since add() bounds every node by 2^120). Throws
  /// std::invalid_argument if x.size() != batch * n_inputs.
  std::vector<i128> evaluate(const std::vector<int64_t>& x, int64_t batch) const;

  /// A human-readable listing, one node per line ("n17 = (n3 << 2) - n5
  /// [lo, hi] w=9 d=2"), then the outputs.
  std::string to_string() const;

 private:
  int n_inputs_ = 0;
  std::vector<std::pair<int64_t, int64_t>> ranges_;
  std::vector<AdderNode> nodes_;
  std::vector<std::vector<std::pair<int, i128>>> forms_;
  std::vector<OutputRef> outputs_;
};

}  // namespace nanogate::cmvm
