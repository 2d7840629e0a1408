// nanogate — files and shell commands of the RTL simulation harnesses (shell.hpp).
#include "shell.hpp"

#include <fstream>
#include <sstream>

#include "nanogate/error.hpp"
#include "nanogate/report/process.hpp"

namespace nanogate::rtl_detail {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) throw Error(path.string(), "cannot write the file");
}

std::string read_tail(const std::filesystem::path& path, size_t max_chars) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_chars) s = "..." + s.substr(s.size() - max_chars);
  return s;
}

std::string sh_quote(const std::string& s) {
  std::string r = "'";
  for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return r + "'";
}

int run_shell(const std::string& cmd, const std::string& label, const std::string& lines_of, int64_t total) {
  return report::run_shell(cmd, label, lines_of, total, "vectors");
}

void write_script(const std::filesystem::path& dir, const std::string& name, const std::string& script) {
  namespace fs = std::filesystem;
  const fs::path p = dir / name;
  write_file(p, script);
  std::error_code ec;
  fs::permissions(p, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add, ec);
}

}  // namespace nanogate::rtl_detail
