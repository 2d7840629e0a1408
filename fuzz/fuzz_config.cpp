// nanogate fuzzing — precision configurations (hls4ml-style JSON or YAML):
// parse_config, then the whole pipeline of a base model under that
// configuration. Input layout: byte 0 bit 0 = YAML (else JSON), bit 1 = the
// float jet model (else the quantized default digits model); the rest is the
// configuration text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_pipeline.hpp"
#include "nanogate/frontend/onnx.hpp"

namespace {

const nanogate::Graph& base_model(bool jet) {
  static const nanogate::Graph digits =
      nanogate::load_onnx(nanogate::fuzz::source_dir() + "/examples/default/digits_qmlp.onnx");
  static const nanogate::Graph jet_model =
      nanogate::load_onnx(nanogate::fuzz::source_dir() + "/../shared/models/jet/three_layer_keras.onnx");
  return jet ? jet_model : digits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanogate;
  if (size == 0) return 0;
  const bool yaml = data[0] & 1, jet = data[0] & 2;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  fuzz::guarded([&] {
    Config cfg = parse_config(text, yaml ? "fuzz.yaml" : "fuzz.json", yaml);
    fuzz::run_graph(base_model(jet), cfg);
  });
  return 0;
}
