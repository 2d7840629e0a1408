// nanogate — ONNX / QONNX frontend: ModelProto (Debian's libonnx onnx_proto)
// → Graph of ONNX-level nodes with constant tensors.
#include "nanogate/frontend/onnx.hpp"

#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "nanogate/error.hpp"

namespace nanogate {

const std::vector<std::string>& supported_onnx_ops() {
  static const std::vector<std::string> ops = {
      "MatMul",  "Gemm",      "Add",      "Sub",       "Mul",     "Div",     "Pow",     "Relu",
      "LeakyRelu", "Sigmoid", "Softmax",  "BatchNormalization", "Flatten", "Reshape", "Transpose",
      "Identity", "Constant", "Shape",    "Gather",    "Unsqueeze", "Squeeze", "Concat", "ReduceSum",
      "Sqrt",    "Neg",       "Dropout",  "Cast",      "ReduceMax", "Conv",   "MaxPool", "AveragePool",
      "GlobalMaxPool", "GlobalAveragePool", "Pad", "Resize", "Upsample"};
  return ops;
}

namespace {

const std::set<std::string> kQonnxDomains = {"qonnx.custom_op.general", "finn.custom_op.general",
                                              "onnx.brevitas", "finn", "qonnx"};
const std::set<std::string> kQonnxOps = {"Quant", "BipolarQuant", "Trunc"};

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

template <class T>
void append_raw(const std::string& raw, std::vector<double>& out, const std::string& src, const std::string& name) {
  if (raw.size() % sizeof(T) != 0)
    throw Error(src, "initializer '" + name + "': raw_data size " + std::to_string(raw.size()) +
                         " is not a multiple of the element size");
  size_t n = raw.size() / sizeof(T);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * sizeof(T), sizeof(T));
    out.push_back(double(v));
  }
}

double half_to_double(uint16_t h) {
  int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(m + 1024, e - 25);
  return s ? -v : v;
}

/// TensorProto → constant Tensor (full shape, values as double).
Tensor to_tensor(const onnx::TensorProto& t, const std::string& src, const std::string& name) {
  Tensor out;
  out.name = name;
  out.is_const = true;
  out.known_shape = true;
  for (auto d : t.dims()) out.shape.push_back(d);
  if (checked_num_elements(out.shape) < 0)
    throw Error(src, "tensor '" + name + "' has shape " + shape_str(out.shape) +
                         ": negative, or more than 2^24 elements (nanogate's limit)");
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw Error(src, "tensor '" + name + "' uses external data, which nanogate does not read");
  const std::string& raw = t.raw_data();
  auto& v = out.values;
  using TP = onnx::TensorProto;
  switch (t.data_type()) {
    case TP::FLOAT:
      if (!raw.empty()) append_raw<float>(raw, v, src, name);
      else for (float f : t.float_data()) v.push_back(f);
      break;
    case TP::DOUBLE:
      if (!raw.empty()) append_raw<double>(raw, v, src, name);
      else for (double f : t.double_data()) v.push_back(f);
      break;
    case TP::INT64:
      if (!raw.empty()) append_raw<int64_t>(raw, v, src, name);
      else for (auto f : t.int64_data()) v.push_back(double(f));
      break;
    case TP::INT32:
      if (!raw.empty()) append_raw<int32_t>(raw, v, src, name);
      else for (auto f : t.int32_data()) v.push_back(f);
      break;
    case TP::INT16:
      if (!raw.empty()) append_raw<int16_t>(raw, v, src, name);
      else for (auto f : t.int32_data()) v.push_back(f);
      break;
    case TP::INT8:
      if (!raw.empty()) append_raw<int8_t>(raw, v, src, name);
      else for (auto f : t.int32_data()) v.push_back(f);
      break;
    case TP::UINT8:
    case TP::BOOL:
      if (!raw.empty()) append_raw<uint8_t>(raw, v, src, name);
      else for (auto f : t.int32_data()) v.push_back(f);
      break;
    case TP::UINT16:
      if (!raw.empty()) append_raw<uint16_t>(raw, v, src, name);
      else for (auto f : t.int32_data()) v.push_back(f);
      break;
    case TP::FLOAT16: {
      std::vector<double> bits;
      if (!raw.empty()) append_raw<uint16_t>(raw, bits, src, name);
      else for (auto f : t.int32_data()) bits.push_back(f);
      for (double b : bits) v.push_back(half_to_double(uint16_t(b)));
      break;
    }
    default:
      throw Error(src, "tensor '" + name + "' has unsupported data type " + std::to_string(t.data_type()));
  }
  int64_t n = num_elements(out.shape);
  if (int64_t(v.size()) != n)
    throw Error(src, "tensor '" + name + "' holds " + std::to_string(v.size()) + " values but its shape " +
                         shape_str(out.shape) + " needs " + std::to_string(n));
  return out;
}

