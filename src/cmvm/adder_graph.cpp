// nanogate — adder graph: exact intervals, evaluation, metrics.
#include "nanogate/cmvm/adder_graph.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace nanogate::cmvm {
namespace {

constexpr i128 kLimit = static_cast<i128>(1) << 120;

i128 abs128(i128 v) { return v < 0 ? -v : v; }

std::string i128_str(i128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  // |v| < 2^127 here (bounded by kLimit), so negation is safe.
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(-v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u) {
    s.push_back(static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  if (neg) s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

}  // namespace

int bit_width(i128 lo, i128 hi) {
  if (lo >= 0) {
    int w = 0;
    while (w < 127 && (static_cast<i128>(1) << w) <= hi) ++w;
    return w;
  }
  int w = 1;
  while (w < 127 && !(-(static_cast<i128>(1) << (w - 1)) <= lo && hi < (static_cast<i128>(1) << (w - 1)))) ++w;
  return w;
}

AdderGraph::AdderGraph(const std::vector<std::pair<int64_t, int64_t>>& ranges)
    : n_inputs_(static_cast<int>(ranges.size())), ranges_(ranges) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].first > ranges[i].second)
      throw std::invalid_argument("AdderGraph: input " + std::to_string(i) + " has an empty range");
    AdderNode n;
    n.lo = ranges[i].first;
    n.hi = ranges[i].second;
    nodes_.push_back(n);
    forms_.push_back({{static_cast<int>(i), static_cast<i128>(1)}});
  }
}

int AdderGraph::add(int a, int shift_a, int b, int shift_b, bool sub) {
  const int n = static_cast<int>(nodes_.size());
  if (a < 0 || a >= n || b < 0 || b >= n)
    throw std::invalid_argument("AdderGraph::add: operand is not an existing node");
  if (shift_a < 0 || shift_a > 62 || shift_b < 0 || shift_b > 62)
    throw std::invalid_argument("AdderGraph::add: shift outside [0, 62]");
  const auto& fa = forms_[static_cast<size_t>(a)];
  const auto& fb = forms_[static_cast<size_t>(b)];
  const i128 ma = static_cast<i128>(1) << shift_a;
  const i128 mb = (sub ? -1 : 1) * (static_cast<i128>(1) << shift_b);
  // Overflow guard: operands' coefficients are < 2^120, shifts <= 62; check
  // before multiplying so that nothing exceeds 2^127.
  auto guard = [](i128 c, int s) {
    if (s > 0 && abs128(c) >= (kLimit >> s)) throw std::overflow_error("AdderGraph::add: coefficient exceeds 2^120");
  };
  std::vector<std::pair<int, i128>> f;
  f.reserve(fa.size() + fb.size());
  size_t i = 0, j = 0;
  while (i < fa.size() || j < fb.size()) {
    if (j == fb.size() || (i < fa.size() && fa[i].first < fb[j].first)) {
      guard(fa[i].second, shift_a);
      f.emplace_back(fa[i].first, fa[i].second * ma);
      ++i;
    } else if (i == fa.size() || fb[j].first < fa[i].first) {
      guard(fb[j].second, shift_b);
      f.emplace_back(fb[j].first, fb[j].second * mb);
      ++j;
    } else {
      guard(fa[i].second, shift_a);
      guard(fb[j].second, shift_b);
      i128 c = fa[i].second * ma + fb[j].second * mb;
      if (c != 0) f.emplace_back(fa[i].first, c);
      ++i;
      ++j;
    }
  }
  AdderNode node;
  node.a = a;
  node.b = b;
  node.shift_a = shift_a;
  node.shift_b = shift_b;
  node.sub = sub;
  node.depth = std::max(nodes_[static_cast<size_t>(a)].depth, nodes_[static_cast<size_t>(b)].depth) + 1;
  for (const auto& [in, c] : f)
    if (abs128(c) >= kLimit) throw std::overflow_error("AdderGraph::add: coefficient exceeds 2^120");
  // Exact bounds: each coefficient takes the input bound that minimises /
  // maximises its product (a corner of the input box); |c * x| <= 2^120.
  i128 lo = 0, hi = 0;
  for (const auto& [in, c] : f) {
    const auto& r = ranges_[static_cast<size_t>(in)];
    const i128 xm = std::max(abs128(r.first), abs128(r.second));
    if (xm != 0 && abs128(c) > kLimit / xm) throw std::overflow_error("AdderGraph::add: node bound exceeds 2^120");
    i128 p = c * r.first, q = c * r.second;
    lo += std::min(p, q);
    hi += std::max(p, q);
    if (abs128(lo) >= kLimit || abs128(hi) >= kLimit)
      throw std::overflow_error("AdderGraph::add: node bound exceeds 2^120");
  }
  node.lo = lo;
  node.hi = hi;
  nodes_.push_back(node);
  forms_.push_back(std::move(f));
  return n;
}

