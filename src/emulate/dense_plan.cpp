// nanogate — the layer emulator's choice of a Dense kernel (layer_steps.hpp).
#include <cmath>

#include "emulate/layer_steps.hpp"

namespace nanogate::emu {

void plan_dense(Step& s, DenseKernel requested) {
  const Fixed& tx = s.ops[0].type;
  const int fp = tx.frac_bits() + s.tw.frac_bits();
  const int d = fp - s.acc.frac_bits();
  // The sum's semantics: 1, exact products wrapped once (exact_acc); 2, each
  // product floored onto a TRN/WRAP accumulator, the wrap taken once at the
  // end (a wrap is modular: the same as wrapping every partial sum).
  int mode = 0;
  if (s.exact_acc) mode = 1;
  else if (s.acc.overflow == Overflow::WRAP && s.acc.rounding == Rounding::TRN && d > 0 && d < 60 &&
           s.tb.frac_bits() <= s.acc.frac_bits() + 60)
    mode = 2;
  s.dense_path = s.exact_acc ? "i64" : "i128";
  if (!mode) return;
  if (mode == 2)
    for (int64_t bv : s.b) s.b_acc.push_back(quantize(i128(bv), s.tb.frac_bits(), s.acc));
  const std::vector<int64_t>& bias = mode == 1 ? s.b_fp : s.b_acc;
  if (requested != DenseKernel::F64) {
    DenseKernel k = requested == DenseKernel::Auto ? best_int_kernel() : requested;
    if (plan_dense_int(k, tx.min_raw(), tx.max_raw(), s.w, s.n_in, s.n_out, bias, mode == 2 ? d : 0, s.dint)) {
      s.f64_mode = mode;
      s.int_lanes = true;
      s.dense_path = dense_kernel_name(k);
      // The sums lie in [-bound, bound]: when the accumulator holds that
      // range at their binary point, its cast (wrap) changes nothing.
      const CastPlan& into_acc = mode == 1 ? s.to_acc : s.acc_wrap;
      s.sum_in_acc = into_acc.identity_for(
          type_for_range(-i128(s.dint.bound), s.dint.bound, mode == 1 ? fp : s.acc.frac_bits()));
      return;
    }
  }
  // Doubles when the types' bounds keep every partial sum below 2^53.
  int lg = 1;
  while ((int64_t(1) << lg) < s.n_in + 1) ++lg;
  const int prod_bits = tx.width + s.tw.width;
  if (mode == 1 ? prod_bits + lg > 51 : prod_bits > 52 || prod_bits - d + lg > 51) return;
  s.f64_mode = mode;
  s.dense_path = "f64";
  s.ldw = (s.n_out + 7) / 8 * 8;
  s.wpad.assign(size_t(s.n_in * s.ldw), 0.0);
  for (int64_t i = 0; i < s.n_in; ++i)
    for (int64_t j = 0; j < s.n_out; ++j) {
      double wv = double(s.w[size_t(i * s.n_out + j)]);
      s.wpad[size_t(i * s.ldw + j)] = mode == 2 ? std::ldexp(wv, -d) : wv;
    }
}

}  // namespace nanogate::emu
