// nanogate — NumPy .npy reader/writer for event tables.
//
// Format (numpy/lib/format.py): magic "\x93NUMPY", one byte major and one byte
// minor version, then the header length (uint16 LE for 1.0, uint32 LE for 2.0
// and 3.0), then the header: a Python dict literal
//   {'descr': '<f4', 'fortran_order': False, 'shape': (4, 1, 28, 28), }
// padded with spaces and ended by '\n' (ASCII for 1.0/2.0, UTF-8 for 3.0),
// then the raw array data. The dict is parsed by the small recursive-descent
// parser below (strings, ints, True/False/None, tuples, lists, dicts).
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

#include "nanogate/io/table.hpp"

namespace nanogate {

namespace {

using io_detail::printable;

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

// ---------------------------------------------------------------------------
// Python literal parser (just enough for the .npy header dict).

struct PyVal {
  enum class Kind { Str, Int, Bool, None, Seq, Dict };
  Kind kind = Kind::None;
  std::string str;  // Str
  int64_t num = 0;  // Int
  bool flag = false;  // Bool
  std::vector<PyVal> items;  // Seq (tuple or list); Dict: the values
  std::vector<std::string> keys;  // Dict: keys[i] names items[i] (a pair<string, PyVal> member is an incomplete type for clang)
};

class HeaderParser {
 public:
  HeaderParser(const std::string& path, const std::string& text) : path_(path), s_(text) {}

  /// Parses the whole header: one dict, then only whitespace.
  PyVal parse() {
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != '{') fail("expected a dict '{...}'");
    PyVal v = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the dict");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw IoError(path_ + ": malformed header: " + why + " at offset " + std::to_string(pos_) +
                  " in \"" + printable(s_, 120) + "\"");
  }

  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  bool eat(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool starts_with_word(const char* w) const {
    size_t n = std::strlen(w);
    if (s_.compare(pos_, n, w) != 0) return false;
    size_t e = pos_ + n;
    return e >= s_.size() || !(std::isalnum(static_cast<unsigned char>(s_[e])) || s_[e] == '_');
  }

  PyVal value(int depth) {
    if (depth > 32) fail("nesting too deep");
    skip_ws();
    if (pos_ >= s_.size()) fail("unexpected end of header");
    char c = s_[pos_];
    PyVal v;
    if (c == '\'' || c == '"') {
      v.kind = PyVal::Kind::Str;
      v.str = string_lit();
    } else if (c == '-' || c == '+' || (c >= '0' && c <= '9')) {
      v.kind = PyVal::Kind::Int;
      v.num = int_lit();
    } else if (starts_with_word("True") || starts_with_word("False")) {
      v.kind = PyVal::Kind::Bool;
      v.flag = s_[pos_] == 'T';
      pos_ += v.flag ? 4 : 5;
    } else if (starts_with_word("None")) {
      v.kind = PyVal::Kind::None;
      pos_ += 4;
    } else if (c == '(' || c == '[') {
      char close = c == '(' ? ')' : ']';
      ++pos_;
      v.kind = PyVal::Kind::Seq;
      while (!eat(close)) {
        v.items.push_back(value(depth + 1));
        if (eat(close)) break;
        if (!eat(',')) fail(std::string("expected ',' or '") + close + "'");
      }
    } else if (c == '{') {
      ++pos_;
      v.kind = PyVal::Kind::Dict;
      while (!eat('}')) {
        skip_ws();
        if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
          fail("expected a string key");
        std::string key = string_lit();
        if (!eat(':')) fail("expected ':'");
        v.keys.push_back(std::move(key));
        v.items.push_back(value(depth + 1));
        if (eat('}')) break;
        if (!eat(',')) fail("expected ',' or '}'");
      }
    } else {
      fail("unexpected character '" + printable(std::string(1, c)) + "'");
    }
    return v;
  }

  std::string string_lit() {
    char quote = s_[pos_++];
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;  // keep the escaped char
      if (s_[pos_] == '\n') fail("line break in string");
      out += s_[pos_++];
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    ++pos_;
    return out;
  }

  int64_t int_lit() {
    bool neg = false;
    if (s_[pos_] == '-' || s_[pos_] == '+') neg = s_[pos_++] == '-';
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') fail("expected a digit");
    uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      unsigned d = static_cast<unsigned>(s_[pos_] - '0');
      if (v > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - d) / 10)
        fail("integer too large");
      v = v * 10 + d;
      ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'L' || s_[pos_] == 'l')) ++pos_;  // Python 2 long
    if (pos_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
      fail("expected an integer");
    return neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  }

  const std::string& path_;
  const std::string& s_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------
