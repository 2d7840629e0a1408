// nanogate — CMVM optimizer: column canonicalisation, CSD, delay-constrained
// two-term CSE (da4ml / Hartley), depth-balanced reduction. See
// include/nanogate/cmvm/cmvm.hpp for the algorithm and its sources.
#include <algorithm>
#include <climits>
#include <map>
#include <queue>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "nanogate/cmvm/cmvm.hpp"

namespace nanogate::cmvm {
namespace {

int ceil_log2(int64_t n) {
  int d = 0;
  while ((static_cast<int64_t>(1) << d) < n) ++d;
  return d;
}

/// A term of an output under construction: sign * (node << shift).
struct Term {
  int node = 0;
  int shift = 0;
  int sign = 1;
  int depth = 0;
  bool alive = true;
};

/// A canonical (unique) column being reduced.
struct Column {
  std::vector<Term> terms;                      // with holes (alive == false)
  std::unordered_map<uint64_t, int> lookup;     // (node, shift) -> term index
  i128 kraft = 0;                               // sum over alive terms of 2^depth
  int limit = INT_MAX;                          // depth limit (INT_MAX: none)
};

uint64_t term_key(int node, int shift) {
  return (static_cast<uint64_t>(node) << 8) | static_cast<uint64_t>(shift);
}

/// A two-term pattern: (n1 << max(0,-d)) + sg * (n2 << max(0,d)), where the
/// occurrence is t1 = s1 (n1 << s1), t2 = s2 (n2 << s1 + d), sg = s1 * s2.
/// Canonical order: (n1, shift1) < (n2, shift2).
struct Pattern {
  int n1, n2, d, sg;
};

uint64_t encode(const Pattern& p) {
  return (static_cast<uint64_t>(p.n1) << 33) | (static_cast<uint64_t>(p.n2) << 9) |
         (static_cast<uint64_t>(p.d + 128) << 1) | static_cast<uint64_t>(p.sg < 0);
}
Pattern decode(uint64_t k) {
  return {static_cast<int>(k >> 33), static_cast<int>((k >> 9) & 0xFFFFFF), static_cast<int>((k >> 1) & 0xFF) - 128,
          (k & 1) ? -1 : 1};
}
uint64_t pair_key(const Term& a, const Term& b) {
  const bool ab = a.node < b.node || (a.node == b.node && a.shift < b.shift);
  const Term& t1 = ab ? a : b;
  const Term& t2 = ab ? b : a;
  return encode({t1.node, t2.node, t2.shift - t1.shift, t1.sign * t2.sign});
}

/// The optimizer state (one instance per optimize_cmvm call).
class Cse {
 public:
  Cse(AdderGraph& g, std::vector<Column>& cols, bool constrained)
      : g_(g), cols_(cols), constrained_(constrained), occ_(static_cast<size_t>(g.nodes().size())) {}

  void run() {
    // Initial pair statistics, then one heap build.
    for (size_t u = 0; u < cols_.size(); ++u) {
      auto& c = cols_[u];
      for (size_t i = 0; i < c.terms.size(); ++i) {
        occ_[static_cast<size_t>(c.terms[i].node)].insert({static_cast<int>(u), c.terms[i].shift});
        for (size_t k = 0; k < i; ++k) ++stats_[pair_key(c.terms[k], c.terms[i])].count;
      }
    }
    for (auto& [key, e] : stats_)
      if (e.count >= 2) heap_.push({score(key, e.count), key, e.version});

    while (!heap_.empty()) {
      const Item top = heap_.top();
      heap_.pop();
      auto it = stats_.find(top.key);
      if (it == stats_.end() || it->second.version != top.version || it->second.dead) continue;
      Entry& e = it->second;
      const Pattern p = decode(top.key);
      auto occs = gather(p);
      const int n = static_cast<int>(occs.size());
      if (n < 2) {
        e.dead = true;
        continue;
      }
      if (n < effective(e)) {  // lazy greedy: re-queue with the true count
        e.ub = n;
        ++e.version;
        heap_.push({score(top.key, n), top.key, e.version});
        continue;
      }
      apply(p, occs);
    }
  }

