// nanogate CLI — event tables and output files shared by the commands that run
// the emulator (emulate, profile, rate): commands.hpp.
#include <filesystem>
#include <fstream>

#include "commands.hpp"
#include "nanogate/error.hpp"

namespace nanogate::cli {

void check_output_file(const std::string& out, const std::vector<std::pair<const std::string*, const char*>>& sources,
                       bool force) {
  namespace fs = std::filesystem;
  if (out.empty() || !fs::exists(out)) return;
  std::error_code ec;
  for (auto [path, what] : sources)
    if (!path->empty() && fs::equivalent(out, *path, ec))
      throw Error(out, std::string("is also this command's ") + what +
                           " file; nanogate never writes over its inputs (choose another output)");
  if (!force) throw Error(out, "output file exists; pass --force to overwrite it");
}

Table read_events(const std::string& path, const Emulator& emu, const std::string& model, bool need_events) {
  Table x = read_table(path);
  if (x.cols != emu.input_size())
    throw Error(path, "has " + std::to_string(x.cols) + " values per event but the model '" + model + "' takes " +
                          std::to_string(emu.input_size()));
  if (x.rows < 1 && need_events) throw Error(path, "has no events");
  return x;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw Error(path, "cannot write this file");
}

}  // namespace nanogate::cli
