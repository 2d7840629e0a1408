// nanogate — raw-code test vectors at the firmware ports (test_vectors.hpp).
#include "nanogate/emulate/test_vectors.hpp"

#include <algorithm>
#include <random>

namespace nanogate {

std::vector<Fixed> element_types(const std::vector<FirmwarePort>& ports) {
  std::vector<Fixed> types;
  for (const auto& p : ports) types.insert(types.end(), size_t(p.size), p.type);
  return types;
}

std::vector<int64_t> firmware_test_vectors(const std::vector<Fixed>& types, int64_t rows, uint64_t seed,
                                           bool extremes) {
  const int64_t n = int64_t(types.size());
  std::vector<int64_t> x;
  x.reserve(size_t(rows * n));
  std::mt19937_64 rng(seed);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < n; ++k) {
      const Fixed& t = types[size_t(k)];
      const int64_t lo = t.min_raw(), hi = t.max_raw();
      int64_t c;
      switch (extremes ? r : 5) {
        case 0: c = lo; break;
        case 1: c = hi; break;
        case 2: c = k % 2 ? hi : lo; break;
        case 3: c = k % 2 ? lo : hi; break;
        case 4: c = std::clamp<int64_t>(0, lo, hi); break;
        default: {
          const uint64_t span = uint64_t(hi) - uint64_t(lo);
          const uint64_t u = span == ~uint64_t(0) ? rng() : rng() % (span + 1);
          c = int64_t(uint64_t(lo) + u);
        }
      }
      x.push_back(c);
    }
  return x;
}

}  // namespace nanogate
