// nanogate fuzzing — Keras model files: a Keras 3 `.keras` zip or a Keras 2
// HDF5 (the kind is detected from the content, as the CLI does), written to a
// scratch file, read by load_model_file, then the whole pipeline on what parses.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz_pipeline.hpp"
#include "nanogate/frontend/keras.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanogate;
  const bool zip = size >= 2 && std::memcmp(data, "PK", 2) == 0;
  const std::string path = fuzz::scratch_file(data, size, zip ? "keras" : "h5");
  fuzz::guarded([&] { fuzz::run_graph(load_model_file(path)); });
  return 0;
}