// dtypes

struct Dtype {
  char kind = 'f';  // 'f' float, 'i' signed int, 'u' unsigned int, 'b' bool
  int size = 8;     // bytes per element
  bool swap = false;  // stored with the opposite byte order to this host
};

Dtype parse_descr(const std::string& path, const std::string& descr) {
  auto unsupported = [&]() -> IoError {
    return IoError(path + ": unsupported dtype '" + printable(descr) +
                   "' (supported: float16/32/64, (u)int8/16/32/64, bool)");
  };
  if (descr == "?") return Dtype{'b', 1, false};
  size_t p = 0;
  char order = '=';
  if (!descr.empty() && (descr[0] == '<' || descr[0] == '>' || descr[0] == '|' || descr[0] == '='))
    order = descr[p++];
  if (p >= descr.size()) throw unsupported();
  Dtype d;
  d.kind = descr[p++];
  if (d.kind == '?') {
    d.kind = 'b';
    if (p != descr.size()) throw unsupported();
    return Dtype{'b', 1, false};
  }
  std::string digits = descr.substr(p);
  if (digits.empty() || digits.size() > 2) throw unsupported();
  for (char c : digits)
    if (c < '0' || c > '9') throw unsupported();
  d.size = std::stoi(digits);
  bool ok = (d.kind == 'f' && (d.size == 2 || d.size == 4 || d.size == 8)) ||
            ((d.kind == 'i' || d.kind == 'u') &&
             (d.size == 1 || d.size == 2 || d.size == 4 || d.size == 8)) ||
            (d.kind == 'b' && d.size == 1);
  if (!ok) throw unsupported();
  if (d.size > 1) {
    if (order == '|')
      throw IoError(path + ": unsupported dtype '" + printable(descr) +
                    "' (multi-byte type without a byte order)");
    bool little = order == '<' || (order == '=' && std::endian::native == std::endian::little);
    d.swap = little != (std::endian::native == std::endian::little);
  }
  return d;
}

double half_to_double(uint16_t h) {
  int sign = (h >> 15) & 1;
  int exp = (h >> 10) & 0x1f;
  int mant = h & 0x3ff;
  double v;
  if (exp == 0)
    v = std::ldexp(static_cast<double>(mant), -24);  // subnormal (or zero)
  else if (exp == 31)
    v = mant ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp(static_cast<double>(mant | 0x400), exp - 25);
  return sign ? -v : v;
}

template <typename U>
U load_bits(const unsigned char* p, bool swap) {
  U u;
  std::memcpy(&u, p, sizeof u);
  if (swap) {
    U r = 0;
    for (size_t i = 0; i < sizeof u; ++i) r = static_cast<U>((r << 8) | ((u >> (8 * i)) & 0xff));
    u = r;
  }
  return u;
}

double load(const unsigned char* p, const Dtype& d) {
  switch (d.kind) {
    case 'b':
      return p[0] ? 1.0 : 0.0;
    case 'u':
      switch (d.size) {
        case 1: return p[0];
        case 2: return load_bits<uint16_t>(p, d.swap);
        case 4: return load_bits<uint32_t>(p, d.swap);
        default: return static_cast<double>(load_bits<uint64_t>(p, d.swap));
      }
    case 'i':
      switch (d.size) {
        case 1: return static_cast<int8_t>(p[0]);
        case 2: return static_cast<int16_t>(load_bits<uint16_t>(p, d.swap));
        case 4: return static_cast<int32_t>(load_bits<uint32_t>(p, d.swap));
        default: return static_cast<double>(static_cast<int64_t>(load_bits<uint64_t>(p, d.swap)));
      }
    default:  // 'f'
      switch (d.size) {
        case 2: return half_to_double(load_bits<uint16_t>(p, d.swap));
        case 4: return std::bit_cast<float>(load_bits<uint32_t>(p, d.swap));
        default: return std::bit_cast<double>(load_bits<uint64_t>(p, d.swap));
      }
  }
}

