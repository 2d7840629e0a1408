// nanogate — sliding-window geometry (window.hpp).
#include "core/window.hpp"

#include <algorithm>

#include "nanogate/error.hpp"

namespace nanogate {

namespace {

constexpr int64_t kMaxWindowDim = int64_t(1) << 20;  // kernel dims, strides, dilations, pads

/// Coordinates of flat index `i` over dims `d` (row-major).
void unflatten(int64_t i, const Shape& d, int64_t* c) {
  for (int k = int(d.size()) - 1; k >= 0; --k) {
    c[k] = i % d[size_t(k)];
    i /= d[size_t(k)];
  }
}

}  // namespace

int64_t Window::source(int64_t p, int64_t t) const {
  int64_t po[3], to[3];
  unflatten(p, out, po);
  unflatten(t, kernel, to);
  int64_t idx = 0;
  for (int k = 0; k < rank(); ++k) {
    const size_t d = size_t(k);
    int64_t c = po[k] * stride[d] - pad_begin[d] + to[k] * dilation[d];
    if (c < 0 || c >= in[d]) return -1;
    idx = idx * in[d] + c;
  }
  return idx;
}

int64_t Window::padded_taps(int64_t p) const {
  int64_t po[3];
  unflatten(p, out, po);
  int64_t n = 1;
  for (int k = 0; k < rank(); ++k) {
    const size_t d = size_t(k);
    int64_t cnt = 0;
    for (int64_t j = 0; j < kernel[d]; ++j) {
      int64_t c = po[k] * stride[d] - pad_begin[d] + j * dilation[d];
      cnt += c >= -pad_begin[d] && c < in[d] + pad_end[d];
    }
    n *= cnt;
  }
  return n;
}

Window window_of(const Node& n, const Shape& x, const Shape& kernel, const std::string& source) {
  auto fail = [&](const std::string& why) -> void { throw Error(source, n.name, n.op, why); };
  Window w;
  if (x.size() < 2 || x.size() > 4)
    fail("expects a per-event input [C, D1..Dn] with 1 to 3 spatial dims, got " + shape_str(x));
  const size_t r = x.size() - 1;
  w.channels = x[0];
  w.in.assign(x.begin() + 1, x.end());
  w.kernel = kernel;
  if (kernel.size() != r) fail("kernel " + shape_str(kernel) + " does not match the input's " + std::to_string(r) + " spatial dims");
  auto list = [&](const std::string& name, size_t len, int64_t dflt, int64_t lo) {
    std::vector<int64_t> v = n.attr_ints(name, std::vector<int64_t>(len, dflt));
    if (v.size() != len) fail("attribute " + name + " has " + std::to_string(v.size()) + " entries, expected " + std::to_string(len));
    for (int64_t e : v)
      if (e < lo || e > kMaxWindowDim) fail("attribute " + name + " entry " + std::to_string(e) + " is out of range");
    return v;
  };
  for (int64_t k : kernel)
    if (k < 1 || k > kMaxWindowDim) fail("kernel " + shape_str(kernel) + " has a dimension out of range");
  for (int64_t d : w.in)
    if (d < 1) fail("input " + shape_str(x) + " has an empty spatial dimension");
  w.stride = list("strides", r, 1, 1);
  w.dilation = list("dilations", r, 1, 1);
  std::vector<int64_t> pads = list("pads", 2 * r, 0, 0);
  const std::string auto_pad = n.attr_str("auto_pad", "NOTSET");
  const bool ceil_mode = n.attr_int("ceil_mode", 0) != 0;
  w.pad_begin.resize(r);
  w.pad_end.resize(r);
  w.out.resize(r);
  for (size_t d = 0; d < r; ++d) {
    const int64_t dk = (w.kernel[d] - 1) * w.dilation[d] + 1;  // dilated kernel extent
    int64_t o = 0;
    if (auto_pad == "NOTSET" || auto_pad == "VALID") {
      int64_t pb = auto_pad == "VALID" ? 0 : pads[d], pe = auto_pad == "VALID" ? 0 : pads[d + r];
      w.pad_begin[d] = pb;
      w.pad_end[d] = pe;
      int64_t span = w.in[d] + pb + pe - dk;
      if (span < 0) {
        fail("the dilated kernel (" + std::to_string(dk) + ") is larger than the padded input (" +
             std::to_string(w.in[d] + pb + pe) + ") in spatial dim " + std::to_string(d));
      }
      o = (ceil_mode ? (span + w.stride[d] - 1) / w.stride[d] : span / w.stride[d]) + 1;
      if (ceil_mode && (o - 1) * w.stride[d] >= w.in[d] + pb) --o;  // last window starts inside
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      o = (w.in[d] + w.stride[d] - 1) / w.stride[d];
      int64_t total = std::max<int64_t>(0, (o - 1) * w.stride[d] + dk - w.in[d]);
      w.pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pad_end[d] = total - w.pad_begin[d];
    } else {
      fail("auto_pad '" + auto_pad + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
    }
    if (o < 1) fail("empty output in spatial dim " + std::to_string(d));
    w.out[d] = o;
  }
  Shape full = w.out;
  full.push_back(w.channels);
  full.push_back(w.taps());
  if (checked_num_elements(full) < 0)
    fail("the window enumeration " + shape_str(full) + " has more than 2^24 elements");
  return w;
}

}  // namespace nanogate
