// nanogate — Keras files read in a forked child process with limits
// (keras::read_model, keras_file.hpp), because Debian's libhdf5 1.10 can
// loop, crash or leak inside its global-heap code on a corrupt file
// (fuzz/README.md). The child runs read_model_in_process (every libhdf5
// call, the .keras zip and the JSON), serializes the Model or the Error over
// a pipe and leaves with _exit; the parent waits on the pipe with poll and a
// wall-clock deadline.
//
// Limits (documented in README.md, "Keras files"):
//   NANOGATE_H5_TIMEOUT    seconds of wall clock and of CPU (default 10);
//   NANOGATE_H5_MEMORY_MB  address space the child may add to the parent's
//                          (default 2048; relative, so that it also holds
//                          under ASan's shadow mappings and in a Python
//                          process that has mapped many GB already).
//
// fork() without exec: the child runs ordinary (not async-signal-safe) code.
// That is sound under these assumptions: the parent never calls libhdf5
// itself (only this child does, so no HDF5 lock or state is copied in a
// half-updated form); glibc's malloc and stdio are made consistent in the
// child by glibc's own fork handlers; no nanogate emulator / CMVM worker
// threads run during a frontend load (the Python binding loads models on the
// calling thread; other Python threads may run but the child touches no
// Python object, no GIL and no lock they own).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>

#include "frontend/keras/keras_file.hpp"
#include "nanogate/error.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define NANOGATE_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NANOGATE_SANITIZED 1
#endif
#ifdef NANOGATE_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

namespace nanogate::keras {

namespace {

// ---- a length-prefixed byte encoding of Model (the child writes, the parent reads)

struct Writer {
  std::string out;
  void u64(uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& s) {
    u64(s.size());
    out += s;
  }
  void ints(const std::vector<int64_t>& v) {
    u64(v.size());
    out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(int64_t));
  }
  void refs(const std::vector<TensorRef>& v) {
    u64(v.size());
    for (auto& [layer, node, tensor] : v) {
      str(layer);
      u64(uint64_t(int64_t(node)));
      u64(uint64_t(int64_t(tensor)));
    }
  }
  void datasets(const std::vector<h5::Dataset>& v) {
    u64(v.size());
    for (auto& [shape, values, integer] : v) {
      ints(shape);
      u64(integer);
      u64(values.size());
      out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
    }
  }
};

struct Reader {
  const std::string& in;
  size_t pos = 0;
  void need(uint64_t n) const {
    if (n > in.size() - pos) throw std::runtime_error("truncated message from the HDF5 reader process");
  }
  uint64_t u64() {
    need(8);
    uint64_t v;
    std::memcpy(&v, in.data() + pos, 8);
    pos += 8;
    return v;
  }
  std::string str() {
    uint64_t n = u64();
    need(n);
    std::string s = in.substr(pos, n);
    pos += n;
    return s;
  }
  template <class T>
  std::vector<T> raw(uint64_t n) {
    need(n > in.size() / sizeof(T) ? in.size() + 1 : n * sizeof(T));
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), in.data() + pos, n * sizeof(T));
    pos += n * sizeof(T);
    return v;
  }
  std::vector<int64_t> ints() { return raw<int64_t>(u64()); }
  std::vector<TensorRef> refs() {
    std::vector<TensorRef> v(raw_count());
    for (auto& [layer, node, tensor] : v) {
      layer = str();
      node = int(int64_t(u64()));
      tensor = int(int64_t(u64()));
    }
    return v;
  }
  std::vector<h5::Dataset> datasets() {
    std::vector<h5::Dataset> v(raw_count());
    for (auto& [shape, values, integer] : v) {  // in Writer::datasets' order
      shape = ints();
      integer = u64() != 0;
      values = raw<double>(u64());
    }
    return v;
  }
  /// An element count, bounded by the bytes left (each element takes >= 8).
  uint64_t raw_count() {
    uint64_t n = u64();
    need(n > in.size() / 8 ? in.size() + 1 : n * 8);
    return n;
  }
};

