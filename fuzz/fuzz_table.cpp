// nanogate fuzzing — event tables: byte 0 bit 0 selects .npy (else .csv), the
// rest is the file. Reads it; a table that reads is written back and must read
// back identical; a table of 1..64 events of 64 values runs through both
// emulators of the default digits model.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_pipeline.hpp"
#include "nanogate/emulate/emulator.hpp"
#include "nanogate/io/table.hpp"
#include "nanogate/model.hpp"

namespace {

const nanogate::Model& digits() {
  static const nanogate::Model m =
      nanogate::compile_model(nanogate::fuzz::source_dir() + "/examples/default/digits_qmlp.onnx");
  return m;
}

void emulate(const nanogate::Table& t) {
  for (bool float_mode : {false, true}) {
    nanogate::Emulator emu(digits(), float_mode);
    emu.set_threads(1);
    if (t.rows < 1 || t.rows > 64 || t.cols != emu.input_size()) return;
    nanogate::fuzz::guarded([&] { (void)emu.run(t.data.data(), t.rows); });
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nanogate;
  if (size == 0) return 0;
  const bool npy = data[0] & 1;
  const std::string path = fuzz::scratch_file(data + 1, size - 1, npy ? "npy" : "csv");
  fuzz::guarded([&] {
    Table t = npy ? read_npy(path) : read_csv(path);
    if (int64_t(t.data.size()) != t.rows * t.cols) fuzz::finding("table data size != rows * cols");
    const std::string back = path + (npy ? ".back.npy" : ".back.csv");
    if (npy) write_npy(back, t);
    else write_csv(back, t);
    Table u = npy ? read_npy(back) : read_csv(back);
    if (u.rows != t.rows || u.cols != t.cols || u.data != t.data || u.header != t.header)
      fuzz::finding("a table does not read back as written");
    emulate(t);
  });
  return 0;
}
