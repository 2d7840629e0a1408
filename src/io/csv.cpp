// nanogate — CSV reader/writer for event tables: one event per line,
// comma-separated numbers, optional header line of column names.
#include <charconv>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "nanogate/io/table.hpp"

namespace nanogate {

namespace {

using io_detail::printable;

struct Field {
  std::string text;     // trimmed (unquoted) or verbatim content (quoted)
  bool quoted = false;  // was "..."
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

bool blank_line(std::string_view line) {
  for (char c : line)
    if (!is_blank(c)) return false;
  return true;
}

std::string line_prefix(const std::string& path, size_t line_no) {
  return path + ":" + std::to_string(line_no) + ": ";
}

/// Splits one line into fields; handles "quoted" fields ("" = one quote).
std::vector<Field> split_line(const std::string& path, size_t line_no, std::string_view line) {
  std::vector<Field> fields;
  size_t p = 0;
  for (;;) {
    Field f;
    while (p < line.size() && is_blank(line[p])) ++p;
    if (p < line.size() && line[p] == '"') {
      f.quoted = true;
      ++p;
      for (;;) {
        if (p >= line.size())
          throw IoError(line_prefix(path, line_no) + "column " + std::to_string(fields.size() + 1) +
                        ": unterminated quoted field");
        if (line[p] == '"') {
          if (p + 1 < line.size() && line[p + 1] == '"') {
            f.text += '"';
            p += 2;
            continue;
          }
          ++p;
          break;
        }
        f.text += line[p++];
      }
      while (p < line.size() && is_blank(line[p])) ++p;
      if (p < line.size() && line[p] != ',')
        throw IoError(line_prefix(path, line_no) + "column " + std::to_string(fields.size() + 1) +
                      ": unexpected text after closing quote");
    } else {
      size_t start = p;
      while (p < line.size() && line[p] != ',') ++p;
      size_t end = p;
      while (end > start && is_blank(line[end - 1])) --end;
      f.text.assign(line.substr(start, end - start));
    }
    fields.push_back(std::move(f));
    if (p >= line.size()) break;
    ++p;  // the comma
  }
  return fields;
}

enum class NumStatus { Ok, Bad, NonFinite };

/// Parses the whole of s as a number in C syntax (optionally with a leading '+').
NumStatus parse_number(const std::string& s, double& out) {
  std::string_view v = s;
  if (v.size() >= 2 && v[0] == '+' && v[1] != '-' && v[1] != '+') v.remove_prefix(1);
  if (v.empty()) return NumStatus::Bad;
  const char* first = v.data();
  const char* last = v.data() + v.size();
  auto [ptr, ec] = std::from_chars(first, last, out, std::chars_format::general);
  if (ptr != last) return NumStatus::Bad;
  if (ec == std::errc::result_out_of_range) {
    // Overflow is an error; underflow to a tiny or zero value is fine.
    std::string copy(v);
    out = std::strtod(copy.c_str(), nullptr);
  } else if (ec != std::errc()) {
    return NumStatus::Bad;
  }
  return std::isfinite(out) ? NumStatus::Ok : NumStatus::NonFinite;
}

/// True if a header name must be quoted to read back as the same header text.
bool needs_quotes(const std::string& name) {
  if (name.empty()) return true;
  if (is_blank(name.front()) || is_blank(name.back()) || name.front() == '"') return true;
  if (name.starts_with("\xEF\xBB\xBF")) return true;  // bare at byte 0, the reader would strip it as a BOM
  if (name.find_first_of(",\"") != std::string::npos) return true;
  double d;
  return parse_number(name, d) != NumStatus::Bad;
}

}  // namespace

Table read_csv(const std::string& path) {
  std::string bytes = io_detail::read_file_bytes(path);
  if (bytes.empty()) throw IoError(path + ": empty file");
  std::string_view all = bytes;
  if (all.substr(0, 3) == "\xEF\xBB\xBF") all.remove_prefix(3);
  for (size_t i = 0; i < all.size(); ++i) {  // a NUL or another control byte is not text (e.g. a binary file)
    const unsigned char ch = static_cast<unsigned char>(all[i]);
    if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
      const size_t line = 1 + size_t(std::count(all.begin(), all.begin() + std::ptrdiff_t(i), '\n'));
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", ch);
      throw IoError(line_prefix(path, line) + "control character " + hex + " (not a text table)");
    }
  }