// encode and decode name every field through a structured binding, which
// must list all of a struct's members: a field added to Model, Layer,
// TensorRef or h5::Dataset stops this file compiling until it crosses the
// pipe too (and tests/cpp/test_h5_roundtrip.cpp compares the child's Model
// with an in-process read of every real Keras model, field by field).

std::string encode(const Model& m) {
  const auto& [source, class_name, keras_major, layers, inputs, outputs, sequential_input_shape] = m;
  Writer w;
  w.str(source);
  w.str(class_name);
  w.u64(uint64_t(int64_t(keras_major)));
  w.refs(inputs);
  w.refs(outputs);
  w.ints(sequential_input_shape);
  w.u64(layers.size());
  for (const Layer& l : layers) {
    const auto& [name, lclass, module, config, calls, weights, weight_names, sub_weights] = l;
    w.str(name);
    w.str(lclass);
    w.str(module);
    w.str(config.dump());
    w.u64(calls.size());
    for (auto& c : calls) w.refs(c);
    w.datasets(weights);
    w.u64(weight_names.size());
    for (auto& n : weight_names) w.str(n);
    w.u64(sub_weights.size());
    for (auto& [path, vs] : sub_weights) {
      w.str(path);
      w.datasets(vs);
    }
  }
  return w.out;
}

Model decode(Reader& r) {
  Model m;
  auto& [source, class_name, keras_major, layers, inputs, outputs, sequential_input_shape] = m;
  source = r.str();
  class_name = r.str();
  keras_major = int(int64_t(r.u64()));
  inputs = r.refs();
  outputs = r.refs();
  sequential_input_shape = r.ints();
  layers.resize(r.raw_count());
  for (Layer& l : layers) {
    auto& [name, lclass, module, config, calls, weights, weight_names, sub_weights] = l;
    name = r.str();
    lclass = r.str();
    module = r.str();
    config = nlohmann::json::parse(r.str());
    calls.resize(r.raw_count());
    for (auto& c : calls) c = r.refs();
    weights = r.datasets();
    weight_names.resize(r.raw_count());
    for (auto& n : weight_names) n = r.str();
    sub_weights.resize(r.raw_count());
    for (auto& [path, vs] : sub_weights) {
      path = r.str();
      vs = r.datasets();
    }
  }
  return m;
}

// ---- the child

enum Status : uint64_t { kModel = 0, kError = 1, kOther = 2, kNoMemory = 3 };

/// Virtual memory the process has mapped now, in bytes (/proc/self/statm).
uint64_t mapped_bytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t pages = 0;
  f >> pages;
  return pages * uint64_t(::sysconf(_SC_PAGESIZE));
}

[[noreturn]] void child(int fd, const std::string& path, const std::string& weights, uint64_t seconds, uint64_t memory) {
#ifdef NANOGATE_SANITIZED
  // A sanitizer report in the child (libhdf5's memcpy on a corrupt heap) is
  // printed and ends the child, which the parent reports as one line; the
  // death callback libFuzzer installs would record it as the parent's crash.
  __sanitizer_set_death_callback(nullptr);
#endif
  rlimit cpu{rlim_t(seconds), rlim_t(seconds + 1)};
  ::setrlimit(RLIMIT_CPU, &cpu);
  rlimit as{rlim_t(mapped_bytes() + memory), rlim_t(mapped_bytes() + memory)};
  ::setrlimit(RLIMIT_AS, &as);
  Writer w;
  try {
    try {
      Model m = read_model_in_process(path, weights);
      w.u64(kModel);
      w.out += encode(m);
    } catch (const Error& e) {
      w.out.clear();
      w.u64(kError);
      for (auto* s : {&e.file(), &e.node(), &e.op(), &e.reason()}) w.str(*s);
    }
  } catch (const std::bad_alloc&) {
    w.out.clear();
    w.out.shrink_to_fit();
    w.u64(kNoMemory);
  } catch (const std::exception& e) {
    w.out.clear();
    w.u64(kOther);
    w.str(e.what());
  } catch (...) {
    ::_exit(4);
  }
  const char* p = w.out.data();
  size_t left = w.out.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(3);
    p += n;
    left -= size_t(n);
  }
  ::_exit(0);  // no atexit handlers, no stdio flush of the parent's buffers, no leak check
}

