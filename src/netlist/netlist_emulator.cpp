// nanogate — the netlist emulator (netlist_emulator.hpp).
#include "nanogate/netlist/netlist_emulator.hpp"

#include <algorithm>

#include "nanogate/error.hpp"
#include "nanogate/progress.hpp"
#include "netlist/net_eval.hpp"

namespace nanogate {

namespace {
constexpr int64_t kChunk = 256;  // events evaluated together
}

struct NetlistEmulator::Plan {
  std::vector<NetStep> steps;  ///< one per value (Input/Const: unused)
  std::vector<int64_t> port_col;  ///< column of each input port's first element
  int64_t in_size = 0, out_size = 0;
};

NetlistEmulator::NetlistEmulator(const Netlist& netlist) : n_(&netlist) {
  netlist.verify();
  auto plan = std::make_shared<Plan>();
  for (const NetValue& v : netlist.values)
    plan->steps.push_back(v.op == NetOp::Input || v.op == NetOp::Const ? NetStep() : NetStep(netlist, v));
  for (const NetPort& p : netlist.inputs) {
    plan->port_col.push_back(plan->in_size);
    plan->in_size += int64_t(p.values.size());
  }
  for (const NetPort& p : netlist.outputs) plan->out_size += int64_t(p.values.size());
  plan_ = plan;
}

int64_t NetlistEmulator::input_size() const { return plan_->in_size; }
int64_t NetlistEmulator::output_size() const { return plan_->out_size; }

template <class Emit>
void NetlistEmulator::run_chunks(const int64_t* raw, int64_t rows, Emit&& emit) const {
  const Netlist& N = *n_;
  const Plan& P = *plan_;
  std::vector<int64_t> buf(N.values.size() * size_t(kChunk));
  Progress bar("netlist emulator", rows, "vectors");
  for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
    const int64_t m = std::min(kChunk, rows - r0);
    for (size_t i = 0; i < N.values.size(); ++i) {
      const NetValue& v = N.values[i];
      int64_t* out = &buf[i * kChunk];
      switch (v.op) {
        case NetOp::Input: {
          const int64_t col = P.port_col[size_t(v.port)] + v.index;
          for (int64_t r = 0; r < m; ++r) {
            int64_t x = raw[(r0 + r) * P.in_size + col];
            if (x < v.type.min_raw() || x > v.type.max_raw())
              throw Error(N.source, "netlist input event " + std::to_string(r0 + r) + ", port '" +
                                        N.inputs[size_t(v.port)].name + "' element " + std::to_string(v.index) +
                                        ": code " + std::to_string(x) + " outside " + v.type.str());
            out[r] = x;
          }
          break;
        }
        case NetOp::Const: std::fill(out, out + m, v.konst); break;
        default: {
          const NetStep& s = P.steps[i];
          const int64_t* a = &buf[size_t(v.args[0]) * kChunk];
          const int64_t* b = v.args.size() > 1 ? &buf[size_t(v.args[1]) * kChunk] : a;
          const int64_t* c = v.args.size() > 2 ? &buf[size_t(v.args[2]) * kChunk] : a;
          for (int64_t r = 0; r < m; ++r) out[r] = s(a[r], b[r], c[r]);
        }
      }
    }
    emit(r0, m, buf.data());
    bar.add(m);
  }
}

std::vector<int64_t> NetlistEmulator::run(const int64_t* raw, int64_t rows) const {
  const int64_t osz = plan_->out_size;
  std::vector<int64_t> y(size_t(rows * osz));
  run_chunks(raw, rows, [&](int64_t r0, int64_t m, const int64_t* buf) {
    int64_t col = 0;
    for (const NetPort& p : n_->outputs)
      for (int v : p.values) {
        for (int64_t r = 0; r < m; ++r) y[size_t((r0 + r) * osz + col)] = buf[size_t(v) * kChunk + r];
        ++col;
      }
  });
  return y;
}

std::vector<int64_t> NetlistEmulator::run_all(const int64_t* raw, int64_t rows) const {
  const int64_t nv = int64_t(n_->values.size());
  std::vector<int64_t> y(size_t(rows * nv));
  run_chunks(raw, rows, [&](int64_t r0, int64_t m, const int64_t* buf) {
    for (int64_t v = 0; v < nv; ++v)
      for (int64_t r = 0; r < m; ++r) y[size_t((r0 + r) * nv + v)] = buf[v * kChunk + r];
  });
  return y;
}

}  // namespace nanogate
