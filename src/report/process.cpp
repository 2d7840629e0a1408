// Subprocesses without a shell: posix_spawnp, output to a log, timeout kills
// the process group (see nanogate/report/process.hpp).
#include "nanogate/report/process.hpp"

#include "nanogate/progress.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace nanogate::report {

namespace {
bool is_executable(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}
}  // namespace

std::string find_program(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return is_executable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string cand = end > start ? p.substr(start, end - start) + "/" + name : "./" + name;  // "" = cwd
    if (is_executable(cand)) return cand;
    start = end + 1;
  }
  return "";
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts) {
  if (argv.empty()) throw std::runtime_error("run_process: empty command");
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  struct Cleanup {
    posix_spawn_file_actions_t* fa;
    posix_spawnattr_t* attr;
    ~Cleanup() {
      posix_spawn_file_actions_destroy(fa);
      posix_spawnattr_destroy(attr);
    }
  } cleanup{&fa, &attr};

  std::string log = opts.log_path.empty() ? std::string("/dev/null") : opts.log_path;
  // Check the log is writable here, so that the error names it (the child's
  // failure would only show as exit status 127).
  int probe = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (probe < 0) throw std::runtime_error("cannot write " + log + ": " + std::strerror(errno));
  ::close(probe);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  if (!opts.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: a timeout kills its children too

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, args.data(), environ);
  if (rc != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(rc));

  ProcessResult r;
  double next_beat = opts.heartbeat_s > 0 ? opts.heartbeat_s : -1;
  double kill_at = -1;  // when SIGKILL follows SIGTERM
  int status = 0;
  auto sleep_ms = std::chrono::milliseconds(5);
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    double t = elapsed();
    if (opts.timeout_s > 0 && t > opts.timeout_s && !r.timed_out) {
      r.timed_out = true;
      ::kill(-pid, SIGTERM);
      kill_at = t + 2.0;
    }
    if (kill_at > 0 && t > kill_at) {
      ::kill(-pid, SIGKILL);
      kill_at = -1;
    }
    if (next_beat > 0 && t >= next_beat) {
      if (opts.heartbeat) opts.heartbeat(t);
      next_beat += opts.heartbeat_s;
    }
    std::this_thread::sleep_for(sleep_ms);
    if (sleep_ms < std::chrono::milliseconds(100)) sleep_ms *= 2;  // quick tools return quickly
  }
  if (r.timed_out) ::kill(-pid, SIGKILL);  // leftovers of the group, if any
  r.elapsed_s = elapsed();
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

int run_shell(const std::string& cmd, const std::string& label, const std::string& lines_of, int64_t total,
              const std::string& unit) {
  Progress bar(label, lines_of.empty() ? 0 : total, unit);
  ProcessOptions po;
  po.heartbeat_s = Progress::enabled() ? 0.2 : 0;
  std::ifstream grow;  // lines_of, read as it grows
  int64_t lines = 0;
  char buf[1 << 14];
  po.heartbeat = [&](double) {
    if (lines_of.empty()) return bar.tick();
    if (!grow.is_open()) grow.open(lines_of, std::ios::binary);
    if (!grow.is_open()) return bar.tick();
    grow.clear();  // past EOF: read what was appended since
    while (grow.read(buf, sizeof buf) || grow.gcount() > 0) lines += std::count(buf, buf + grow.gcount(), '\n');
    bar.set(lines);
  };
  ProcessResult r;
  try {
    r = run_process({"/bin/sh", "-c", cmd}, po);
  } catch (const std::runtime_error&) {
    return -1;
  }
  return r.signal ? 128 + r.signal : r.exit_code;
}

}  // namespace nanogate::report
