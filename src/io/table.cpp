// nanogate — event tables: format dispatch and the file helpers shared by the
// .npy and .csv readers/writers (whole-file read, replace-by-rename write).
#include "nanogate/io/table.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace nanogate {
namespace io_detail {

namespace {

std::string errno_text(int err) { return std::strerror(err); }

/// Closes an fd on scope exit unless released.
struct FdGuard {
  int fd = -1;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

/// Writes all of bytes to fd; returns 0 or an errno value.
int write_all(int fd, const std::string& bytes) {
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return 0;
}

/// The process umask, read without changing it (from /proc; 022 if unknown).
mode_t current_umask() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      try {
        return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
      } catch (...) {
        break;
      }
    }
  }
  return 022;
}

}  // namespace

std::string printable(const std::string& text, size_t max_len) {
  std::string out;
  bool cut = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max_len) {
      cut = true;
      break;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (cut) out += "...";
  return out;
}

std::string read_file_bytes(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoError(path + ": cannot open: " + errno_text(errno));
  FdGuard guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) throw IoError(path + ": is a directory");
  std::string bytes;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    bytes.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(path + ": read error: " + errno_text(errno));
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  return bytes;
}

void write_file_replacing(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  if (path.empty()) throw IoError("(empty path): cannot write: no output file name");
  // Follow a symbolic link so that its target is replaced, not the link.
  std::string target = path;
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    fs::path resolved = fs::weakly_canonical(path, ec);
    if (ec) throw IoError(path + ": cannot resolve symbolic link: " + ec.message());
    target = resolved.string();
  }

  struct stat st {};
  bool exists = ::stat(target.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) throw IoError(path + ": cannot write: is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    // FIFO, character device, socket...: no rename; write to it directly.
    int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(path + ": cannot open for writing: " + errno_text(errno));
    FdGuard guard{fd};
    if (int err = write_all(fd, bytes)) throw IoError(path + ": write error: " + errno_text(err));
    guard.fd = -1;
    if (::close(fd) != 0) throw IoError(path + ": write error: " + errno_text(errno));
    return;
  }

  // Regular file or new file: write a unique temporary next to it, then rename.
  std::string tmpl = target + ".tmp-XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) throw IoError(path + ": cannot create output file: " + errno_text(errno));
  std::string tmp(name.data());
  FdGuard guard{fd};
  auto fail = [&](const std::string& what, int err) {
    if (guard.fd >= 0) {
      ::close(guard.fd);
      guard.fd = -1;
    }
    ::unlink(tmp.c_str());
    throw IoError(path + ": " + what + ": " + errno_text(err));
  };
  // mkstemp creates 0600; give the file the mode it had, or the usual 0666 & ~umask.
  mode_t mode = exists ? (st.st_mode & 07777) : (0666 & ~current_umask());
  if (::fchmod(fd, mode) != 0) fail("cannot set permissions", errno);
  if (int err = write_all(fd, bytes)) fail("write error", err);
  guard.fd = -1;
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(path + ": write error: " + errno_text(err));
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw IoError(path + ": cannot replace output file: " + errno_text(err));
  }
}

void check_table(const std::string& path, const Table& t, bool check_header) {
  if (t.rows < 0 || t.cols < 0)
    throw IoError(path + ": invalid table: negative shape " + std::to_string(t.rows) + " x " +
                  std::to_string(t.cols));
  __int128 n = static_cast<__int128>(t.rows) * t.cols;
  if (n != static_cast<__int128>(t.data.size()))
    throw IoError(path + ": invalid table: " + std::to_string(t.rows) + " x " +
                  std::to_string(t.cols) + " needs " + std::to_string(static_cast<long long>(n)) +
                  " values, data has " + std::to_string(t.data.size()));
  if (check_header && !t.header.empty() && static_cast<int64_t>(t.header.size()) != t.cols)
    throw IoError(path + ": invalid table: header has " + std::to_string(t.header.size()) +
                  " names for " + std::to_string(t.cols) + " columns");
  for (size_t i = 0; i < t.data.size(); ++i) {
    if (!std::isfinite(t.data[i])) {
      int64_t r = t.cols ? static_cast<int64_t>(i) / t.cols : 0;
      int64_t c = t.cols ? static_cast<int64_t>(i) % t.cols : 0;
      throw IoError(path + ": cannot write non-finite value " +
                    (std::isnan(t.data[i]) ? std::string("nan")
                                           : std::string(t.data[i] > 0 ? "inf" : "-inf")) +
                    " at row " + std::to_string(r) + ", column " + std::to_string(c) +
                    " (0-based)");
    }
  }
}

}  // namespace io_detail

namespace {

enum class Format { Npy, Csv };

Format format_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".npy") return Format::Npy;
  if (ext == ".csv") return Format::Csv;
  throw IoError(path + ": unknown table format " +
                (ext.empty() ? std::string("(no extension)")
                             : "'" + io_detail::printable(ext) + "'") +
                "; expected .npy or .csv");
}

}  // namespace

Table read_table(const std::string& path) {
  return format_of(path) == Format::Npy ? read_npy(path) : read_csv(path);
}

void write_table(const std::string& path, const Table& t) {
  if (format_of(path) == Format::Npy)
    write_npy(path, t);
  else
    write_csv(path, t);
}

}  // namespace nanogate