 private:
  struct Entry {
    int count = 0;
    int ub = INT_MAX;  // upper bound on the extractable occurrences (until an increment)
    uint32_t version = 0;
    bool dead = false;  // no extractable pair (until an increment)
  };
  struct Item {
    int64_t score;
    uint64_t key;
    uint32_t version;
    bool operator<(const Item& o) const {  // max-heap on score; ties: smaller key first
      return score != o.score ? score < o.score : key > o.key;
    }
  };
  struct Occurrence {
    int col, i1, i2;
  };

  static int effective(const Entry& e) { return std::min(e.count, e.ub); }

  /// Operand shifts of the node a pattern creates.
  static void node_form(const Pattern& p, int& sa, int& sb) {
    sa = std::max(0, -p.d);
    sb = std::max(0, p.d);
  }

  /// CSE weight of a pattern: the "overlap" bits of its operands, i.e. the
  /// width of the narrower operand (da4ml's weighted-most-common score,
  /// arXiv 2507.04535 Sec. 4; measured 2.5% lower total cost than weighting
  /// by the new node's width on bench/cmvm_vs_da4ml.py).
  int64_t weight_of(const Pattern& p) const {
    return std::max(1, std::min(g_.node(p.n1).width(), g_.node(p.n2).width()));
  }

  int64_t score(uint64_t key, int count) const { return static_cast<int64_t>(count) * weight_of(decode(key)); }

  void inc(uint64_t key) {
    Entry& e = stats_[key];
    ++e.count;
    ++e.version;
    e.ub = INT_MAX;
    e.dead = false;
    if (e.count >= 2) heap_.push({score(key, e.count), key, e.version});
  }
  void dec(uint64_t key) {
    auto it = stats_.find(key);
    Entry& e = it->second;
    --e.count;
    ++e.version;
    if (e.count == 0) {
      stats_.erase(it);
      return;
    }
    if (!e.dead && effective(e) >= 2) heap_.push({score(key, effective(e)), key, e.version});
  }

  /// Disjoint occurrences of p that keep their column within its depth limit
  /// (applied in order: column, then shift of the first term).
  std::vector<Occurrence> gather(const Pattern& p) const {
    std::vector<Occurrence> out;
    const int new_depth = std::max(g_.node(p.n1).depth, g_.node(p.n2).depth) + 1;
    int cur_col = -1;
    i128 kraft = 0;
    std::vector<int> used;
    for (const auto& [u, s1] : occ_[static_cast<size_t>(p.n1)]) {
      const Column& c = cols_[static_cast<size_t>(u)];
      if (u != cur_col) {
        cur_col = u;
        kraft = c.kraft;
        used.clear();
      }
      const int s2 = s1 + p.d;
      if (s2 < 0 || s2 > 255) continue;
      auto f1 = c.lookup.find(term_key(p.n1, s1));
      auto f2 = c.lookup.find(term_key(p.n2, s2));
      if (f1 == c.lookup.end() || f2 == c.lookup.end()) continue;
      const int i1 = f1->second, i2 = f2->second;
      const Term& t1 = c.terms[static_cast<size_t>(i1)];
      const Term& t2 = c.terms[static_cast<size_t>(i2)];
      if (t1.sign * t2.sign != p.sg) continue;
      if (std::find(used.begin(), used.end(), i1) != used.end() || std::find(used.begin(), used.end(), i2) != used.end())
        continue;
      if (constrained_) {
        const i128 k2 = kraft - (static_cast<i128>(1) << t1.depth) - (static_cast<i128>(1) << t2.depth) +
                        (static_cast<i128>(1) << new_depth);
        if (k2 > (static_cast<i128>(1) << c.limit)) continue;
        kraft = k2;
      }
      used.push_back(i1);
      used.push_back(i2);
      out.push_back({u, i1, i2});
    }
    return out;
  }

  void remove_term(int u, int idx) {
    Column& c = cols_[static_cast<size_t>(u)];
    Term& t = c.terms[static_cast<size_t>(idx)];
    t.alive = false;
    for (const Term& v : c.terms)
      if (v.alive) dec(pair_key(t, v));
    c.lookup.erase(term_key(t.node, t.shift));
    occ_[static_cast<size_t>(t.node)].erase({u, t.shift});
    if (constrained_) c.kraft -= static_cast<i128>(1) << t.depth;
  }

