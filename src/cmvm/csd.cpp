// nanogate — canonical signed-digit recoding and plain-CSD baselines.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "nanogate/cmvm/cmvm.hpp"

namespace nanogate::cmvm {

std::vector<CsdDigit> csd_digits(int64_t w) {
  // Non-adjacent form (Reitwiesner): scan from the LSB; at an odd value pick
  // the digit d in {+1, -1} with (v - d) divisible by 4. 128-bit so that
  // INT64_MIN and carries beyond bit 63 are exact.
  std::vector<CsdDigit> out;
  i128 v = w;
  int pos = 0;
  while (v != 0) {
    if (v & 1) {
      const int d = ((v & 3) == 1) ? 1 : -1;
      out.push_back({pos, d});
      v -= d;
    }
    v >>= 1;  // v is even here: exact division by 2 (arithmetic shift)
    ++pos;
  }
  return out;
}

int csd_weight(int64_t w) { return static_cast<int>(csd_digits(w).size()); }

namespace {
void check_shape(const std::vector<int64_t>& W, int n_in, int n_out) {
  if (n_in < 0 || n_out < 0 || W.size() != static_cast<size_t>(n_in) * static_cast<size_t>(n_out))
    throw std::invalid_argument("cmvm: matrix has " + std::to_string(W.size()) + " entries, expected n_in * n_out = " +
                                std::to_string(n_in) + " * " + std::to_string(n_out));
}
int ceil_log2(int64_t n) {
  int d = 0;
  while ((static_cast<int64_t>(1) << d) < n) ++d;
  return d;
}
}  // namespace

int64_t plain_csd_adders(const std::vector<int64_t>& W, int n_in, int n_out) {
  check_shape(W, n_in, n_out);
  int64_t total = 0;
  for (int j = 0; j < n_out; ++j) {
    int64_t digits = 0;
    for (int i = 0; i < n_in; ++i) digits += csd_weight(W[static_cast<size_t>(i) * n_out + j]);
    if (digits > 1) total += digits - 1;
  }
  return total;
}

int minimal_csd_depth(const std::vector<int64_t>& W, int n_in, int n_out) {
  check_shape(W, n_in, n_out);
  int depth = 0;
  for (int j = 0; j < n_out; ++j) {
    int64_t digits = 0;
    for (int i = 0; i < n_in; ++i) digits += csd_weight(W[static_cast<size_t>(i) * n_out + j]);
    depth = std::max(depth, ceil_log2(digits));
  }
  return depth;
}

}  // namespace nanogate::cmvm
