// nanogate fuzzing — Keras model files: a Keras 3 `.keras` zip or a Keras 2
// HDF5 (the kind is detected from the content, as the CLI does), written to a
// scratch file, read by load_model_file, then the whole pipeline on what parses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz_pipeline.hpp"
#include "nanogate/frontend/keras.hpp"

// The isolated HDF5 reader's limits (h5_isolated.cpp) below libFuzzer's own
// (-timeout, -malloc_limit_mb in scripts/fuzz.sh), so that a hostile file
// ends as the reader's one-line error, not as a libFuzzer timeout or OOM.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("NANOGATE_H5_TIMEOUT", "3", 0);
  setenv("NANOGATE_H5_MEMORY_MB", "900", 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanogate;
  const bool zip = size >= 2 && std::memcmp(data, "PK", 2) == 0;
  const std::string path = fuzz::scratch_file(data, size, zip ? "keras" : "h5");
  fuzz::guarded([&] { fuzz::run_graph(load_model_file(path)); });
  return 0;
}