  void add_term(int u, const Term& t) {
    Column& c = cols_[static_cast<size_t>(u)];
    for (const Term& v : c.terms)
      if (v.alive) inc(pair_key(t, v));
    c.lookup[term_key(t.node, t.shift)] = static_cast<int>(c.terms.size());
    c.terms.push_back(t);
    if (static_cast<size_t>(t.node) >= occ_.size()) occ_.resize(static_cast<size_t>(t.node) + 1);
    occ_[static_cast<size_t>(t.node)].insert({u, t.shift});
    if (constrained_) c.kraft += static_cast<i128>(1) << t.depth;
  }

  void apply(const Pattern& p, const std::vector<Occurrence>& occs) {
    int sa, sb;
    node_form(p, sa, sb);
    const int node = g_.add(p.n1, sa, p.n2, sb, p.sg < 0);
    if (node >= (1 << 24)) throw std::overflow_error("optimize_cmvm: more than 2^24 nodes");
    const int depth = g_.node(node).depth;
    for (const auto& o : occs) {
      const Term t1 = cols_[static_cast<size_t>(o.col)].terms[static_cast<size_t>(o.i1)];
      const Term t2 = cols_[static_cast<size_t>(o.col)].terms[static_cast<size_t>(o.i2)];
      remove_term(o.col, o.i1);
      remove_term(o.col, o.i2);
      add_term(o.col, {node, std::min(t1.shift, t2.shift), t1.sign, depth, true});
    }
  }

