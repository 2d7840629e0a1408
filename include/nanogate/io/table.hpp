// nanogate — event tables: reading and writing batches of input/output events
// as NumPy .npy files or comma-separated text (.csv).
//
// A Table is a dense rows × cols matrix of doubles, one event per row. Inputs
// with more than two dimensions are flattened: an array of shape [N, d1, d2, ...]
// becomes N rows of d1*d2*... columns, in C (row-major) order of the trailing
// dimensions, whatever the storage order of the file.
//
// Tables hold finite values only: readers reject NaN and ±infinity (they cannot
// be quantised to fixed point), and writers refuse to write them.
//
// Every failure (missing file, malformed content, failed write) is reported by
// throwing IoError, whose what() is one line that starts with the path as given
// by the caller, e.g.
//   data.csv:12: expected 57 values, found 56
//   x.npy: unsupported dtype '<c16'
//   x.npy: truncated: header says 4000 bytes of data, file has 1000
// Malformed input of any kind gives an IoError, never a crash.
//
// Writers never touch any path other than the named output: the content is
// written to a fresh, uniquely named temporary file (created with O_EXCL next
// to the output) which is then renamed over the output path; if anything fails
// the temporary file is removed and the output is left as it was. If the output
// path is a symbolic link, the file it points to is replaced (the link stays).
// If the output exists and is not a regular file (a FIFO, a character device
// such as /dev/stdout), it is written to directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "nanogate/error.hpp"

namespace nanogate {

/// Raised by every table reader/writer on failure. what() is a single line
/// naming the file (as given) and the reason; CSV errors include the line (and,
/// for a bad value, the 1-based column, i.e. the field index).
class IoError : public std::runtime_error {
 public:
  /// what(): `what` with its control characters escaped (one_line, error.hpp).
  explicit IoError(const std::string& what) : std::runtime_error(one_line(what)) {}
};

/// A batch of events: rows × cols, row-major doubles (one event per row,
/// features flattened row-major). data.size() == rows * cols. header holds one
/// name per column when the source had column names (CSV), else it is empty.
struct Table {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> data;
  std::vector<std::string> header;  ///< empty if none; else header.size() == cols

  /// Element (r, c); no bounds check.
  double at(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
};

/// Reads a NumPy .npy file (format versions 1.0, 2.0 and 3.0).
/// Accepts any C- or Fortran-ordered array whose dtype is float16/32/64,
/// (u)int8/16/32/64 or bool, little- or big-endian (big-endian is byte-swapped).
/// Shape [N, d1, d2, ...] gives rows = N, cols = d1*d2*... (elements in C order
/// of the trailing dimensions); 1-D [N] gives N × 1; 0-D gives 1 × 1.
/// 64-bit integers beyond ±2^53 are rounded to the nearest double. Bytes after
/// the array data are ignored (as numpy.load does). header is left empty.
/// Throws IoError: cannot open/read, empty file, bad magic, unsupported
/// version, malformed header dict, unsupported dtype (complex, strings,
/// structured, object, datetime, float128, ...), truncated data, non-finite
/// value (names the element's row and column).
Table read_npy(const std::string& path);

/// Writes t as a NumPy .npy file (format version 1.0): dtype '<f8', or '<f4'
/// when float32 is true (values are rounded to the nearest float), C order,
/// shape (rows, cols). The header names are not stored (.npy has none).
/// Throws IoError if t is inconsistent (negative dims, data.size() != rows*cols),
/// holds a non-finite value, or the file cannot be created/written/renamed.
void write_npy(const std::string& path, const Table& t, bool float32 = false);

/// Reads comma-separated numbers, one event per line. Lines end in LF or CRLF;
/// a leading UTF-8 byte-order mark and blank (whitespace-only) lines are
/// ignored; spaces/tabs around a field are trimmed. The first non-blank line is
/// a header if any of its fields is non-empty and not a number, or is
/// double-quoted ("..." with "" for a quote; quotes may not span lines); its
/// names are stored in header. All lines (header included) must have the same
/// number of fields. Numbers use C syntax in the "C" locale (e.g. -1.5e-3, +2,
/// .5); hexadecimal is not accepted. A header with no data gives rows = 0.
/// Throws IoError: cannot open/read, empty file (no non-blank line), a line with
/// the wrong number of fields ("f.csv:12: expected 57 values, found 56"), an
/// empty, unparsable or non-finite value ("f.csv:3: column 2: unparsable
/// number 'abc'").
Table read_csv(const std::string& path);

/// Writes t as CSV: a header line when t.header is non-empty (a name is quoted
/// when it contains a comma, a quote, surrounding blanks, or looks like a
/// number, so that it reads back as a header), then one line per row, values
/// printed with "%.*g" at the given precision (17, the default, round-trips
/// every double exactly). Lines end in '\n'.
/// Throws IoError if t is inconsistent (negative dims, data.size() !=
/// rows*cols, header.size() not 0 or cols, a header name containing a line
/// break), if rows > 0 and cols == 0 (not representable), if a value is
/// non-finite, if precision is outside 1..17, or if the file cannot be
/// created/written/renamed.
void write_csv(const std::string& path, const Table& t, int precision = 17);

/// Reads path with read_npy or read_csv according to its extension (".npy" or
/// ".csv", case-insensitive). Throws IoError for any other extension, or as
/// the chosen reader does.
Table read_table(const std::string& path);

/// Writes t with write_npy (float64) or write_csv (precision 17) according to
/// the extension of path (".npy" or ".csv", case-insensitive). Throws IoError
/// for any other extension, or as the chosen writer does.
void write_table(const std::string& path, const Table& t);

namespace io_detail {
// Internal helpers shared by the .npy and .csv code (src/io/table.cpp); not
// part of the public API.

/// Whole content of path. Throws IoError "<path>: cannot open: <reason>",
/// "<path>: is a directory", "<path>: read error: <reason>".
std::string read_file_bytes(const std::string& path);

/// Replaces path by bytes as described in the file comment above (temporary
/// file + rename, or direct write for FIFOs/devices). Throws IoError naming
/// path and the failing step.
void write_file_replacing(const std::string& path, const std::string& bytes);

/// text shortened to at most max_len characters (with "..." when cut) and with
/// non-printable bytes shown as \xNN, for quoting in one-line messages.
std::string printable(const std::string& text, size_t max_len = 40);

/// Checks rows/cols/data.size() (and header.size() when check_header) and that
/// every value is finite; throws IoError "<path>: ..." otherwise.
void check_table(const std::string& path, const Table& t, bool check_header);
}  // namespace io_detail

}  // namespace nanogate
