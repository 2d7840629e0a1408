// nanogate — profiling internals shared by src/analysis/profile*.cpp.
#pragma once

#include <vector>

#include "nanogate/analysis/profile.hpp"

namespace nanogate::profiling {

/// The per-tensor statistics and suggested types of profile_model (no
/// suggested configuration, no effect): profile.cpp. `margin`: integer bits
/// added to the suggestion.
std::vector<TensorProfile> profile_tensors(const Model& m, const double* x, int64_t rows, int margin);

}  // namespace nanogate::profiling
