// nanogate fuzzing — the structured ONNX mutator (onnx_mutator.hpp).
#include "onnx_mutator.hpp"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "nanogate/frontend/onnx.hpp"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace nanogate::fuzz {

namespace {

using Rng = std::mt19937;

const int64_t kInts[] = {0, 1, -1, 2, -2, 3, 4, 7, 8, 16, 63, 64, 65, 1000, int64_t(1) << 20, int64_t(1) << 31,
                         -(int64_t(1) << 31), int64_t(1) << 40, std::numeric_limits<int64_t>::max(),
                         std::numeric_limits<int64_t>::min()};
const float kFloats[] = {0.f, -0.f, 1.f, -1.f, 0.5f, 2.f, 3.f, 1e-30f, 1e30f, 65536.f, 0.1f,
                         std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                         -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min()};
const char* const kAttrNames[] = {"axis", "axes", "perm", "kernel_shape", "strides", "pads", "dilations", "group",
                                  "alpha", "beta", "transA", "transB", "keepdims", "signed", "narrow",
                                  "rounding_mode", "epsilon", "mode", "to", "ceil_mode", "auto_pad",
                                  "count_include_pad", "shape", "value", "split", "starts", "ends"};
const char* const kStrings[] = {"", "ROUND", "FLOOR", "CEIL", "ROUND_TO_ZERO", "HALF_EVEN", "SAME_UPPER",
                                "SAME_LOWER", "VALID", "NOTSET", "nearest", "linear", "constant", "reflect"};

template <class T, size_t N>
const T& pick(const T (&a)[N], Rng& rng) {
  return a[rng() % N];
}

int64_t interesting_int(Rng& rng, int64_t old) {
  switch (rng() % 4) {
    case 0: return int64_t(uint64_t(old) + 1);  // wrapping: the mutator itself must be free of UB
    case 1: return int64_t(uint64_t(old) - 1);
    case 2: return int64_t(0 - uint64_t(old));
    default: return pick(kInts, rng);
  }
}

void mutate_ints(google::protobuf::RepeatedField<int64_t>& v, Rng& rng) {
  const unsigned what = rng() % 4;
  if (what == 0 || v.empty()) v.Add(pick(kInts, rng));
  else if (what == 1) v.RemoveLast();
  else if (what == 2 && v.size() > 1) v.SwapElements(int(rng() % unsigned(v.size())), int(rng() % unsigned(v.size())));
  else {
    const int i = int(rng() % unsigned(v.size()));
    v.Set(i, interesting_int(rng, v.Get(i)));
  }
}

void mutate_attribute(onnx::NodeProto& node, Rng& rng) {
  if (node.attribute_size() == 0 || rng() % 4 == 0) {  // add one, of a random kind
    auto* a = node.add_attribute();
    a->set_name(pick(kAttrNames, rng));
    switch (rng() % 4) {
      case 0: a->set_type(onnx::AttributeProto::INT), a->set_i(pick(kInts, rng)); break;
      case 1: a->set_type(onnx::AttributeProto::FLOAT), a->set_f(pick(kFloats, rng)); break;
      case 2: a->set_type(onnx::AttributeProto::STRING), a->set_s(pick(kStrings, rng)); break;
      default: a->set_type(onnx::AttributeProto::INTS), a->add_ints(pick(kInts, rng)), a->add_ints(pick(kInts, rng));
    }
    return;
  }
  const int ai = int(rng() % unsigned(node.attribute_size()));
  auto& a = *node.mutable_attribute(ai);
  if (rng() % 8 == 0) {  // the wrong kind for its name, or dropped
    if (rng() % 2) node.mutable_attribute()->DeleteSubrange(ai, 1);
    else a.set_type(onnx::AttributeProto::AttributeType(rng() % 12));
    return;
  }
  switch (a.type()) {
    case onnx::AttributeProto::INT: a.set_i(interesting_int(rng, a.i())); break;
    case onnx::AttributeProto::FLOAT: a.set_f(rng() % 2 ? pick(kFloats, rng) : a.f() * -2.f); break;
    case onnx::AttributeProto::STRING: a.set_s(pick(kStrings, rng)); break;
    case onnx::AttributeProto::INTS: mutate_ints(*a.mutable_ints(), rng); break;
    case onnx::AttributeProto::FLOATS:
      if (a.floats_size()) a.set_floats(int(rng() % unsigned(a.floats_size())), pick(kFloats, rng));
      else a.add_floats(pick(kFloats, rng));
      break;
    default: a.set_i(pick(kInts, rng)), a.set_type(onnx::AttributeProto::INT);
  }
}

void mutate_shape(onnx::TensorShapeProto& s, Rng& rng) {
  const unsigned what = rng() % 5;
  if (what == 0 || s.dim_size() == 0) s.add_dim()->set_dim_value(pick(kInts, rng));
  else if (what == 1) s.mutable_dim()->RemoveLast();
  else if (what == 2) s.mutable_dim(int(rng() % unsigned(s.dim_size())))->set_dim_param("N");
  else {
    auto* d = s.mutable_dim(int(rng() % unsigned(s.dim_size())));
    d->set_dim_value(interesting_int(rng, d->dim_value()));
  }
}

void mutate_value_info(onnx::GraphProto& g, Rng& rng) {
  const int n = g.input_size() + g.output_size() + g.value_info_size();
  if (n == 0) return;
  int i = int(rng() % unsigned(n));
  onnx::ValueInfoProto* v = i < g.input_size() ? g.mutable_input(i)
                            : (i -= g.input_size()) < g.output_size() ? g.mutable_output(i)
                                                                        : g.mutable_value_info(i - g.output_size());
  auto* t = v->mutable_type()->mutable_tensor_type();
  if (rng() % 6 == 0) t->set_elem_type(int32_t(rng() % 18));
  else mutate_shape(*t->mutable_shape(), rng);
}

void mutate_initializer(onnx::GraphProto& g, Rng& rng) {
  if (g.initializer_size() == 0) return;
  auto& t = *g.mutable_initializer(int(rng() % unsigned(g.initializer_size())));
  switch (rng() % 5) {
    case 0: mutate_ints(*t.mutable_dims(), rng); break;
    case 1: t.set_data_type(int32_t(rng() % 18)); break;
    case 2: {  // one element of the values (raw float data, float_data or int64_data)
      if (t.float_data_size()) t.set_float_data(int(rng() % unsigned(t.float_data_size())), pick(kFloats, rng));
      else if (t.int64_data_size()) t.set_int64_data(int(rng() % unsigned(t.int64_data_size())), pick(kInts, rng));
      else if (t.raw_data().size() >= 4) {
        std::string raw = t.raw_data();
        const size_t at = (rng() % (raw.size() / 4)) * 4;
        const float f = pick(kFloats, rng);
        std::memcpy(&raw[at], &f, 4);
        t.set_raw_data(raw);
      }
      break;
    }
    case 3: {  // truncate or extend the raw data
      std::string raw = t.raw_data();
      raw.resize(rng() % 2 ? raw.size() / 2 : raw.size() + 4);
      t.set_raw_data(raw);
      break;
    }
    default:  // a scalar, or an empty tensor
      t.clear_dims();
      if (rng() % 2) t.add_dims(0);
  }
}

/// Every tensor name the graph mentions (inputs, initializers, node outputs).
std::vector<std::string> tensor_names(const onnx::GraphProto& g) {
  std::vector<std::string> names;
  for (const auto& v : g.input()) names.push_back(v.name());
  for (const auto& t : g.initializer()) names.push_back(t.name());
  for (const auto& n : g.node())
    for (const auto& o : n.output()) names.push_back(o);
  names.push_back("");
  return names;
}

void mutate_node(onnx::GraphProto& g, Rng& rng) {
  if (g.node_size() == 0) return;
  const int i = int(rng() % unsigned(g.node_size()));
  auto& n = *g.mutable_node(i);
  switch (rng() % 6) {
    case 0: {
      const auto& ops = supported_onnx_ops();
      n.set_op_type(ops[rng() % ops.size()]);
      break;
    }
    case 1: {  // rewire an input to another tensor
      const auto names = tensor_names(g);
      if (n.input_size()) n.set_input(int(rng() % unsigned(n.input_size())), names[rng() % names.size()]);
      break;
    }
    case 2:
      if (n.input_size()) n.mutable_input()->RemoveLast();
      else n.add_input(tensor_names(g)[0]);
      break;
    case 3: *g.add_node() = n; break;  // a duplicate (same outputs: two producers)
    case 4: g.mutable_node()->DeleteSubrange(i, 1); break;
    default: mutate_attribute(n, rng);
  }
}

void mutate_model(onnx::ModelProto& m, Rng& rng) {
  auto& g = *m.mutable_graph();
  switch (rng() % 8) {
    case 0:
    case 1:
    case 2:
      if (g.node_size()) mutate_attribute(*g.mutable_node(int(rng() % unsigned(g.node_size()))), rng);
      break;
    case 3: mutate_value_info(g, rng); break;
    case 4:
    case 5: mutate_initializer(g, rng); break;
    case 6: mutate_node(g, rng); break;
    default:
      if (m.opset_import_size()) m.mutable_opset_import(0)->set_version(int64_t(rng() % 24));
  }
}

}  // namespace

size_t mutate_onnx(uint8_t* data, size_t size, size_t max_size, unsigned seed) {
  Rng rng(seed);
  onnx::ModelProto m;
  if (rng() % 16 == 0 || !m.ParseFromArray(data, int(size)) || !m.has_graph())
    return LLVMFuzzerMutate(data, size, max_size);
  const unsigned steps = 1 + rng() % 3;
  for (unsigned s = 0; s < steps; ++s) mutate_model(m, rng);
  std::string out;
  if (!m.SerializeToString(&out) || out.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}

}  // namespace nanogate::fuzz