  AdderGraph& g_;
  std::vector<Column>& cols_;
  bool constrained_;
  std::vector<std::set<std::pair<int, int>>> occ_;  // node -> (column, shift) of its terms
  std::unordered_map<uint64_t, Entry> stats_;
  std::priority_queue<Item> heap_;
};

/// Sums the column's alive terms with a depth-balanced tree (two shallowest
/// first; ties: narrower, then by node/shift) and returns the output.
OutputRef reduce_column(AdderGraph& g, const Column& c) {
  struct Q {
    int depth;
    int64_t mag;  // width + shift: most significant bit position
    int node, shift, sign;
    bool operator>(const Q& o) const {
      if (depth != o.depth) return depth > o.depth;
      if (mag != o.mag) return mag > o.mag;
      if (node != o.node) return node > o.node;
      return shift > o.shift;
    }
  };
  std::priority_queue<Q, std::vector<Q>, std::greater<Q>> q;
  for (const Term& t : c.terms)
    if (t.alive) q.push({t.depth, g.node(t.node).width() + t.shift, t.node, t.shift, t.sign});
  if (q.empty()) return {};
  while (q.size() > 1) {
    Q a = q.top();
    q.pop();
    Q b = q.top();
    q.pop();
    if (a.sign < 0 && b.sign > 0) std::swap(a, b);  // the positive operand first when signs differ
    const int sm = std::min(a.shift, b.shift);
    const int node = g.add(a.node, a.shift - sm, b.node, b.shift - sm, a.sign != b.sign);
    const auto& n = g.node(node);
    q.push({n.depth, n.width() + sm, node, sm, a.sign});
  }
  const Q r = q.top();
  return {r.node, r.shift, r.sign < 0};
}

}  // namespace

int64_t cse_pattern_count(const std::vector<int64_t>& W, int n_in, int n_out) {
  if (W.size() != static_cast<size_t>(n_in) * static_cast<size_t>(n_out))
    throw std::invalid_argument("cse_pattern_count: matrix size does not match n_in * n_out");
  int64_t total = 0;
  for (int j = 0; j < n_out; ++j) {
    int64_t d = 0;
    for (int i = 0; i < n_in; ++i) d += csd_weight(W[static_cast<size_t>(i) * static_cast<size_t>(n_out) + j]);
    total += d * (d - 1) / 2;
  }
  return total;
}

AdderGraph optimize_cmvm(const std::vector<int64_t>& W, int n_in, int n_out,
                         const std::vector<std::pair<int64_t, int64_t>>& ranges, const CmvmOptions& opts) {
  if (n_in < 0 || n_out < 0 || W.size() != static_cast<size_t>(n_in) * static_cast<size_t>(n_out))
    throw std::invalid_argument("optimize_cmvm: matrix has " + std::to_string(W.size()) +
                                " entries, expected n_in * n_out = " + std::to_string(n_in) + " * " +
                                std::to_string(n_out));
  if (ranges.size() != static_cast<size_t>(n_in))
    throw std::invalid_argument("optimize_cmvm: " + std::to_string(ranges.size()) + " input ranges for " +
                                std::to_string(n_in) + " inputs");
  AdderGraph g(ranges);

  // 1. Column canonicalisation: column = sign * 2^k * canonical column.
  std::map<std::vector<int64_t>, int> unique;
  std::vector<std::vector<int64_t>> canon;
  struct Map {
    int col = -1, shift = 0;
    bool negate = false;
  };
  std::vector<Map> out_map(static_cast<size_t>(n_out));
  for (int j = 0; j < n_out; ++j) {
    std::vector<int64_t> col(static_cast<size_t>(n_in));
    int k = 64, first_sign = 0;
    for (int i = 0; i < n_in; ++i) {
      const int64_t w = W[static_cast<size_t>(i) * n_out + j];
      col[static_cast<size_t>(i)] = w;
      if (w == 0) continue;
      k = std::min(k, __builtin_ctzll(static_cast<unsigned long long>(w)));
      if (!first_sign) first_sign = w > 0 ? 1 : -1;
    }
    if (!first_sign) continue;  // all-zero column: constant 0
    for (auto& w : col) {
      // w / 2^k, exact; the sign flip is done on i128 so that INT64_MIN works.
      const i128 v = static_cast<i128>(w) / (static_cast<i128>(1) << k) * first_sign;
      w = static_cast<int64_t>(v);  // |v| <= 2^63 / 2^k; only -INT64_MIN with k = 0 overflows
      if (k == 0 && first_sign < 0 && v > INT64_MAX)
        throw std::overflow_error("optimize_cmvm: weight -2^63 in a negated column is not supported");
    }
    auto [it, fresh] = unique.emplace(col, static_cast<int>(canon.size()));
    if (fresh) canon.push_back(col);
    out_map[static_cast<size_t>(j)] = {it->second, k, first_sign < 0};
  }

  // 2. CSD terms and delay limits.
  std::vector<Column> cols(canon.size());
  std::vector<int64_t> digits(canon.size(), 0);
  for (size_t u = 0; u < canon.size(); ++u)
    for (int i = 0; i < n_in; ++i)
      for (const auto& d : csd_digits(canon[u][static_cast<size_t>(i)])) {
        cols[u].lookup[term_key(i, d.shift)] = static_cast<int>(cols[u].terms.size());
        cols[u].terms.push_back({i, d.shift, d.sign, 0, true});
        ++digits[u];
      }
  const bool constrained = opts.dc >= 0;
  if (opts.dc > 100) throw std::invalid_argument("optimize_cmvm: delay constraint dc above 100 levels");
  int d0 = 0;
  for (auto n : digits) d0 = std::max(d0, ceil_log2(n));
  for (size_t u = 0; u < cols.size(); ++u) {
    cols[u].kraft = static_cast<i128>(cols[u].terms.size());  // all depth 0
    if (constrained)
      cols[u].limit = (opts.scope == DelayScope::graph ? d0 : ceil_log2(digits[u])) + opts.dc;
  }
  if (constrained && d0 + opts.dc > 100) throw std::invalid_argument("optimize_cmvm: delay limit above 100 levels");

  // 3./4. Delay-constrained two-term CSE.
  if (opts.cse) Cse(g, cols, constrained).run();

  // 5. Balanced reduction per canonical column, then the outputs.
  std::vector<OutputRef> ucol(cols.size());
  for (size_t u = 0; u < cols.size(); ++u) ucol[u] = reduce_column(g, cols[u]);
  std::vector<OutputRef> outs(static_cast<size_t>(n_out));
  for (int j = 0; j < n_out; ++j) {
    const Map& m = out_map[static_cast<size_t>(j)];
    if (m.col < 0) continue;
    OutputRef r = ucol[static_cast<size_t>(m.col)];
    r.shift += m.shift;
    r.negate = r.negate != m.negate;
    outs[static_cast<size_t>(j)] = r;
  }
  g.set_outputs(std::move(outs));
  return g;
}

}  // namespace nanogate::cmvm
