// nanogate — register-minimising stage assignment (min_registers.hpp).
#include "min_registers.hpp"

// LEMON's header-only mode: its one non-template object (lemon::INVALID)
// becomes a per-file constant, so nothing links against liblemon.
#define LEMON_ONLY_TEMPLATES
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <cstdint>
#include <queue>

namespace nanogate::verilog_detail {

namespace {

constexpr double kEps = 1e-9;

bool registered(const NetValue& v) { return v.op != NetOp::Const; }

/// One difference constraint s(to) - s(from) >= min_gap between the nodes of
/// the flow graph (stage or mirror nodes, or the reference node).
struct Gap {
  int from, to;
  int64_t min_gap;
};

/// The timing pairs of value v: ancestors u with s(v) >= s(u) + 1 (see the
/// header). Walks v's ancestors in decreasing index (a reverse topological
/// order, so a value's longest path to v is final when it is visited) and
/// stops at the first value on each path whose longest path to v exceeds the
/// budget. `dist` (size n.values, all < 0) and `touched` are scratch space,
/// restored on return.
void timing_pairs(const Netlist& n, const std::vector<double>& delay, double budget, int v, std::vector<double>& dist,
                  std::vector<int>& touched, std::vector<int>& pairs) {
  std::priority_queue<int> todo;
  auto reach = [&](int user) {
    for (int a : n.values[size_t(user)].args) {
      if (!registered(n.values[size_t(a)])) continue;
      const double d = dist[size_t(user)] + delay[size_t(a)];
      if (dist[size_t(a)] < 0) {
        todo.push(a);
        touched.push_back(a);
      }
      dist[size_t(a)] = std::max(dist[size_t(a)], d);
    }
  };
  dist[size_t(v)] = delay[size_t(v)];
  touched.push_back(v);
  reach(v);
  while (!todo.empty()) {
    const int u = todo.top();
    todo.pop();
    const double d = dist[size_t(u)];
    if (d > budget + kEps && d - delay[size_t(v)] > kEps)
      pairs.push_back(u);  // too long for one stage: a register between u and v
    else
      reach(u);
  }
  for (int t : touched) dist[size_t(t)] = -1;
  touched.clear();
}

}  // namespace

std::optional<std::vector<int>> min_register_stages(const Netlist& n, const std::vector<double>& delay,
                                                    const std::vector<int>& widths, const std::vector<bool>& live,
                                                    int latency, int first_op_stage, int last_op_stage,
                                                    double budget) {
  using Graph = lemon::SmartDigraph;
  const int nv = int(n.values.size());
  // Flow-graph nodes: 0 = reference (stage 0), 1 + 2k = s(v), 2 + 2k = m(v)
  // for the k-th live registered value v.
  std::vector<int> slot(size_t(nv), -1);
  int count = 0;
  for (int i = 0; i < nv; ++i)
    if (live[size_t(i)] && registered(n.values[size_t(i)])) slot[size_t(i)] = count++;
  auto s_node = [&](int i) { return 1 + 2 * slot[size_t(i)]; };
  auto m_node = [&](int i) { return 2 + 2 * slot[size_t(i)]; };
  const int64_t L = latency;

  std::vector<Gap> gaps;
  std::vector<double> dist(size_t(nv), -1.0);
  std::vector<int> touched, pairs;
  for (int i = 0; i < nv; ++i) {
    if (slot[size_t(i)] < 0) continue;
    const NetValue& v = n.values[size_t(i)];
    const bool input = v.op == NetOp::Input;
    gaps.push_back({0, s_node(i), input ? 0 : first_op_stage});        // s(v) >= 0 (input) or the first op stage
    gaps.push_back({s_node(i), 0, input ? 0 : -int64_t(last_op_stage)});  // s(v) <= 0 (input) or the last op stage
    gaps.push_back({s_node(i), m_node(i), 0});                          // m(v) >= s(v)
    for (int a : v.args) {
      if (!registered(n.values[size_t(a)])) continue;
      gaps.push_back({s_node(a), s_node(i), 0});  // s(v) >= s(a)
      gaps.push_back({s_node(i), m_node(a), 0});  // m(a) >= s(v)
    }
    if (input) continue;
    pairs.clear();
    timing_pairs(n, delay, budget, i, dist, touched, pairs);
    for (int u : pairs) gaps.push_back({s_node(u), s_node(i), 1});
  }
  for (const auto& p : n.outputs)
    for (int j : p.values)
      if (slot[size_t(j)] >= 0) gaps.push_back({0, m_node(j), L});  // read at stage L

  // min sum w(v) (m(v) - s(v)) s.t. x(to) - x(from) >= gap is the dual of a
  // minimum-cost flow with an arc from -> to of cost -gap per constraint and
  // supply w(v) at s(v), -w(v) at m(v).
  Graph g;
  g.reserveNode(1 + 2 * count);
  g.reserveArc(int(gaps.size()));
  std::vector<Graph::Node> node;
  for (int k = 0; k < 1 + 2 * count; ++k) node.push_back(g.addNode());
  Graph::ArcMap<int64_t> cost(g);
  Graph::NodeMap<int64_t> supply(g, 0);
  for (const Gap& c : gaps) cost[g.addArc(node[size_t(c.from)], node[size_t(c.to)])] = -c.min_gap;
  for (int i = 0; i < nv; ++i)
    if (slot[size_t(i)] >= 0) {
      supply[node[size_t(s_node(i))]] += widths[size_t(i)];
      supply[node[size_t(m_node(i))]] -= widths[size_t(i)];
    }
  lemon::NetworkSimplex<Graph, int64_t, int64_t> solver(g);
  solver.costMap(cost).supplyMap(supply);
  if (solver.run() != lemon::NetworkSimplex<Graph, int64_t, int64_t>::OPTIMAL) return std::nullopt;

  // Optimal reduced costs cost + pi(from) - pi(to) >= 0 give
  // x = pi(reference) - pi(node), which meets every constraint.
  auto x = [&](int k) { return solver.potential(node[0]) - solver.potential(node[size_t(k)]); };
  for (const Gap& c : gaps)
    if (x(c.to) - x(c.from) < c.min_gap) return std::nullopt;
  std::vector<int> stage(size_t(nv), 0);
  for (int i = 0; i < nv; ++i) {
    if (slot[size_t(i)] >= 0) stage[size_t(i)] = int(x(s_node(i)));
    else if (registered(n.values[size_t(i)]))  // dead: after its arguments
      for (int a : n.values[size_t(i)].args) stage[size_t(i)] = std::max(stage[size_t(i)], stage[size_t(a)]);
  }
  return stage;
}

}  // namespace nanogate::verilog_detail
