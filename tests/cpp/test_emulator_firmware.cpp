// Emulator::run_firmware (raw codes at the firmware ports, what the RTL sees)
// agrees with Emulator::run (float inputs) on real models.
#include <gtest/gtest.h>

#include <random>

#include "nanogate/emulate/emulator.hpp"
#include "nanogate/error.hpp"
#include "nanogate/model.hpp"

using namespace nanogate;

TEST(EmulatorFirmware, QkerasRawCodesEqualFloatInputs) {
  Model m = compile_model(std::string(NANOGATE_MODELS_DIR) + "/jet/qkeras_jettagging.onnx");
  Emulator emu(m);
  auto ports = emu.firmware_inputs();
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0].tensor, "global_in");
  EXPECT_EQ(ports[0].type, (Fixed{true, 16, 6}));
  std::mt19937_64 rng(1);
  const int rows = 500;
  std::vector<int64_t> raw(rows * 16);
  std::vector<double> x(rows * 16);
  for (size_t i = 0; i < raw.size(); ++i) {
    raw[i] = int64_t(rng() % 65536) - 32768;
    x[i] = ports[0].type.value(raw[i]);
  }
  EmulatorResult a = emu.run(x.data(), rows), b = emu.run_firmware(raw.data(), rows);
  EXPECT_EQ(a.raw, b.raw);
  raw[7] = 40000;  // outside fixed<16,6>
  EXPECT_THROW(emu.run_firmware(raw.data(), rows), Error);
}

TEST(EmulatorFirmware, PreprocessedInputPortIsTheFirstQuant) {
  Model m = compile_model(std::string(NANOGATE_SOURCE_DIR) + "/examples/default/digits_qmlp.onnx");
  Emulator emu(m);
  auto ports = emu.firmware_inputs();
  ASSERT_EQ(ports.size(), 1u);
  EXPECT_EQ(ports[0].tensor, "Quant_0_out0");
  EXPECT_EQ(ports[0].type, (Fixed{false, 5, 5, Rounding::RND_CONV, Overflow::SAT}));
  std::vector<double> x(64 * 17);
  std::vector<int64_t> raw(64 * 17);
  for (int r = 0; r < 17; ++r)
    for (int i = 0; i < 64; ++i) x[r * 64 + i] = raw[r * 64 + i] = (r + i) % 17;  // pixels 0..16 are exact codes
  EmulatorResult a = emu.run(x.data(), 17), b = emu.run_firmware(raw.data(), 17);
  EXPECT_EQ(a.raw, b.raw);
}
