// nanogate — constant matrix-vector multiplication (CMVM) optimizer.
//
// Problem. Given a constant integer matrix W (row-major n_in x n_out, the
// convention of nanogate's Dense layer: W[i][j] = W[i * n_out + j]) and
// integer inputs x_i in known intervals [lo_i, hi_i], build a shift-and-add
// AdderGraph computing
//
//     y_j = sum_i W[i][j] * x_i        (j = 0 .. n_out-1)
//
// exactly, with few adders, a small total cost (sum of adder output widths in
// bits, da4ml's cost model) and a bounded adder depth. W holds raw
// fixed-point codes; binary points are the caller's shifts.
//
// Algorithm (after da4ml: C. Sun et al., "da4ml: Distributed Arithmetic for
// Real-time Neural Networks on FPGAs", arXiv 2507.04535, Sec. 4 "the CMVM
// algorithm"; the two-term CSE is Hartley's, R. Hartley, "Subexpression
// sharing in filters using canonic signed digit multipliers", IEEE TCAS-II
// 43(10), 1996; the depth bound is the delay-constrained variant of da4ml's
// "dc" parameter):
//
//  1. Column canonicalisation. Every column is divided by its largest power
//     of two and its sign is fixed (first non-zero entry positive); equal
//     canonical columns are built once and the other outputs reuse the node
//     with an output shift / negation (identical, negated and 2^k-scaled
//     columns cost no adder). All-zero columns are the constant 0 and zero
//     weights contribute no term.
//  2. CSD recoding (csd_digits): every weight becomes signed power-of-two
//     digits with no two adjacent non-zero digits (minimal digit count), so
//     output j starts as a sum of terms +/- (x_i << s).
//  3. Common-subexpression elimination over two-term patterns. A pattern is
//     (node p, node q, relative shift d, relative sign): the pair of terms
//     +/- (p << s) and +/- (q << s + d) in the same output. Patterns are
//     counted over all outputs (incrementally updated); greedily the pattern
//     with the highest score  occurrences * overlap bits  (da4ml's
//     "weighted most common"; overlap = bit width of the narrower operand) is
//     turned into a new node, and its disjoint occurrences are replaced by
//     one term each. Every new node is itself a candidate operand, so longer
//     shared sums grow pairwise. It stops when no pattern occurs twice.
//  4. Delay constraint. Each term has a depth; output j can be reduced to
//     depth L iff its Kraft sum  sum_terms 2^depth <= 2^L  (the reduction that
//     always adds the two shallowest terms achieves the bound). An
//     occurrence is only extracted when its output stays within its limit
//     L = D0 + dc, D0 = max_j ceil(log2(#CSD digits of column j)) the minimal
//     balanced depth of plain CSD (DelayScope::graph), or per output
//     L_j = ceil(log2(#digits_j)) + dc (DelayScope::per_output). dc < 0 means
//     no constraint.
//  5. Balanced reduction. The remaining terms of each output are summed by a
//     depth-balanced tree: repeatedly add the two shallowest terms (ties:
//     the narrower first, to keep adders small), which is depth optimal and
//     meets the limit of step 4.
// The result is deterministic (no hashing order or randomness is visible).
//
// Not (yet) done versus da4ml: its stage-0 "graph based" decomposition
// W = W0 * W1 (delay-constrained minimum spanning tree over column
// differences) and duplicate-input detection.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "nanogate/cmvm/adder_graph.hpp"

namespace nanogate::cmvm {

/// One non-zero digit of a canonical signed-digit (CSD) number:
/// sign * 2^shift.
struct CsdDigit {
  int shift = 0;  ///< bit position, >= 0
  int sign = 1;   ///< +1 or -1
};

/// CSD (non-adjacent form) of w: digits in increasing shift order with
/// sum sign * 2^shift == w, no two digits at adjacent positions; this is the
/// signed-digit form with the fewest non-zero digits (Reitwiesner 1960).
/// 0 gives no digit. Works for every int64_t (INT64_MIN = -2^63 is one digit).
std::vector<CsdDigit> csd_digits(int64_t w);

/// Number of non-zero CSD digits of w (csd_digits(w).size()).
int csd_weight(int64_t w);

/// Adders of the plain CSD implementation without sharing: for every column,
/// max(0, total CSD digits - 1). W row-major n_in x n_out. Throws
/// std::invalid_argument when W.size() != n_in * n_out.
int64_t plain_csd_adders(const std::vector<int64_t>& W, int n_in, int n_out);

/// Initial two-term patterns of the CSE search over W: Σ over columns of
/// C(#CSD digits of the column, 2) (its cost grows with it; LowerOptions::cse_budget).
int64_t cse_pattern_count(const std::vector<int64_t>& W, int n_in, int n_out);

/// Minimal balanced adder depth of the plain CSD implementation: max over
/// columns of ceil(log2(#CSD digits)) (0 for columns with at most one digit).
int minimal_csd_depth(const std::vector<int64_t>& W, int n_in, int n_out);

/// How the delay constraint is applied.
enum class DelayScope {
  graph,       ///< every output within D0 + dc, D0 = minimal_csd_depth(W)
  per_output,  ///< output j within ceil(log2(#digits of column j)) + dc
};

/// Options of optimize_cmvm.
struct CmvmOptions {
  /// Delay constraint: extra adder levels allowed over the minimal balanced
  /// CSD depth; < 0 = unconstrained. Default 2.
  int dc = 2;
  DelayScope scope = DelayScope::graph;
  /// Run common-subexpression elimination (false: plain CSD + balanced trees).
  bool cse = true;
};

/// Builds the adder graph of y = W^T x (y_j = sum_i W[i][j] x_i) for W
/// row-major n_in x n_out and x_i in [ranges[i].first, ranges[i].second]; see
/// the file comment for the algorithm. The graph's inputs are x_0..x_{n_in-1}
/// (node i = x_i), its outputs y_0..y_{n_out-1}.
/// Guarantees: graph.implemented_matrix() == W; every output's depth is
/// within the delay limit (when opts.dc >= 0); metrics().adders <=
/// plain_csd_adders(W).
/// Throws std::invalid_argument for W.size() != n_in * n_out,
/// ranges.size() != n_in, n_in or n_out < 0 or an empty range, and
/// std::overflow_error when |y_j| could exceed 2^120.
AdderGraph optimize_cmvm(const std::vector<int64_t>& W, int n_in, int n_out,
                         const std::vector<std::pair<int64_t, int64_t>>& ranges,
                         const CmvmOptions& opts = {});

}  // namespace nanogate::cmvm
