// nanogate fuzzing — a structured mutator for ONNX models (Debian has no
// libprotobuf-mutator): parses a ModelProto and changes one thing a frontend
// must validate — an attribute, a dimension, an initializer's values or data
// type, an op type, a node's wiring, the opset — then serializes it again.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nanogate::fuzz {

/// Mutates the serialized ModelProto in data[0, size) in place (at most
/// max_size bytes) and returns the new size. Bytes that do not parse as a
/// ModelProto, and results larger than max_size, fall back to libFuzzer's
/// byte-level LLVMFuzzerMutate. Deterministic in `seed`. Never throws.
size_t mutate_onnx(uint8_t* data, size_t size, size_t max_size, unsigned seed);

}  // namespace nanogate::fuzz
