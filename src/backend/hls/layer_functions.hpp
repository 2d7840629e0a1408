// nanogate HLS backend — one C++ function per layer, shared by the io_parallel
// and io_stream top functions: unique C names, the layer's typedefs
// (defines.h), its constants (weights/<id>.h) and its body (the per-op
// emitters of layer_emitter.hpp).
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backend/hls/cpp_writer.hpp"
#include "backend/hls/layer_emitter.hpp"
#include "nanogate/backend/hls.hpp"

namespace nanogate::hls {

/// C identifiers handed out once each (C++ keywords and the project's own
/// names are taken from the start).
class NameSet {
 public:
  NameSet();
  /// identifier(name), with '_' appended until it is unused; marks it used.
  std::string unique(const std::string& name);
  /// Marks `name` used (no check).
  void take(const std::string& name) { used_.insert(name); }
  /// Whether `name` is a reserved word or already used.
  bool taken(const std::string& name) const { return used_.count(name) != 0; }

 private:
  std::set<std::string> used_;
};

/// The layer functions of one project and what they need around them.
struct LayerFunctions {
  LayerFunctions(const HlsOptions& o, std::string src, std::string top_name, NameSet& n)
      : options(o), source(std::move(src)), top(std::move(top_name)), names(n) {}

  const HlsOptions& options;
  std::string source;  ///< model file, for errors
  std::string top;     ///< top function name (header guards)
  NameSet& names;
  CppWriter defines;    ///< typedefs (defines.h)
  CppWriter functions;  ///< the function definitions (<top>.cpp)
  CppWriter params;     ///< per-layer constants (parameters.h)
  std::vector<std::pair<std::string, std::string>> weight_files;  ///< (path relative to the project, text)
  std::vector<std::string> notes;  ///< deliberate deviations, one line each
  int ii = 1;                      ///< the largest layer initiation interval
  int index = 0;                   ///< layers emitted so far

  /// Emits `static void <id>(const in0[..], ..., out y[..])` for node `n` of
  /// graph `g` (the node's constants are read from g) and returns its id.
  /// `ins` are the node's activation inputs in node-input order (tensor, C
  /// element type, fixed type, per-event shape, size; `var` is set here);
  /// `out_shape` is the output's per-event shape. Declares the output
  /// typedef `<id>_result_t` (returned through `out_ctype`). Throws
  /// nanogate::Error (source, node) for a node without an emitter or
  /// invalid strategy/ReuseFactor.
  std::string emit(const Graph& g, const Node& n, std::vector<ArrayArg> ins, const Shape& out_shape, std::string& out_ctype);
};

/// The header guard `<TOP>_<WHAT>_H`.
std::string header_guard(const std::string& top, const std::string& what);

}  // namespace nanogate::hls
