// nanogate fuzzing — ONNX model bytes: load_onnx_bytes, then the whole
// pipeline (fuzz_pipeline.hpp) on what parses.
#include <cstddef>
#include <cstdint>

#include "fuzz_pipeline.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nanogate::fuzz::run_onnx(data, size);
  return 0;
}