void AdderGraph::set_outputs(std::vector<OutputRef> outputs) {
  for (const auto& o : outputs) {
    if (o.node < -1 || o.node >= static_cast<int>(nodes_.size()))
      throw std::invalid_argument("AdderGraph::set_outputs: output refers to a missing node");
    if (o.shift < 0 || o.shift > 62) throw std::invalid_argument("AdderGraph::set_outputs: shift outside [0, 62]");
  }
  outputs_ = std::move(outputs);
}

std::vector<i128> AdderGraph::implemented_matrix() const {
  const size_t m = outputs_.size();
  std::vector<i128> w(static_cast<size_t>(n_inputs_) * m, 0);
  for (size_t j = 0; j < m; ++j) {
    const auto& o = outputs_[j];
    if (o.node < 0) continue;
    for (const auto& [in, c] : forms_[static_cast<size_t>(o.node)])
      w[static_cast<size_t>(in) * m + j] = (o.negate ? -c : c) * (static_cast<i128>(1) << o.shift);
  }
  return w;
}

std::pair<i128, i128> AdderGraph::output_interval(int j) const {
  const auto& o = outputs_.at(static_cast<size_t>(j));
  if (o.node < 0) return {0, 0};
  const auto& n = nodes_[static_cast<size_t>(o.node)];
  const i128 m = static_cast<i128>(1) << o.shift;
  return o.negate ? std::pair<i128, i128>{-n.hi * m, -n.lo * m} : std::pair<i128, i128>{n.lo * m, n.hi * m};
}

int AdderGraph::output_depth(int j) const {
  const auto& o = outputs_.at(static_cast<size_t>(j));
  return o.node < 0 ? 0 : nodes_[static_cast<size_t>(o.node)].depth;
}

AdderGraphMetrics AdderGraph::metrics() const {
  AdderGraphMetrics m;
  for (const auto& n : nodes_) {
    if (n.is_input()) continue;
    ++m.adders;
    m.cost_bits += n.width();
  }
  for (int j = 0; j < n_outputs(); ++j) m.depth = std::max(m.depth, output_depth(j));
  return m;
}

std::vector<i128> AdderGraph::evaluate(const std::vector<int64_t>& x, int64_t batch) const {
  if (batch < 0 || x.size() != static_cast<size_t>(batch) * static_cast<size_t>(n_inputs_))
    throw std::invalid_argument("AdderGraph::evaluate: x must hold batch * n_inputs values");
  const size_t m = outputs_.size(), nn = nodes_.size();
  std::vector<i128> y(static_cast<size_t>(batch) * m, 0);
  constexpr int64_t kChunk = 256;
  std::vector<i128> v(nn * kChunk);
  for (int64_t b0 = 0; b0 < batch; b0 += kChunk) {
    const int64_t nb = std::min(kChunk, batch - b0);
    for (int i = 0; i < n_inputs_; ++i)
      for (int64_t e = 0; e < nb; ++e)
        v[static_cast<size_t>(i) * kChunk + static_cast<size_t>(e)] =
            x[static_cast<size_t>((b0 + e) * n_inputs_ + i)];
    for (size_t k = static_cast<size_t>(n_inputs_); k < nn; ++k) {
      const auto& n = nodes_[k];
      const i128* va = &v[static_cast<size_t>(n.a) * kChunk];
      const i128* vb = &v[static_cast<size_t>(n.b) * kChunk];
      i128* vk = &v[k * kChunk];
      const i128 ma = static_cast<i128>(1) << n.shift_a;
      const i128 mb = (n.sub ? -1 : 1) * (static_cast<i128>(1) << n.shift_b);
      for (int64_t e = 0; e < nb; ++e) vk[e] = va[e] * ma + vb[e] * mb;
    }
    for (size_t j = 0; j < m; ++j) {
      const auto& o = outputs_[j];
      if (o.node < 0) continue;
      const i128 mo = (o.negate ? -1 : 1) * (static_cast<i128>(1) << o.shift);
      const i128* vo = &v[static_cast<size_t>(o.node) * kChunk];
      for (int64_t e = 0; e < nb; ++e) y[static_cast<size_t>(b0 + e) * m + j] = vo[e] * mo;
    }
  }
  return y;
}

std::string AdderGraph::to_string() const {
  std::ostringstream os;
  for (size_t k = 0; k < nodes_.size(); ++k) {
    const auto& n = nodes_[k];
    os << 'n' << k << " = ";
    if (n.is_input()) {
      os << "x" << k;
    } else {
      os << 'n' << n.a;
      if (n.shift_a) os << " << " << n.shift_a;
      os << (n.sub ? " - " : " + ") << 'n' << n.b;
      if (n.shift_b) os << " << " << n.shift_b;
    }
    os << "  [" << i128_str(n.lo) << ", " << i128_str(n.hi) << "] w=" << n.width() << " d=" << n.depth << '\n';
  }
  for (size_t j = 0; j < outputs_.size(); ++j) {
    const auto& o = outputs_[j];
    os << 'y' << j << " = ";
    if (o.node < 0) {
      os << "0\n";
      continue;
    }
    os << (o.negate ? "-" : "") << 'n' << o.node;
    if (o.shift) os << " << " << o.shift;
    os << '\n';
  }
  return os.str();
}

}  // namespace nanogate::cmvm
