// nanogate — the command line tool. Thin: parses arguments, calls the library.
// Each subcommand lives in its own cmd_*.cpp (see commands.hpp).
//
// Every error is one line on stderr naming the file, the node and the reason,
// with exit status 1; a usage error is one line too, with exit status 2
// (kUsageError); `nanogate --help` and `nanogate VERB --help` print the help
// on stdout and exit 0.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "commands.hpp"
#include "nanogate/error.hpp"
#include "nanogate/io/table.hpp"
#include "nanogate/progress.hpp"

namespace {
constexpr int kUsageError = 2;  // as getopt/argparse tools: bad arguments, nothing was read
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nanogate: quantized neural networks to bit-exact FPGA firmware"};
  app.require_subcommand(1);
  std::vector<nanogate::cli::Command> commands = {nanogate::cli::add_inspect(app), nanogate::cli::add_emulate(app),
                                                   nanogate::cli::add_synth(app),
                                                   nanogate::cli::add_csim(app), nanogate::cli::add_convert(app),
                                                   nanogate::cli::add_verify(app), nanogate::cli::add_profile(app),
                                                   nanogate::cli::add_rate(app), nanogate::cli::add_report(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {  // a usage error: one line, like every other error
    std::fprintf(stderr, "nanogate: error: %s (see nanogate --help)\n", nanogate::one_line(e.what()).c_str());
    return kUsageError;
  }
  // Progress bars (nanogate/progress.hpp): redrawn in place when stderr is a
  // terminal; NANOGATE_PROGRESS=1 prints them as lines (logs), =0 turns them off.
  const char* pe = std::getenv("NANOGATE_PROGRESS");
  const std::string progress = pe ? pe : "";
  if (progress == "1") nanogate::set_progress_output(stderr, false);
  else if (progress != "0" && ::isatty(STDERR_FILENO)) nanogate::set_progress_output(stderr, true);
  try {
    for (auto& c : commands)
      if (c.app->parsed()) return c.run();
  } catch (const std::exception& e) {
    // Bad input (model, config, data, type) is a one-line error; anything else is our bug.
    bool user = dynamic_cast<const nanogate::Error*>(&e) || dynamic_cast<const nanogate::IoError*>(&e) ||
                dynamic_cast<const nanogate::FixedTypeError*>(&e);
    std::fprintf(stderr, user ? "nanogate: error: %s\n" : "nanogate: internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
