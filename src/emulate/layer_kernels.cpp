// nanogate — the layer emulator's kernels, one per step kind (layer_steps.hpp).
#include <algorithm>
#include <cmath>

#include "emulate/dense_int_kernels.hpp"
#include "emulate/dense_kernels.hpp"
#include "emulate/float_ops.hpp"
#include "emulate/layer_steps.hpp"
#include "nanogate/error.hpp"

namespace nanogate::emu {

void run_step(const Step& s, const std::vector<Buffer>& bufs, Work& w, int64_t rows, const double* x,
              int64_t x_stride, const std::string& source, bool trace) {
  if (s.fused_away && !trace) return;  // the next step (a Cast) applies the Relu
  int64_t osz = bufs[s.out].size;
  int64_t* odata = w.data[s.out].data();
  const Fixed& R = s.result;
  auto in_of = [&](const Operand& o, int64_t r, int64_t i) -> int64_t {
    return o.buf < 0 ? o.konst[o.map[i]] : w.data[o.buf][r * bufs[o.buf].size + o.map[i]];
  };
  if (s.kind == K::Dense) {
    const Operand& xo = s.ops[0];
    const Buffer& xb = bufs[xo.buf];
    const int64_t* xdata = w.data[xo.buf].data();
    int fp = xo.type.frac_bits() + s.tw.frac_bits(), fa = s.acc.frac_bits(), fb = s.tb.frac_bits();
    if (s.f64_mode) {
      // The input rows are contiguous (xb.size == outer * n_in): m rows of n_in.
      int64_t m = rows * s.outer, nx = rows * xb.size;
      if (s.int_lanes) {
        dense_int_run(s.dint, xdata, m, odata);  // bias included
      } else {
        if (int64_t(w.xd.size()) < nx) w.xd.resize(size_t(nx));
        if (int64_t(w.cd.size()) < m * s.ldw) w.cd.resize(size_t(m * s.ldw));
        double* xd = w.xd.data();
        double* cd = w.cd.data();
        codes_to_f64(xdata, xd, nx);
        dense_f64_padded(xd, m, s.n_in, s.wpad.data(), s.ldw, cd, s.f64_mode == 2);
        f64_to_codes(cd, m, s.ldw, s.n_out, s.f64_mode == 1 ? s.b_fp.data() : s.b_acc.data(), odata);
      }
      int64_t n = m * s.n_out;  // == rows * osz
      if (!s.sum_in_acc) (s.f64_mode == 1 ? s.to_acc : s.acc_wrap).apply(odata, odata, n);
      if (!s.acc_to_result_id) s.acc_to_result.apply(odata, odata, n);
      return;
    }
    w.acc.resize(size_t(s.n_out));
    w.acc64.resize(size_t(s.n_out));
    i128* acc = w.acc.data();
    int64_t* acc64 = w.acc64.data();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < s.outer; ++o) {
        const int64_t* xr = &xdata[r * xb.size + o * s.n_in];
        int64_t* yr = &odata[r * osz + o * s.n_out];
        if (s.exact_acc) {
          // exact sum at frac fp, bias shifted onto the accumulator's binary point
          std::fill(acc64, acc64 + s.n_out, 0);
          for (int64_t i = 0; i < s.n_in; ++i) {
            int64_t xv = xr[i];
            if (!xv) continue;
            const int64_t* wr = &s.w[i * s.n_out];
            for (int64_t j = 0; j < s.n_out; ++j) acc64[j] += xv * wr[j];
          }
          for (int64_t j = 0; j < s.n_out; ++j) yr[j] = s.acc_to_result(s.to_acc(acc64[j] + s.b_fp[j]));
        } else {
          for (int64_t j = 0; j < s.n_out; ++j) acc[j] = q(s.b[j], fb, s.acc);
          bool wrap = s.acc.overflow == Overflow::WRAP;
          for (int64_t i = 0; i < s.n_in; ++i) {
            int64_t xv = xr[i];
            if (!xv) continue;
            const int64_t* wr = &s.w[i * s.n_out];
            for (int64_t j = 0; j < s.n_out; ++j) {
              int64_t m = q(i128(xv) * wr[j], fp, s.acc);
              acc[j] = wrap ? acc[j] + m : q(acc[j] + m, fa, s.acc);
            }
          }
          for (int64_t j = 0; j < s.n_out; ++j) {
            int64_t av = q(acc[j], fa, s.acc);
            yr[j] = q(av, fa, R);
          }
        }
      }
    return;
  }
  if (s.kind == K::Add || s.kind == K::Sub || s.kind == K::Mul) {
    const Operand &a = s.ops[0], &b = s.ops[1];
    int fa = a.type.frac_bits(), fb = b.type.frac_bits(), f = std::max(fa, fb);
    bool mul = s.kind == K::Mul, add = s.kind == K::Add;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < osz; ++i) {
        int64_t u = in_of(a, r, i), v = in_of(b, r, i), y;
        if (s.small) {
          int64_t z = mul ? u * v : (add ? (u << (f - fa)) + (v << (f - fb)) : (u << (f - fa)) - (v << (f - fb)));
          y = s.to_result(z);
        } else if (mul) {
          y = q(i128(u) * v, fa + fb, R);
        } else {
          i128 uu = i128(u) << (f - fa), vv = i128(v) << (f - fb);
          y = q(add ? uu + vv : uu - vv, f, R);
        }
        odata[r * osz + i] = y;
      }
    return;
  }
  if (s.kind == K::Relu || s.kind == K::Cast || s.kind == K::LeakyRelu || s.kind == K::BipolarQuant) {
    const Operand& a = s.ops[0];
    int fa = a.type.frac_bits();
    if (s.contiguous) {  // contiguous fast paths
      const int64_t* src = w.data[a.buf].data();
      int64_t n = rows * osz;
      if (s.kind == K::Relu) s.to_result.apply_relu(src, odata, n);
      else if (s.kind == K::Cast && s.relu_src >= 0 && !trace) s.to_result.apply_relu(w.data[s.relu_src].data(), odata, n);
      else if (s.kind == K::Cast) s.to_result.apply(src, odata, n);
      else
        for (int64_t i = 0; i < n; ++i) odata[i] = src[i] >= 0 ? 1 : -1;
      return;
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < osz; ++i) {
        int64_t v = in_of(a, r, i), y;
        if (s.kind == K::Relu) y = v > 0 ? s.to_result(v) : 0;
        else if (s.kind == K::Cast) y = s.to_result(v);
        else if (s.kind == K::BipolarQuant) y = v >= 0 ? 1 : -1;
        else y = v >= 0 ? q(v, fa, R) : q(i128(v) * s.alpha, fa + s.tw.frac_bits(), R);
        odata[r * osz + i] = y;
      }
    return;
  }
  if (s.kind == K::Sigmoid || s.kind == K::Softmax) {
    const Operand& a = s.ops[0];
    const Fixed& ta = a.type;
    const ToValue val(ta);
    if (s.kind == K::Sigmoid) {
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t i = 0; i < osz; ++i)
          odata[r * osz + i] = s.result_dc(1.0 / (1.0 + std::exp(-val(in_of(a, r, i)))));
      return;
    }
    if (s.sm_fast && s.contiguous) {
      // eval_float's Softmax, same operations in the same order, without allocations:
      // max, then sum of exp(a - max) in order, then exp(a - max) / sum.
      const int64_t* src = w.data[a.buf].data();
      const int64_t len = s.sm_len, inner = s.sm_inner;
      // inner == 1: every row's quotients kept, then cast in one batch (value
      // by value off DoubleCast's fast path)
      const bool batch = inner == 1;
      const int64_t need = osz + (batch ? rows * osz : osz);
      if (int64_t(w.sm.size()) < need) w.sm.resize(size_t(need));
      double* av = w.sm.data();
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t i = 0; i < osz; ++i) av[i] = val(src[r * osz + i]);
        double* ev = av + osz + (batch ? r * osz : 0);
        int64_t* yr = odata + r * osz;
        for (int64_t o_ = 0; o_ < s.sm_outer; ++o_)
          for (int64_t i = 0; i < inner; ++i) {
            double mx = -INFINITY, sum = 0;
            for (int64_t k = 0; k < len; ++k) mx = std::max(mx, av[(o_ * len + k) * inner + i]);
            for (int64_t k = 0; k < len; ++k) {
              int64_t idx = (o_ * len + k) * inner + i;
              ev[idx] = std::exp(av[idx] - mx);
              sum += ev[idx];
            }
            for (int64_t k = 0; k < len; ++k) {
              int64_t idx = (o_ * len + k) * inner + i;
              if (batch) ev[idx] = ev[idx] / sum;
              else yr[idx] = s.result_dc(ev[idx] / sum);
            }
          }
      }
      if (batch) {
        const double* quot = av + osz;
        if (!s.result_dc.apply_fast(quot, odata, rows * osz))
          for (int64_t k = 0; k < rows * osz; ++k) odata[k] = s.result_dc(quot[k]);
      }
      return;
    }
    FArray fa{s.shape, std::vector<double>(size_t(osz))};
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < osz; ++i) fa.v[i] = ta.value(in_of(a, r, i));
      FArray y = eval_float(s.node, {FArg{&fa, true}}, source)[0];
      for (int64_t i = 0; i < osz; ++i) odata[r * osz + i] = quantize(y.v[i], R);
    }
    return;
  }
  if (s.kind == K::BatchNorm) {
    const Operand& a = s.ops[0];
    int fx = a.type.frac_bits(), fs = s.tw.frac_bits(), fo = s.tb.frac_bits();
    int f = std::max(fx + fs, fo);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < osz; ++i) {
        int64_t c = s.chan[i];
        i128 v = (i128(in_of(a, r, i)) * s.scale[c] << (f - fx - fs)) + (i128(s.offset[c]) << (f - fo));
        odata[r * osz + i] = q(v, f, R);
      }
    return;
  }
  if (s.kind == K::Threshold) {
    const Operand& a = s.ops[0];
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < osz; ++i) {
        int64_t v = in_of(a, r, i), c = s.chan[i], y = 0;
        const std::vector<int64_t>& th = s.thr[c];
        if (s.thr_dir[c] > 0)
          for (int64_t t : th) y += v >= t;
        else
          for (int64_t t : th) y += v <= t;
        odata[r * osz + i] = s.thr_base + s.thr_step * y;
      }
    return;
  }
  if (s.kind == K::ReduceSum) {
    const Operand& a = s.ops[0];
    const Buffer& ab = bufs[a.buf];
    const int64_t* adata = w.data[a.buf].data();
    int fa = s.acc.frac_bits();
    bool wrap = s.acc.overflow == Overflow::WRAP;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < osz; ++o) {
        i128 acc = 0;
        for (int64_t k = s.group_start[o]; k < s.group_start[o + 1]; ++k) {
          int64_t term = s.to_acc(adata[r * ab.size + s.map[k]]);
          acc = wrap ? acc + term : q(acc + term, fa, s.acc);
        }
        odata[r * osz + o] = s.acc_to_result(q(acc, fa, s.acc));
      }
    return;
  }
  if (s.kind == K::ReduceMax) {
    const Operand& a = s.ops[0];
    const int64_t asz = bufs[a.buf].size;
    const int64_t* adata = w.data[a.buf].data();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < osz; ++o) {
        int64_t m = adata[r * asz + s.map[s.group_start[o]]];
        for (int64_t k = s.group_start[o] + 1; k < s.group_start[o + 1]; ++k) m = std::max(m, adata[r * asz + s.map[k]]);
        odata[r * osz + o] = s.to_result(m);
      }
    return;
  }
  if (s.kind == K::Move) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < osz; ++i) {
        if (s.map_src[i] < 0) {
          odata[r * osz + i] = 0;
          continue;
        }
        const Operand& a = s.ops[s.map_src[i]];
        const int64_t asz = bufs[a.buf].size;
        odata[r * osz + i] = s.move_plans[s.map_src[i]](w.data[a.buf][r * asz + s.map[i]]);
      }
    return;
  }
  if (s.kind == K::InputQuant) {
    const auto& ops = s.pre_ops;
    const auto& cf = s.pre_cf;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < osz; ++i) {
        float v = float(x[r * x_stride + s.in_col + (s.in_size == osz ? i : 0)]);
        for (size_t k = 0; k < ops.size(); ++k) {
          float c = s.pre_consts[k][s.pre_maps[k][i]];
          float a = cf[k] ? c : v, b = cf[k] ? v : c;
          if (ops[k] == "Mul") v = a * b;
          else if (ops[k] == "Div") v = a / b;
          else if (ops[k] == "Add") v = a + b;
          else if (ops[k] == "Sign") v = v >= 0 ? 1.0f : -1.0f;  // BipolarQuant
          else v = a - b;
        }
        odata[r * osz + i] = s.result_dc(double(v));
      }
    return;
  }
  throw Error(source, s.node.name, s.node.op, "no kernel");
}

}  // namespace nanogate::emu
