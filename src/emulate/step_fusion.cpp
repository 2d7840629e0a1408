// nanogate — the layer emulator's fused Relu → Cast pairs (layer_steps.hpp).
#include "emulate/layer_steps.hpp"

namespace nanogate::emu {

void fuse_relu_casts(std::vector<Step>& steps, const std::vector<int>& outputs) {
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    Step &relu = steps[i], &cast = steps[i + 1];
    if (relu.kind != K::Relu || !relu.contiguous || cast.kind != K::Cast || !cast.contiguous ||
        cast.ops[0].buf != relu.out || !relu.to_result.identity_for_nonneg(relu.ops[0].type))
      continue;
    // The Relu's output must have no other reader: no other step, no graph output.
    bool other = false;
    for (size_t k = 0; k < steps.size() && !other; ++k)
      if (k != i + 1)
        for (const Operand& o : steps[k].ops) other = other || o.buf == relu.out;
    for (int b : outputs) other = other || b == relu.out;
    if (other) continue;
    relu.fused_away = true;
    cast.relu_src = relu.ops[0].buf;
  }
}

}  // namespace nanogate::emu
