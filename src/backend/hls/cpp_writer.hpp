// nanogate HLS backend — the C++ code-emission layer.
//
// Emitters build C++ statement by statement through a CppWriter: blocks with
// automatic indentation, comments, pragmas, constant arrays. Expressions are
// composed by the small helpers below (casts, indexing, literals) from the
// layer's types and constants; no kernel is a pasted string template.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nanogate/fixed.hpp"

namespace nanogate::hls {

/// Accumulates C++ source text with indentation.
class CppWriter {
 public:
  /// One line at the current indentation ("" gives an empty line).
  void line(const std::string& text);
  /// A `// ...` comment; multi-line text gives one comment line per line.
  void comment(const std::string& text);
  /// `NANOGATE_PRAGMA(HLS <text>)`: the directive `#pragma HLS <text>` under
  /// Vitis HLS synthesis (__SYNTHESIS__), nothing for a C++ compiler (g++
  /// would warn about an unknown pragma); the macro is defined in defines.h.
  void pragma(const std::string& text);
  /// Opens a block: `head {` and indents.
  void open(const std::string& head);
  /// Closes the innermost block: `}` (or `}` + tail, e.g. ";").
  void close(const std::string& tail = "");
  /// A counted loop `for (int var = 0; var < n; ++var) {`, opened; close()
  /// ends it. `label` names the loop's role for the reader of this emitter
  /// only (C++ labels would be unused labels for g++ -Wall).
  void open_for(const std::string& label, const std::string& var, int64_t n);
  /// `static const TYPE name[n] = {v0, v1, ...};` with values already
  /// spelled as C++ expressions, wrapped at ~100 columns.
  void const_array(const std::string& type, const std::string& name, const std::vector<std::string>& values);
  /// The text written so far.
  const std::string& str() const { return out_; }

 private:
  std::string out_;
  int indent_ = 0;
};

/// A C++ identifier from an arbitrary layer/tensor name: characters outside
/// [A-Za-z0-9_] become '_', a leading digit gets a '_' prefix.
std::string identifier(const std::string& name);

/// `(T)(expr)`: the ap_fixed cast with T's rounding and overflow modes.
std::string cast(const std::string& type, const std::string& expr);

/// `name[i]`.
std::string at(const std::string& name, const std::string& index);
/// `name[i]` with a numeric index.
std::string at(const std::string& name, int64_t index);

/// The exact value of raw * 2^-frac as a C++ double literal (round-trips to
/// the same double: exact for |raw| < 2^53); throws nanogate::Error otherwise.
std::string value_literal(int64_t raw, const Fixed& t);

/// A 64-bit integer literal that compiles without warnings (e.g.
/// -9223372036854775808 is written as (-9223372036854775807LL - 1)).
std::string int_literal(i128 v);

}  // namespace nanogate::hls
