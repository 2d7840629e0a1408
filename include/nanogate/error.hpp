// nanogate — the one error type every stage raises for bad user input.
#pragma once

#include <stdexcept>
#include <string>

namespace nanogate {

/// `s` with every control character (bytes < 0x20 and 0x7f: newlines, tabs,
/// NUL, escape) written as \xNN, so that a message quoting names from a
/// model or configuration file stays one line on a terminal.
inline std::string one_line(const std::string& s) {
  std::string r;
  r.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c != 0x7f) {
      r += char(c);
    } else {
      static const char hex[] = "0123456789abcdef";
      r += {'\\', 'x', hex[c >> 4], hex[c & 15]};
    }
  }
  return r;
}

/// A user-facing error: bad model file, unsupported op, impossible precision,
/// bad configuration, bad input data. what() is one line of the form
///   "<file>: node '<node>' (<op>): <reason>"
/// with the node part left out when the error is not about a node; control
/// characters of names and reasons are escaped (one_line).
class Error : public std::runtime_error {
 public:
  /// file: the model / config / data file (may be empty); node, op: the graph
  /// node the error is about (may be empty); reason: what is wrong.
  Error(const std::string& file, const std::string& node, const std::string& op,
        const std::string& reason)
      : std::runtime_error(format(file, node, op, reason)), file_(file), node_(node), op_(op), reason_(reason) {}
  /// An error about a file as a whole (no node).
  Error(const std::string& file, const std::string& reason) : Error(file, "", "", reason) {}

  const std::string& file() const { return file_; }
  const std::string& node() const { return node_; }
  const std::string& op() const { return op_; }
  const std::string& reason() const { return reason_; }

 private:
  static std::string format(const std::string& file, const std::string& node, const std::string& op,
                            const std::string& reason) {
    std::string s = file.empty() ? std::string("<model>") : file;
    s += ": ";
    if (!node.empty()) {
      s += "node '" + node + "'";
      if (!op.empty()) s += " (" + op + ")";
      s += ": ";
    }
    return one_line(s + reason);
  }
  std::string file_, node_, op_, reason_;
};

/// Runs f() and returns its result; an Error it throws that names no file
/// (e.g. from Node::attr_int, which does not know its graph) is rethrown
/// naming `file`, with the same node, op and reason. Other exceptions pass.
template <class F>
decltype(auto) naming_file(const std::string& file, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    if (!e.file().empty() || file.empty()) throw;
    throw Error(file, e.node(), e.op(), e.reason());
  }
}

}  // namespace nanogate
