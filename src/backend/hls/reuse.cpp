// nanogate HLS backend — valid reuse factors of the Resource strategy (hls.hpp).
#include <algorithm>

#include "nanogate/backend/hls.hpp"

namespace nanogate {

std::vector<int> valid_reuse_factors(int64_t n_in, int64_t n_out) {
  std::vector<int> v;
  int64_t total = n_in * n_out;
  for (int64_t r = 1; r <= total; ++r) {
    int64_t mult_factor = std::min(n_in, r);
    int64_t mult_limit = (total + mult_factor - 1) / mult_factor;
    bool ok = (mult_limit % n_out == 0) || r >= n_in;
    ok = ok && (r % n_in == 0 || r < n_in);
    ok = ok && total % r == 0;
    if (ok) v.push_back(int(r));
  }
  return v;
}

}  // namespace nanogate