Attr to_attr(const onnx::AttributeProto& a, const std::string& src, const std::string& node, const std::string& op) {
  using AP = onnx::AttributeProto;
  switch (a.type()) {
    case AP::INT: return int64_t(a.i());
    case AP::FLOAT: return double(a.f());
    case AP::STRING: return a.s();
    case AP::INTS: return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case AP::FLOATS: return std::vector<double>(a.floats().begin(), a.floats().end());
    default:
      throw Error(src, node, op, "attribute '" + a.name() + "' has an unsupported kind " + std::to_string(a.type()));
  }
}

/// Before onnx's version converter, which dereferences names it cannot
/// resolve (a segfault in libonnx): every node input and graph output must be
/// a graph input, an initializer or an earlier node's output.
void check_wiring(const onnx::GraphProto& g, const std::string& src) {
  std::set<std::string> known;
  for (const auto& v : g.input()) known.insert(v.name());
  for (const auto& t : g.initializer()) known.insert(t.name());
  for (const auto& n : g.node()) {
    for (const auto& i : n.input())
      if (!i.empty() && !known.count(i))
        throw Error(src, n.name(), n.op_type(), "input '" + i + "' is not defined before this node");
    for (const auto& o : n.output()) known.insert(o);
  }
  for (const auto& o : g.output())
    if (!known.count(o.name())) throw Error(src, "graph output '" + o.name() + "' is not computed by any node");
}

/// ONNX graphs are in single static assignment form: no tensor is computed by
/// two nodes, or by a node and also given as a graph input or initializer.
/// (A structured-fuzz finding: two MaxPools writing one name gave its readers
/// two different shapes, and the emulator read past a buffer.)
void check_single_assignment(const onnx::GraphProto& g, const std::string& src) {
  std::set<std::string> given;
  for (const auto& v : g.input()) given.insert(v.name());
  for (const auto& t : g.initializer()) given.insert(t.name());
  std::set<std::string> computed;
  for (const auto& n : g.node())
    for (const auto& o : n.output()) {
      if (o.empty()) continue;
      if (given.count(o))
        throw Error(src, n.name(), n.op_type(), "output '" + o + "' is also a graph input or initializer");
      if (!computed.insert(o).second)
        throw Error(src, n.name(), n.op_type(),
                    "output '" + o + "' is computed by an earlier node too (ONNX graphs assign each tensor once)");
    }
}

/// Every tensor the graph carries (initializers, tensor attributes) holds as
/// many values as its shape says, of a data type nanogate reads (to_tensor's
/// checks), and no node has a subgraph or a sparse tensor. onnx's shape
/// inference trusts all of these: an INT64 initializer of one element with 12
/// bytes of raw_data overflowed the heap in libonnx's ParseData (a
/// structured-fuzz finding, opset 5), so the old-opset path runs this first.
void check_tensors(const onnx::GraphProto& g, const std::string& src) {
  for (const auto& t : g.initializer()) to_tensor(t, src, t.name());
  if (g.sparse_initializer_size())
    throw Error(src, "has sparse initializers, which nanogate does not read");
  for (const auto& n : g.node())
    for (const auto& a : n.attribute()) {
      if (a.has_t()) to_tensor(a.t(), src, a.t().name().empty() ? n.name() + "." + a.name() : a.t().name());
      for (const auto& t : a.tensors()) to_tensor(t, src, n.name() + "." + a.name());
      if (a.has_g() || a.graphs_size() || a.has_sparse_tensor() || a.sparse_tensors_size())
        throw Error(src, n.name(), n.op_type(),
                    "attribute '" + a.name() + "' is a subgraph or a sparse tensor, which nanogate does not read");
    }
}

