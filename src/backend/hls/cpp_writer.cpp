// nanogate HLS backend — the C++ code-emission layer (cpp_writer.hpp).
#include "backend/hls/cpp_writer.hpp"

#include <cctype>
#include <climits>
#include <cmath>
#include <cstdio>

#include "nanogate/error.hpp"

namespace nanogate::hls {

void CppWriter::line(const std::string& text) {
  if (!text.empty()) out_.append(size_t(2 * indent_), ' ');
  out_ += text;
  out_ += '\n';
}

void CppWriter::comment(const std::string& text) {
  size_t p = 0;
  while (true) {
    size_t e = text.find('\n', p);
    line("// " + text.substr(p, e == std::string::npos ? e : e - p));
    if (e == std::string::npos) break;
    p = e + 1;
  }
}

void CppWriter::pragma(const std::string& text) { line("NANOGATE_PRAGMA(HLS " + text + ")"); }

void CppWriter::open(const std::string& head) {
  line(head.empty() ? "{" : head + " {");
  ++indent_;
}

void CppWriter::close(const std::string& tail) {
  --indent_;
  line("}" + tail);
}

void CppWriter::open_for(const std::string& label, const std::string& var, int64_t n) {
  (void)label;  // loop labels would be unused (g++ -Wunused-label); pragmas sit inside the loops
  open("for (int " + var + " = 0; " + var + " < " + std::to_string(n) +
       "; ++" + var + ")");
}

void CppWriter::const_array(const std::string& type, const std::string& name, const std::vector<std::string>& values) {
  line("static const " + type + " " + name + "[" + std::to_string(values.size()) + "] = {");
  ++indent_;
  std::string cur;
  for (size_t i = 0; i < values.size(); ++i) {
    std::string v = values[i] + (i + 1 < values.size() ? "," : "");
    if (!cur.empty() && cur.size() + v.size() + 1 > 100) {
      line(cur);
      cur.clear();
    }
    cur += (cur.empty() ? "" : " ") + v;
  }
  if (!cur.empty()) line(cur);
  --indent_;
  line("};");
}

std::string identifier(const std::string& name) {
  std::string s;
  for (char c : name) s += std::isalnum(static_cast<unsigned char>(c)) || c == '_' ? c : '_';
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) s = "_" + s;
  return s;
}

std::string cast(const std::string& type, const std::string& expr) { return "(" + type + ")(" + expr + ")"; }

std::string at(const std::string& name, const std::string& index) { return name + "[" + index + "]"; }
std::string at(const std::string& name, int64_t index) { return at(name, std::to_string(index)); }

std::string value_literal(int64_t raw, const Fixed& t) {
  if (raw >= (int64_t(1) << 53) || raw <= -(int64_t(1) << 53))
    throw Error("", "HLS backend: constant code " + std::to_string(raw) + " of " + t.str() +
                " has more than 53 significant bits (not exact as a double literal)");
  double v = std::ldexp(double(raw), -t.frac_bits());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  std::string s = buf;
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string int_literal(i128 v) {
  if (v == i128(INT64_MIN)) return "(-9223372036854775807LL - 1)";
  if (v > i128(INT64_MAX) || v < i128(INT64_MIN)) throw Error("", "HLS backend: integer constant beyond 64 bits");
  std::string s = std::to_string(int64_t(v));
  return (v > INT32_MAX || v < INT32_MIN) ? s + "LL" : s;
}

}  // namespace nanogate::hls