  Table t;
  bool seen_first = false;  // first non-blank line processed
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < all.size()) {
    size_t nl = all.find('\n', pos);
    std::string_view line = all.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? all.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (blank_line(line)) continue;

    std::vector<Field> fields = split_line(path, line_no, line);
    if (!seen_first) {
      seen_first = true;
      bool header = false;
      for (const Field& f : fields) {
        double d;
        if (f.quoted || (!f.text.empty() && parse_number(f.text, d) == NumStatus::Bad)) header = true;
      }
      t.cols = static_cast<int64_t>(fields.size());
      if (header) {
        for (Field& f : fields) t.header.push_back(std::move(f.text));
        continue;
      }
    }
    if (static_cast<int64_t>(fields.size()) != t.cols)
      throw IoError(line_prefix(path, line_no) + "expected " + std::to_string(t.cols) +
                    " values, found " + std::to_string(fields.size()));
    for (size_t c = 0; c < fields.size(); ++c) {
      const Field& f = fields[c];
      std::string where = line_prefix(path, line_no) + "column " + std::to_string(c + 1) + ": ";
      if (f.quoted)
        throw IoError(where + "unparsable number '\"" + printable(f.text) + "\"' (quoted)");
      if (f.text.empty()) throw IoError(where + "empty value");
      double v = 0;
      switch (parse_number(f.text, v)) {
        case NumStatus::Ok:
          break;
        case NumStatus::Bad:
          throw IoError(where + "unparsable number '" + printable(f.text) + "'");
        case NumStatus::NonFinite:
          throw IoError(where + "non-finite number '" + printable(f.text) + "'");
      }
      t.data.push_back(v);
    }
    ++t.rows;
  }
  if (!seen_first) throw IoError(path + ": empty file (only blank lines)");
  return t;
}

void write_csv(const std::string& path, const Table& t, int precision) {
  if (precision < 1 || precision > 17)
    throw IoError(path + ": invalid CSV precision " + std::to_string(precision) + " (must be 1..17)");
  io_detail::check_table(path, t, /*check_header=*/true);
  if (t.rows > 0 && t.cols == 0)
    throw IoError(path + ": cannot write a table with " + std::to_string(t.rows) +
                  " rows and 0 columns as CSV");
  std::string out;
  out.reserve(t.data.size() * 12 + 64);
  if (!t.header.empty()) {
    for (size_t c = 0; c < t.header.size(); ++c) {
      const std::string& name = t.header[c];
      if (name.find_first_of("\r\n") != std::string::npos)
        throw IoError(path + ": header name " + std::to_string(c) +
                      " contains a line break: '" + printable(name) + "'");
      if (c) out += ',';
      if (needs_quotes(name)) {
        out += '"';
        for (char ch : name) {
          if (ch == '"') out += '"';
          out += ch;
        }
        out += '"';
      } else {
        out += name;
      }
    }
    out += '\n';
  }
  char buf[64];
  for (int64_t r = 0; r < t.rows; ++r) {
    for (int64_t c = 0; c < t.cols; ++c) {
      if (c) out += ',';
      // Same text as printf("%.*g"), but independent of the C locale.
      auto res = std::to_chars(buf, buf + sizeof buf, t.data[static_cast<size_t>(r * t.cols + c)],
                               std::chars_format::general, precision);
      out.append(buf, res.ptr);
    }
    out += '\n';
  }
  io_detail::write_file_replacing(path, out);
}

}  // namespace nanogate
