// nanogate — files and shell commands of the RTL simulation harnesses
// (internal: shared by the Verilator and the GHDL harness).
#pragma once

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

/// Runs `cmd` with /bin/sh; returns its exit status (-1: could not run it,
/// 128: killed by a signal).
int run_shell(const std::string& cmd);

/// Writes `script` to dir/name and makes it executable. Throws
/// nanogate::Error when it cannot be written.
void write_script(const std::filesystem::path& dir, const std::string& name, const std::string& script);

}  // namespace nanogate::rtl_detail
