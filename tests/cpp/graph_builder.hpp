// Test helper: builds small ONNX-level graphs in memory (what the frontend
// would produce), so passes and the emulator can be tested on exact cases.
#pragma once

#include <string>
#include <vector>

#include "nanogate/graph.hpp"

namespace nanogate::testing {

struct GraphBuilder {
  Graph g;
  explicit GraphBuilder(std::string source = "test.onnx") { g.source = std::move(source); }

  /// A graph input with per-event shape `shape`.
  std::string input(const std::string& name, Shape shape) {
    Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.known_shape = true;
    g.tensors[name] = t;
    g.inputs.push_back(name);
    return name;
  }
  std::string constant(const std::string& name, Shape shape, std::vector<double> values) {
    return g.add_constant(name, std::move(shape), std::move(values));
  }
  /// A node with one output named after the node; returns the output name.
  std::string node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                   std::map<std::string, Attr> attrs = {}, const std::string& domain = "") {
    Node n;
    n.op = op;
    n.name = name;
    n.domain = domain;
    n.inputs = std::move(inputs);
    n.outputs = {name + "_out"};
    n.attrs = std::move(attrs);
    Tensor t;
    t.name = n.outputs[0];
    g.tensors[t.name] = t;
    if (op == "Quant" || op == "BipolarQuant" || op == "Trunc") g.quantized = true;
    g.nodes.push_back(n);
    return n.outputs[0];
  }
  /// QONNX Quant with scalar scale, zero point and bit width.
  std::string quant(const std::string& name, const std::string& x, double scale, double bits, bool is_signed,
                    bool narrow = false, const std::string& mode = "ROUND") {
    auto s = constant(name + "_scale", {}, {scale});
    auto z = constant(name + "_zp", {}, {0.0});
    auto b = constant(name + "_bits", {}, {bits});
    return node("Quant", name, {x, s, z, b},
                {{"signed", int64_t(is_signed)}, {"narrow", int64_t(narrow)}, {"rounding_mode", mode}},
                "qonnx.custom_op.general");
  }
  Graph done(const std::string& output) {
    g.outputs = {output};
    return g;
  }
};

}  // namespace nanogate::testing
