// nanogate — files and shell commands of the RTL simulation harnesses
// (internal: shared by the Verilator and the GHDL harness).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace nanogate::rtl_detail {

/// Writes `text` to `path` (binary). Throws nanogate::Error when it cannot.
void write_file(const std::filesystem::path& path, const std::string& text);

/// The last `max_chars` characters of a file ("..." first when cut; "" when
/// the file cannot be read).
std::string read_tail(const std::filesystem::path& path, size_t max_chars);

/// `s` single-quoted for /bin/sh.
std::string sh_quote(const std::string& s);

/// Runs `cmd` with /bin/sh under a progress bar labelled `label`
/// (report::run_shell): with `lines_of`, the bar counts that file's lines
/// against `total` vectors. Returns its exit status (-1: could not run it,
/// 128 + N: killed by signal N).
int run_shell(const std::string& cmd, const std::string& label, const std::string& lines_of = "", int64_t total = 0);

/// Writes `script` to dir/name and makes it executable. Throws
/// nanogate::Error when it cannot be written.
void write_script(const std::filesystem::path& dir, const std::string& name, const std::string& script);

}  // namespace nanogate::rtl_detail