/// Every default-domain node has as many inputs and outputs as its operator's
/// schema allows at the model's opset (onnx's OpSchemaRegistry; optional ones
/// given as empty names count). nanogate reads the inputs an op defines, so
/// an extra one would be ignored silently (a structured-fuzz input: a
/// LeakyRelu with a second, alpha-like tensor ran as alpha 0.01).
void check_arity(const onnx::GraphProto& g, int64_t opset, const std::string& src) {
  if (opset < 1) return;
  int idx = -1;
  for (const auto& n : g.node()) {
    ++idx;
    if (!is_default_domain(n.domain())) continue;
    // the name the graph gives an unnamed node (load_onnx_bytes)
    const std::string name = n.name().empty() ? n.op_type() + "_" + std::to_string(idx) : n.name();
    const onnx::OpSchema* s = onnx::OpSchemaRegistry::Schema(n.op_type(), int(opset), "");
    if (!s) continue;  // an op unknown at this opset: the op checks name it
    const int ni = n.input_size(), no = n.output_size();
    if (ni < s->min_input() || ni > s->max_input())
      throw Error(src, name, n.op_type(),
                  "has " + std::to_string(ni) + " inputs; " + n.op_type() + " (opset " + std::to_string(opset) +
                      ") takes " + std::to_string(s->min_input()) +
                      (s->max_input() == s->min_input() ? std::string() : " to " + std::to_string(s->max_input())));
    if (no < s->min_output() || no > s->max_output())
      throw Error(src, name, n.op_type(),
                  "has " + std::to_string(no) + " outputs; " + n.op_type() + " (opset " + std::to_string(opset) +
                      ") gives " + std::to_string(s->min_output()) +
                      (s->max_output() == s->min_output() ? std::string() : " to " + std::to_string(s->max_output())));
  }
}

}  // namespace

