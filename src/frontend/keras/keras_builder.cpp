// nanogate — the Keras translation context (keras_builder.hpp).
#include "frontend/keras/keras_builder.hpp"

#include "nanogate/error.hpp"

namespace nanogate::keras {

void Builder::fail(const Layer& l, const std::string& why) const { throw Error(model.source, l.name, l.class_name, why); }

std::string Builder::constant(const std::string& name, Shape shape, std::vector<double> values) {
  return g.add_constant(name, std::move(shape), std::move(values));
}

std::string Builder::node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                          std::map<std::string, Attr> attrs, const std::string& out, Shape shape) {
  Node n;
  n.op = op;
  n.name = name;
  for (int k = 1; g.find_node(n.name); ++k) n.name = name + "_" + std::to_string(k);
  if (op == "Quant") n.domain = "qonnx.custom_op.general";
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  std::string o = out;
  for (int k = 1; g.has_tensor(o); ++k) o = out + "_" + std::to_string(k);
  Tensor t;
  t.name = o;
  t.shape = std::move(shape);
  g.tensors[o] = std::move(t);
  n.outputs = {o};
  g.nodes.push_back(std::move(n));
  return o;
}

std::string Builder::quant(const std::string& name, const std::string& x, double scale, int bits, bool is_signed,
                           bool narrow, const std::string& out, const std::string& rounding) {
  g.quantized = true;
  std::string s = constant(name + "_scale", {}, {scale});
  std::string z = constant(name + "_zeropt", {}, {0.0});
  std::string b = constant(name + "_bitwidth", {}, {double(bits)});
  Shape sh = g.tensor(x).shape;
  return node("Quant", name, {x, s, z, b},
              {{"signed", int64_t(is_signed)}, {"narrow", int64_t(narrow)}, {"rounding_mode", rounding}}, out, sh);
}

const h5::Dataset& Builder::weight(const Layer& l, size_t i, const std::string& what, const Shape& expect) const {
  if (i >= l.weights.size())
    fail(l, "weight '" + what + "' is missing from the weights file (the layer has " + std::to_string(l.weights.size()) +
                " variables; does the weights file belong to this architecture?)");
  const h5::Dataset& d = l.weights[i];
  if (d.shape != expect)
    fail(l, "weight '" + what + "' has shape " + shape_str(d.shape) + ", the architecture needs " + shape_str(expect) +
                " (does the weights file belong to this architecture?)");
  return d;
}

std::string Builder::activation(const Layer& l, const std::string& act, const std::string& x, const std::string& out,
                                const std::string& node_name) {
  const Shape sh = shape(x);
  if (act == "linear" || act.empty()) return node("Identity", node_name, {x}, {}, out, sh);
  if (act == "relu") return node("Relu", node_name, {x}, {}, out, sh);
  if (act == "sigmoid") return node("Sigmoid", node_name, {x}, {}, out, sh);
  if (act == "softmax")
    return node("Softmax", node_name, {x}, {{"axis", int64_t(-1)}, {"_opset", int64_t(13)}}, out, sh);
  fail(l, "activation '" + act + "' is not supported (linear, relu, sigmoid, softmax)");
}

int64_t keras_axis(const Builder& b, const Layer& l, int64_t axis, size_t event_rank) {
  int64_t r = int64_t(event_rank) + 1;
  if (axis < 0) axis += r;
  if (axis < 1 || axis >= r) b.fail(l, "axis " + std::to_string(axis) + " is outside the per-event axes 1.." + std::to_string(r - 1));
  return axis;
}

}  // namespace nanogate::keras