std::string format_g(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

uint32_t read_le(const std::string& b, size_t at, int nbytes) {
  uint32_t v = 0;
  for (int i = nbytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + i]);
  return v;
}

}  // namespace

Table read_npy(const std::string& path) {
  const std::string bytes = io_detail::read_file_bytes(path);
  if (bytes.empty()) throw IoError(path + ": empty file");
  if (bytes.size() < kMagicLen) {
    if (std::memcmp(bytes.data(), kMagic, bytes.size()) == 0)
      throw IoError(path + ": truncated: file ends inside the NPY magic string");
    throw IoError(path + ": not an NPY file (bad magic)");
  }
  if (std::memcmp(bytes.data(), kMagic, kMagicLen) != 0)
    throw IoError(path + ": not an NPY file (bad magic)");
  if (bytes.size() < kMagicLen + 2)
    throw IoError(path + ": truncated: file ends inside the NPY version");
  int major = static_cast<unsigned char>(bytes[6]);
  int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw IoError(path + ": unsupported NPY format version " + std::to_string(major) + "." +
                  std::to_string(minor) + " (supported: 1.0, 2.0, 3.0)");
  const int len_bytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagicLen + 2 + static_cast<size_t>(len_bytes);
  if (bytes.size() < prefix)
    throw IoError(path + ": truncated: file ends inside the NPY header length");
  const size_t header_len = read_le(bytes, kMagicLen + 2, len_bytes);
  if (bytes.size() - prefix < header_len)
    throw IoError(path + ": truncated: header says " + std::to_string(header_len) +
                  " bytes of header, file has " + std::to_string(bytes.size() - prefix));
  const std::string header = bytes.substr(prefix, header_len);

  // Parse the dict and pull out the three keys.
  PyVal dict = HeaderParser(path, header).parse();
  const PyVal* descr = nullptr;
  const PyVal* fortran = nullptr;
  const PyVal* shape = nullptr;
  for (size_t i = 0; i < dict.keys.size(); ++i) {
    const std::string& key = dict.keys[i];
    const PyVal& val = dict.items[i];
    if (key == "descr") descr = &val;
    else if (key == "fortran_order") fortran = &val;
    else if (key == "shape") shape = &val;
  }
  if (!descr || !fortran || !shape)
    throw IoError(path + ": malformed header: missing key '" +
                  std::string(!descr ? "descr" : !fortran ? "fortran_order" : "shape") + "'");
  if (descr->kind != PyVal::Kind::Str)
    throw IoError(path + ": unsupported dtype (structured/record arrays are not supported)");
  if (fortran->kind != PyVal::Kind::Bool)
    throw IoError(path + ": malformed header: 'fortran_order' must be True or False");
  if (shape->kind != PyVal::Kind::Seq)
    throw IoError(path + ": malformed header: 'shape' must be a tuple of integers");
  const Dtype dt = parse_descr(path, descr->str);

  std::vector<int64_t> dims;
  for (const PyVal& v : shape->items) {
    if (v.kind != PyVal::Kind::Int || v.num < 0)
      throw IoError(path + ": malformed header: 'shape' must be a tuple of non-negative integers");
    dims.push_back(v.num);
  }
  // Element count, with overflow detection (a zero dimension makes it 0).
  int64_t count = 1;
  bool overflow = false;
  for (int64_t d : dims) {
    if (d == 0) {
      count = 0;
      overflow = false;
      break;
    }
    if (!overflow && __builtin_mul_overflow(count, d, &count)) overflow = true;
  }
  int64_t nbytes = 0;
  if (overflow || __builtin_mul_overflow(count, static_cast<int64_t>(dt.size), &nbytes))
    throw IoError(path + ": shape too large");
  const size_t available = bytes.size() - prefix - header_len;
  if (static_cast<uint64_t>(nbytes) > available)
    throw IoError(path + ": truncated: header says " + std::to_string(nbytes) +
                  " bytes of data, file has " + std::to_string(available));

  Table t;
  if (dims.empty()) {
    t.rows = 1;
    t.cols = 1;
  } else {
    t.rows = dims[0];
    t.cols = 1;
    for (size_t i = 1; i < dims.size(); ++i)
      if (__builtin_mul_overflow(t.cols, dims[i], &t.cols)) throw IoError(path + ": shape too large");
  }
  t.data.resize(static_cast<size_t>(count));
  const auto* base = reinterpret_cast<const unsigned char*>(bytes.data() + prefix + header_len);

  if (!fortran->flag || dims.size() <= 1) {
    for (int64_t k = 0; k < count; ++k) t.data[static_cast<size_t>(k)] = load(base + k * dt.size, dt);
  } else {
    // Walk the C-order index as an odometer, tracking the Fortran-order offset.
    const size_t nd = dims.size();
    std::vector<int64_t> fstride(nd), idx(nd, 0);
    fstride[0] = 1;
    for (size_t j = 1; j < nd; ++j) fstride[j] = fstride[j - 1] * dims[j - 1];
    int64_t off = 0;
    for (int64_t k = 0; k < count; ++k) {
      t.data[static_cast<size_t>(k)] = load(base + off * dt.size, dt);
      for (size_t j = nd; j-- > 0;) {
        if (++idx[j] < dims[j]) {
          off += fstride[j];
          break;
        }
        off -= (dims[j] - 1) * fstride[j];
        idx[j] = 0;
      }
    }
  }

  if (dt.kind == 'f') {
    for (size_t k = 0; k < t.data.size(); ++k) {
      double v = t.data[k];
      if (!std::isfinite(v)) {
        int64_t r = static_cast<int64_t>(k) / t.cols, c = static_cast<int64_t>(k) % t.cols;
        throw IoError(path + ": non-finite value " +
                      std::string(std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf")) + " at row " +
                      std::to_string(r) + ", column " + std::to_string(c) + " (0-based)");
      }
    }
  }
  return t;
}

void write_npy(const std::string& path, const Table& t, bool float32) {
  io_detail::check_table(path, t, /*check_header=*/false);
  std::string header = std::string("{'descr': '") + (float32 ? "<f4" : "<f8") +
                       "', 'fortran_order': False, 'shape': (" + std::to_string(t.rows) + ", " +
                       std::to_string(t.cols) + "), }";
  // Pad with spaces so that magic + version + length + header is a multiple of 64.
  const size_t prefix = kMagicLen + 2 + 2;
  size_t total = prefix + header.size() + 1;
  total = (total + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header += '\n';

  std::string out;
  const size_t esize = float32 ? 4 : 8;
  out.reserve(total + t.data.size() * esize);
  out.append(kMagic, kMagicLen);
  out += static_cast<char>(1);
  out += static_cast<char>(0);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  auto put_le = [&out](uint64_t bits, size_t n) {
    for (size_t i = 0; i < n; ++i) out += static_cast<char>((bits >> (8 * i)) & 0xff);
  };
  for (size_t k = 0; k < t.data.size(); ++k) {
    const double v = t.data[k];
    if (float32 && std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max()))
      throw IoError(path + ": value " + format_g(v) + " at row " +
                    std::to_string(static_cast<int64_t>(k) / t.cols) + ", column " +
                    std::to_string(static_cast<int64_t>(k) % t.cols) +
                    " (0-based) is out of float32 range");
    if (float32)
      put_le(std::bit_cast<uint32_t>(static_cast<float>(v)), 4);
    else
      put_le(std::bit_cast<uint64_t>(v), 8);
  }
  io_detail::write_file_replacing(path, out);
}

}  // namespace nanogate
