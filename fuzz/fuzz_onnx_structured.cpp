// nanogate fuzzing — ONNX models mutated structurally (onnx_mutator.hpp:
// attributes, dims, initializers, op types, wiring, opset), then the whole
// pipeline (fuzz_pipeline.hpp) on what parses.
#include <cstddef>
#include <cstdint>

#include "fuzz_pipeline.hpp"
#include "onnx_mutator.hpp"

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  return nanogate::fuzz::mutate_onnx(data, size, max_size, seed);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nanogate::fuzz::run_onnx(data, size);
  return 0;
}
