// nanogate — progress bars (see nanogate/progress.hpp).
#include "nanogate/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace nanogate {

namespace {

std::FILE* g_out = nullptr;
bool g_terminal = false;
std::mutex g_draw_mu;  // one bar line at a time

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// 10000 -> "10,000".
std::string grouped(int64_t v) {
  std::string s = std::to_string(v < 0 ? -v : v), r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i && (s.size() - i) % 3 == 0) r += ',';
    r += s[i];
  }
  return v < 0 ? "-" + r : r;
}

/// Seconds as "0:03", "12:45" or "1:02:03".
std::string clock_time(double s) {
  int64_t t = int64_t(std::llround(std::max(0.0, std::min(s, 359999.0))));
  char b[32];
  if (t >= 3600)
    std::snprintf(b, sizeof b, "%lld:%02lld:%02lld", (long long)(t / 3600), (long long)(t / 60 % 60), (long long)(t % 60));
  else
    std::snprintf(b, sizeof b, "%lld:%02lld", (long long)(t / 60), (long long)(t % 60));
  return b;
}

/// Units per second as "850/s", "12.3 k/s", "4.56 M/s".
std::string rate_text(double r) {
  char b[32];
  if (r >= 1e6) std::snprintf(b, sizeof b, "%.3g M/s", r / 1e6);
  else if (r >= 1e3) std::snprintf(b, sizeof b, "%.3g k/s", r / 1e3);
  else std::snprintf(b, sizeof b, "%.3g/s", r);
  return b;
}

}  // namespace

void set_progress_output(std::FILE* out, bool terminal) {
  g_out = out;
  g_terminal = terminal;
}

bool Progress::enabled() { return g_out != nullptr; }

std::string render_progress(const std::string& label, const std::string& unit, int64_t done, int64_t total,
                            double elapsed_s, int width) {
  std::string s = label + "  ";
  if (total <= 0) {
    if (done > 0) s += grouped(done) + (unit.empty() ? "" : " " + unit) + "  ";
    return s + clock_time(elapsed_s);
  }
  done = std::clamp<int64_t>(done, 0, total);
  const double f = double(done) / double(total);
  const int fill = int(f * width);
  s += grouped(done) + "/" + grouped(total) + (unit.empty() ? "" : " " + unit) + " [" + std::string(size_t(fill), '#') +
       std::string(size_t(width - fill), '.') + "] ";
  char pct[8];
  std::snprintf(pct, sizeof pct, "%3d%%", int(f * 100));
  s += pct;
  if (elapsed_s > 0 && done > 0) {
    const double rate = double(done) / elapsed_s;
    s += "  " + rate_text(rate);
    s += done < total ? "  ETA " + clock_time(double(total - done) / rate) : "  " + clock_time(elapsed_s);
  }
  return s;
}

Progress::Progress(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total), t0_(now_s()) {}

Progress::~Progress() {
  if (!g_out || !drawn_) return;
  if (g_terminal) {
    std::lock_guard<std::mutex> g(g_draw_mu);
    std::fputs("\r\033[K", g_out);  // erase: what follows starts on a clean line
    std::fflush(g_out);
  } else {
    draw(true);
  }
}

void Progress::add(int64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  draw(false);
}

void Progress::set(int64_t done) {
  int64_t cur = done_.load(std::memory_order_relaxed);
  while (done > cur && !done_.compare_exchange_weak(cur, done, std::memory_order_relaxed)) {
  }
  draw(false);
}

void Progress::draw(bool final) {
  if (!g_out) return;
  std::unique_lock<std::mutex> lk(mu_, std::try_to_lock);  // a busy worker skips a redraw
  if (!lk.owns_lock()) return;
  const double t = now_s() - t0_;
  if (!final) {
    if (t < 0.5) return;  // quick steps stay silent
    if (last_draw_ >= 0 && t - last_draw_ < (g_terminal ? 0.1 : 5.0)) return;
  }
  last_draw_ = t;
  drawn_ = true;
  const std::string line = render_progress(label_, unit_, done_.load(std::memory_order_relaxed), total_, t);
  std::lock_guard<std::mutex> g(g_draw_mu);
  if (g_terminal) std::fprintf(g_out, "\r\033[K%s", line.c_str());
  else std::fprintf(g_out, "nanogate: progress: %s\n", line.c_str());
  std::fflush(g_out);
}

}  // namespace nanogate
