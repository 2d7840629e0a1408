// nanogate — index maps and tables shared by the emulator and the lowering (layer_tables.hpp).
#include "emulate/layer_tables.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "emulate/float_ops.hpp"
#include "nanogate/error.hpp"

namespace nanogate {

std::vector<int64_t> broadcast_map(const Shape& in_shape, const Shape& out_shape) {
  size_t r = out_shape.size();
  Shape s(r - std::min(r, in_shape.size()), 1);
  s.insert(s.end(), in_shape.begin(), in_shape.end());
  std::vector<int64_t> st(r, 1), sto(r, 1);
  for (int i = int(r) - 2; i >= 0; --i) {
    st[i] = st[i + 1] * s[i + 1];
    sto[i] = sto[i + 1] * out_shape[i + 1];
  }
  int64_t n = num_elements(out_shape);
  std::vector<int64_t> m(size_t(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, idx = 0;
    for (size_t d = 0; d < r; ++d) {
      int64_t k = rem / sto[d];
      rem %= sto[d];
      if (s[d] != 1) idx += k * st[d];
    }
    m[i] = idx;
  }
  return m;
}

std::vector<int64_t> operand_map(const Tensor& t, const Shape& out_shape) {
  Shape s = t.shape;
  if (t.is_const && s.size() == out_shape.size() + 1) s.erase(s.begin());  // leading batch 1
  return broadcast_map(s, out_shape);
}

ReduceGroups reduce_groups(const Node& node, const Shape& in_shape, const std::string& source) {
  auto axes = node.attr_ints("axes", {});
  std::vector<bool> red(in_shape.size(), false);
  for (auto a : axes) {
    int64_t full = int64_t(in_shape.size()) + 1;
    if (a < 0) a += full;
    if (a <= 0 || a >= full) throw Error(source, node.name, node.op, node.op + " over the batch dimension is not supported");
    red[a - 1] = true;
  }
  if (axes.empty()) throw Error(source, node.name, node.op, node.op + " without axes would reduce the batch dimension");
  Shape os;
  for (size_t d = 0; d < in_shape.size(); ++d) os.push_back(red[d] ? 1 : in_shape[d]);
  int64_t n = num_elements(in_shape), no = num_elements(os);
  std::vector<std::vector<int64_t>> groups{size_t(no)};
  std::vector<int64_t> sti(in_shape.size(), 1), sto(in_shape.size(), 1);
  for (int i = int(in_shape.size()) - 2; i >= 0; --i) {
    sti[i] = sti[i + 1] * in_shape[i + 1];
    sto[i] = sto[i + 1] * os[i + 1];
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, oi = 0;
    for (size_t d = 0; d < in_shape.size(); ++d) {
      int64_t k = rem / sti[d];
      rem %= sti[d];
      if (!red[d]) oi += k * sto[d];
    }
    groups[oi].push_back(i);
  }
  ReduceGroups r;
  for (auto& gr : groups) {
    r.start.push_back(int64_t(r.map.size()));
    r.map.insert(r.map.end(), gr.begin(), gr.end());
  }
  r.start.push_back(int64_t(r.map.size()));
  return r;
}

std::vector<int64_t> channel_map(const Node& n, const Shape& shape, int64_t C, const std::string& source) {
  int64_t size = num_elements(shape);
  if (shape.empty() || (shape[0] != C && C != size))
    throw Error(source, n.name, n.op,
                "channel count " + std::to_string(C) + " does not match shape " + shape_str(shape));
  std::vector<int64_t> chan;
  if (C == size && shape.size() > 1) {  // one parameter per element
    for (int64_t i = 0; i < size; ++i) chan.push_back(i);
    return chan;
  }
  int64_t inner = size / shape[0];
  for (int64_t i = 0; i < size; ++i) chan.push_back((i / inner) % C);
  return chan;
}

void threshold_affine(const Graph& g, const Node& n, std::vector<double>& scale, std::vector<double>& offset) {
  if (n.inputs.size() != 3) throw Error(g.source, n.name, n.op, "Threshold needs inputs {x, scale, offset}");
  scale = g.tensor(n.inputs[1]).values;
  offset = g.tensor(n.inputs[2]).values;
  if (scale.empty() || scale.size() != offset.size())
    throw Error(g.source, n.name, n.op, "Threshold scale and offset must have one value per channel");
}

ThresholdTable compute_thresholds(const Graph& g, const Node& n, const Fixed& tx) {
  std::vector<double> sc, of;
  threshold_affine(g, n, sc, of);
  const std::string mode = n.attr_str("mode", "ROUND");
  const int64_t lo = n.attr_int("lo", 0), hi = n.attr_int("hi", 0), zero = n.attr_int("zero", 0);
  const bool sign = mode == "SIGN";
  if (hi < lo || hi - lo > (int64_t(1) << 16))
    throw Error(g.source, n.name, n.op, "Threshold code range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                            "] is empty or wider than 2^16 levels");
  long double lsb = std::ldexp(1.0L, -tx.frac_bits());
  auto code = [&](size_t c, int64_t raw) -> int64_t {
    long double v = (long double)raw * lsb * (long double)sc[c] + (long double)of[c];
    if (sign) return v >= 0 ? hi : lo;
    long double r;
    try {
      r = qonnx_round_l(mode, v);
    } catch (const std::invalid_argument& e) {
      throw Error(g.source, n.name, n.op, e.what());
    }
    if (r <= (long double)lo) return lo;
    if (r >= (long double)hi) return hi;
    return int64_t(r);
  };
  ThresholdTable r;
  r.base = lo - zero;
  r.step = sign ? hi - lo : 1;
  if (sign && hi - lo != 2 && hi != lo) throw Error(g.source, n.name, n.op, "SIGN Threshold needs lo = -1, hi = 1");
  const int64_t levels = sign ? (hi > lo ? 1 : 0) : hi - lo;
  const int64_t xlo = tx.min_raw(), xhi = tx.max_raw();
  for (size_t c = 0; c < sc.size(); ++c) {
    int dir = sc[c] >= 0 ? 1 : -1;
    r.dir.push_back(dir);
    std::vector<int64_t> t;
    for (int64_t k = 1; k <= levels; ++k) {
      const int64_t level = lo + k * r.step;
      // increasing: smallest raw with code >= level; decreasing: largest raw with code >= level
      int64_t a = xlo, b = xhi;
      if (dir > 0) {
        if (code(c, xhi) < level) { t.push_back(xhi + 1); continue; }
        while (a < b) {
          int64_t m = a + (b - a) / 2;
          if (code(c, m) >= level) b = m; else a = m + 1;
        }
      } else {
        if (code(c, xlo) < level) { t.push_back(xlo - 1); continue; }
        while (a < b) {
          int64_t m = a + (b - a + 1) / 2;
          if (code(c, m) >= level) a = m; else b = m - 1;
        }
      }
      t.push_back(a);
    }
    r.thr.push_back(t);
  }
  return r;
}

}  // namespace nanogate
