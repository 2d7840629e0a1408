// nanogate — raw-code test vectors at the firmware input ports, shared by
// `verify` (Verilog), `csim` and the HLS testbench data.
#pragma once

#include <cstdint>
#include <vector>

#include "nanogate/emulate/emulator.hpp"

namespace nanogate {

/// One type per input element: each port's type repeated `size` times, ports in order.
std::vector<Fixed> element_types(const std::vector<FirmwarePort>& ports);

/// rows × types.size() raw codes (row-major). With `extremes`, the first five
/// rows are all-min, all-max, the two min/max alternations and zero (clamped
/// into range); every other row is uniform over each element's full code range
/// (std::mt19937_64 seeded with `seed`, so the same arguments give the same codes).
std::vector<int64_t> firmware_test_vectors(const std::vector<Fixed>& types, int64_t rows, uint64_t seed,
                                           bool extremes = true);

}  // namespace nanogate
