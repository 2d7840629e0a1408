// nanogate — layer graph helpers (see include/nanogate/graph.hpp).
#include "nanogate/graph.hpp"

#include "nanogate/error.hpp"

namespace nanogate {

int64_t num_elements(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

int64_t checked_num_elements(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) return -1;
    if (d == 0) return n = 0, 0;
    if (n > kMaxTensorElements / d) return -1;
    n *= d;
  }
  return n;
}

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

namespace {
template <class T>
const T* get_attr(const Node& n, const std::string& k, const char* kind) {
  auto it = n.attrs.find(k);
  if (it == n.attrs.end()) return nullptr;
  if (auto* v = std::get_if<T>(&it->second)) return v;
  throw Error("", n.name, n.op, "attribute '" + k + "' is not " + kind);
}
}  // namespace

int64_t Node::attr_int(const std::string& k, int64_t dflt) const {
  auto* v = get_attr<int64_t>(*this, k, "an integer");
  return v ? *v : dflt;
}
double Node::attr_float(const std::string& k, double dflt) const {
  auto it = attrs.find(k);
  if (it != attrs.end())
    if (auto* i = std::get_if<int64_t>(&it->second)) return double(*i);
  auto* v = get_attr<double>(*this, k, "a float");
  return v ? *v : dflt;
}
std::string Node::attr_str(const std::string& k, const std::string& dflt) const {
  auto* v = get_attr<std::string>(*this, k, "a string");
  return v ? *v : dflt;
}
std::vector<int64_t> Node::attr_ints(const std::string& k, const std::vector<int64_t>& dflt) const {
  auto* v = get_attr<std::vector<int64_t>>(*this, k, "a list of integers");
  return v ? *v : dflt;
}

Tensor& Graph::tensor(const std::string& name) {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(source, "unknown tensor '" + name + "'");
  return it->second;
}
const Tensor& Graph::tensor(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error(source, "unknown tensor '" + name + "'");
  return it->second;
}
const Node* Graph::producer(const std::string& t) const {
  for (auto& n : nodes)
    for (auto& o : n.outputs)
      if (o == t) return &n;
  return nullptr;
}
std::vector<const Node*> Graph::consumers(const std::string& t) const {
  std::vector<const Node*> r;
  for (auto& n : nodes)
    for (auto& i : n.inputs)
      if (i == t) {
        r.push_back(&n);
        break;
      }
  return r;
}
Node* Graph::find_node(const std::string& name) {
  for (auto& n : nodes)
    if (n.name == name) return &n;
  return nullptr;
}

std::string Graph::add_activation(const std::string& name, Shape shape) {
  std::string nm = name;
  while (has_tensor(nm)) nm += "_";
  Tensor t;
  t.name = nm;
  t.shape = std::move(shape);
  t.known_shape = true;
  tensors[nm] = std::move(t);
  return nm;
}

std::string Graph::add_constant(const std::string& name, Shape shape, std::vector<double> values) {
  const std::string nm = add_activation(name, std::move(shape));
  Tensor& t = tensors[nm];
  t.is_const = true;
  t.values = std::move(values);
  return nm;
}

}  // namespace nanogate