Graph load_onnx_bytes(const std::string& bytes, const std::string& src) {
  if (bytes.empty()) throw Error(src, "empty file, not an ONNX model");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    throw Error(src, "not a valid ONNX model (protobuf parsing failed: the file is truncated, corrupt or not ONNX)");
  if (!model.has_graph() || model.graph().node_size() == 0)
    throw Error(src, "not a valid ONNX model (no graph or no nodes)");

  check_single_assignment(model.graph(), src);
  int64_t opset = -1;
  for (auto& o : model.opset_import())
    if (is_default_domain(o.domain())) opset = o.version();
  if (opset == -1 && model.opset_import_size() == 0)
    throw Error(src, "not a valid ONNX model (no opset_import)");
  if (opset != -1 && opset < 7) {  // lifted by onnx's own version converter (its adapters define the semantics)
    try {
      // The converter trusts its input (it dereferences undefined names: a segfault in libonnx), so
      // the model must be wired and pass onnx's own checker first (a ValidationError, caught below).
      check_wiring(model.graph(), src);
      check_tensors(model.graph(), src);
      onnx::checker::check_model(model);
      onnx::shape_inference::InferShapes(model);  // the converter's adapters need every input's shape
      model = onnx::version_conversion::ConvertVersion(model, 7);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(src, "ONNX opset " + std::to_string(opset) +
                           " is older than nanogate reads (7 to 21) and onnx's version converter cannot lift it to "
                           "opset 7: " + e.what());
    }
    opset = 7;
  }
  if (opset != -1 && opset > 21)
    throw Error(src, "ONNX opset " + std::to_string(opset) + " is not supported (nanogate reads opsets 7 to 21; "
                     "older ones through onnx's version converter)");

  const auto& g = model.graph();
  check_arity(g, opset, src);
  Graph graph;
  graph.source = src;
  std::set<std::string> init_names;
  for (auto& t : g.initializer()) {
    graph.tensors[t.name()] = to_tensor(t, src, t.name());
    init_names.insert(t.name());
  }
  for (auto& in : g.input()) {
    if (init_names.count(in.name())) continue;
    Tensor t;
    t.name = in.name();
    const auto& tt = in.type().tensor_type();
    if (!in.type().has_tensor_type() || !tt.has_shape())
      throw Error(src, "graph input '" + in.name() + "' has no tensor shape");
    int rank = tt.shape().dim_size();
    if (rank < 1) throw Error(src, "graph input '" + in.name() + "' is a scalar; the first dimension must be the batch");
    for (int i = 1; i < rank; ++i) {
      const auto& d = tt.shape().dim(i);
      if (!d.has_dim_value() || d.dim_value() <= 0)
        throw Error(src, "graph input '" + in.name() + "' has a symbolic or zero dimension " + std::to_string(i) +
                             " (only the first, batch dimension may be symbolic)");
      t.shape.push_back(d.dim_value());
    }
    if (checked_num_elements(t.shape) < 0)
      throw Error(src, "graph input '" + in.name() + "' has shape " + shape_str(t.shape) +
                           ": more than 2^24 values per event (nanogate's limit)");
    t.known_shape = true;
    graph.inputs.push_back(t.name);
    graph.tensors[t.name] = t;
  }
  for (auto& out : g.output()) graph.outputs.push_back(out.name());
  if (graph.inputs.empty()) throw Error(src, "the graph has no non-constant input");

  const auto& ops = supported_onnx_ops();
  std::set<std::string> names;
  int idx = 0;
  for (auto& np : g.node()) {
    Node n;
    n.op = np.op_type();
    n.domain = np.domain();
    n.name = np.name().empty() ? n.op + "_" + std::to_string(idx) : np.name();
    while (names.count(n.name)) n.name += "_" + std::to_string(idx);
    names.insert(n.name);
    ++idx;
    if (kQonnxOps.count(n.op)) {
      if (!kQonnxDomains.count(n.domain) && !n.domain.starts_with("qonnx.") && !n.domain.starts_with("finn."))
        throw Error(src, n.name, n.op, "QONNX op under unknown domain '" + n.domain + "'");
      graph.quantized = true;
    } else if (!is_default_domain(n.domain)) {
      throw Error(src, n.name, n.op, "unsupported op '" + n.op + "' in domain '" + n.domain + "'");
    } else if (std::find(ops.begin(), ops.end(), n.op) == ops.end()) {
      std::string list;
      for (auto& o : ops) list += (list.empty() ? "" : ", ") + o;
      throw Error(src, n.name, n.op, "unsupported op '" + n.op + "' (supported: " + list + ", Quant, BipolarQuant, Trunc)");
    }
    for (auto& i : np.input()) n.inputs.push_back(i);
    for (auto& o : np.output()) n.outputs.push_back(o);
    for (auto& a : np.attribute()) {
      if (n.op == "Constant" && a.name() == "value") {
        if (n.outputs.size() != 1) throw Error(src, n.name, n.op, "Constant must have one output");
        graph.tensors[n.outputs[0]] = to_tensor(a.t(), src, n.outputs[0]);
        continue;
      }
      if (a.type() == onnx::AttributeProto::TENSOR)
        throw Error(src, n.name, n.op, "tensor attribute '" + a.name() + "' is not supported");
      n.attrs[a.name()] = to_attr(a, src, n.name, n.op);
    }
    if (n.op == "Constant") {
      if (n.outputs.empty() || !graph.tensors.count(n.outputs[0]))
        throw Error(src, n.name, n.op, "Constant without a 'value' tensor attribute is not supported");
      continue;  // already a constant tensor
    }
    if (n.op == "Softmax") n.attrs["_opset"] = int64_t(opset == -1 ? 13 : opset);
    for (auto& o : n.outputs) {
      Tensor t;
      t.name = o;
      graph.tensors.emplace(o, t);
    }
    for (auto& i : n.inputs)
      if (!i.empty() && !graph.tensors.count(i))
        throw Error(src, n.name, n.op, "input '" + i + "' is not produced by any earlier node (graph not topologically sorted?)");
    graph.nodes.push_back(std::move(n));
  }
  for (auto& o : graph.outputs)
    if (!graph.tensors.count(o)) throw Error(src, "graph output '" + o + "' is not produced by any node");
  return graph;
}

Graph load_onnx(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, "cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return load_onnx_bytes(ss.str(), path);
}

}  // namespace nanogate
