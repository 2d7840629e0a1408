// nanogate — per-layer summary of a compiled model (`nanogate inspect`).
#pragma once

#include <string>
#include <vector>

#include "nanogate/model.hpp"

namespace nanogate {

/// One row of the inspect table: a layer of the typed graph.
struct LayerRow {
  std::string name, op;
  std::string inputs;              ///< input shapes, e.g. "[16]" or "[13] [13]"
  std::string output;              ///< output shape
  std::string weight, bias, accum, result;  ///< types, "-" when not applicable
  int64_t params = 0;              ///< number of constant values (weights + biases)
  double zero_fraction = 0;        ///< fraction of weights that quantize to 0
  int reuse_factor = 1;
  std::string strategy;
  std::string exact = "-";         ///< exactness_str (passes.hpp): exact, INEXACT, configured, table, - (float model)
  std::string exact_note;          ///< why not exact
};

/// Rows for the graph inputs (op "Input") and every layer, in execution order.
std::vector<LayerRow> inspect_rows(const Model& m);

/// The rows as an aligned text table with a header line and a totals line.
std::string format_inspect(const Model& m);

}  // namespace nanogate