uint64_t env_limit(const char* name, uint64_t fallback, const std::string& path) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  unsigned long long x = std::strtoull(v, &end, 10);
  if (*end != '\0' || x == 0 || x > (1ull << 40))
    throw Error(path, std::string(name) + "='" + v + "' is not a positive integer");
  return x;
}

/// ": <the child's first error line>" (a sanitizer's ERROR line first), at
/// most 160 characters, or "" when it said nothing.
std::string first_message(const std::string& err) {
  std::string pick;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of("= \t") == std::string::npos) continue;
    if (pick.empty()) pick = line;
    if (line.find("ERROR:") != std::string::npos) {
      pick = line;
      break;
    }
  }
  if (pick.empty()) return "";
  if (pick.size() > 160) pick = pick.substr(0, 157) + "...";
  return ": " + pick;
}

std::string signal_name(int sig) {
  const char* a = ::sigabbrev_np(sig);
  return a ? std::string("SIG") + a : "signal " + std::to_string(sig);
}

}  // namespace

Model read_model(const std::string& path, const std::string& weights) {
  const uint64_t seconds = env_limit("NANOGATE_H5_TIMEOUT", 10, path);
  const uint64_t memory_mb = env_limit("NANOGATE_H5_MEMORY_MB", 2048, path);
  int fds[2], err[2];  // the Model; the child's stderr (libhdf5 and sanitizer messages), kept out of the terminal
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(path, std::string("cannot create a pipe: ") + std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw Error(path, std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {fds[0], fds[1], err[0], err[1]}) ::close(fd);
    throw Error(path, std::string("cannot fork the HDF5 reader: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::close(err[0]);
    ::dup2(err[1], 2);
    child(fds[1], path, weights, seconds, memory_mb << 20);
  }
  ::close(fds[1]);
  ::close(err[1]);
  std::string msg, child_err;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  char buf[1 << 16];
  pollfd p[2] = {{fds[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  while (p[0].fd >= 0 || p[1].fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int r = ::poll(p, 2, int(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;  // the deadline check above ends the loop
    for (int k = 0; k < 2; ++k) {
      if (p[k].fd < 0 || !(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(p[k].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // EOF: the child has exited (or closed the pipe)
        ::close(p[k].fd);
        p[k].fd = -1;
      } else if (k == 0) {
        msg.append(buf, size_t(n));
      } else if (child_err.size() < (1u << 16)) {
        child_err.append(buf, size_t(n));
      }
    }
  }
  for (auto& q : p)
    if (q.fd >= 0) ::close(q.fd);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  auto failed = [&](const std::string& why) {
    return Error(path, "HDF5 reader failed: " + why + first_message(child_err) + " (corrupt or hostile file?)");
  };
  if (timed_out) throw failed("timeout after " + std::to_string(seconds) + " s (NANOGATE_H5_TIMEOUT)");
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGXCPU) throw failed("CPU time limit of " + std::to_string(seconds) + " s exceeded (NANOGATE_H5_TIMEOUT)");
    throw failed("killed by " + signal_name(sig));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || msg.size() < 8)
    throw failed("exited with status " + std::to_string(WEXITSTATUS(status)));
  Reader r{msg};
  switch (r.u64()) {
    case kModel:
      return decode(r);
    case kError: {
      std::string file = r.str(), node = r.str(), op = r.str(), reason = r.str();
      throw Error(file, node, op, reason);
    }
    case kNoMemory:
      throw failed("memory limit of " + std::to_string(memory_mb) + " MB exceeded (NANOGATE_H5_MEMORY_MB)");
    default:
      throw std::runtime_error(r.str());
  }
}

}  // namespace nanogate::keras
