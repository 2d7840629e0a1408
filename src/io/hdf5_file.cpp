// nanogate — read-only HDF5 access over libhdf5's C API (hdf5_file.hpp).
#include "io/hdf5_file.hpp"

#include <hdf5.h>

#include <cstring>

#include "nanogate/error.hpp"

namespace nanogate::h5 {

namespace {

/// Closes an HDF5 handle on scope exit.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~Handle() {
    if (id >= 0) close(id);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

void quiet() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

constexpr int64_t kMaxElements = int64_t(1) << 26;  // 512 MB of doubles: far beyond any trigger model

std::vector<int64_t> dims_of(hid_t space, const std::string& src, const std::string& what) {
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > 32) throw Error(src, what + ": unreadable dataspace");
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space, d.data(), nullptr) < 0)
    throw Error(src, what + ": unreadable dataspace");
  std::vector<int64_t> out;
  int64_t n = 1;
  for (hsize_t x : d) {
    if (x > hsize_t(kMaxElements) || (n *= int64_t(x)) > kMaxElements)
      throw Error(src, what + ": more than 2^26 elements");
    out.push_back(int64_t(x));
  }
  return out;
}

int64_t count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

/// Reads the strings of an attribute (fixed or variable length).
std::vector<std::string> read_strings(hid_t attr, const std::string& src, const std::string& what) {
  Handle type(H5Aget_type(attr), H5Tclose);
  Handle space(H5Aget_space(attr), H5Sclose);
  int64_t n = count(dims_of(space.id, src, what));
  std::vector<std::string> out;
  if (n == 0 && H5Sget_simple_extent_ndims(space.id) > 0) return out;  // h5py writes [] as an empty float array
  if (type.id < 0 || H5Tget_class(type.id) != H5T_STRING) throw Error(src, what + " is not a string attribute");
  if (H5Tis_variable_str(type.id) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.id, H5T_VARIABLE);
    H5Tset_cset(mem.id, H5Tget_cset(type.id));
    std::vector<char*> buf(size_t(n), nullptr);
    if (H5Aread(attr, mem.id, buf.data()) < 0) throw Error(src, what + ": unreadable string attribute");
    for (char* s : buf) out.emplace_back(s ? s : "");
    H5Dvlen_reclaim(mem.id, space.id, H5P_DEFAULT, buf.data());
  } else {
    size_t sz = H5Tget_size(type.id);
    if (sz == 0 || sz > (size_t(1) << 30) / size_t(std::max<int64_t>(n, 1)))
      throw Error(src, what + ": string attribute too large");
    std::vector<char> buf(sz * size_t(n) + 1, 0);
    if (H5Aread(attr, type.id, buf.data()) < 0) throw Error(src, what + ": unreadable string attribute");
    for (int64_t i = 0; i < n; ++i) {
      const char* p = buf.data() + size_t(i) * sz;
      out.emplace_back(p, strnlen(p, sz));
    }
  }
  return out;
}

}  // namespace

bool has_hdf5_signature(const std::string& b) { return b.size() >= 8 && std::memcmp(b.data(), "\x89HDF\r\n\x1a\n", 8) == 0; }

File File::open(const std::string& path, const std::string& source) {
  quiet();
  File f;
  f.source_ = source;
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw Error(source, "not a readable HDF5 file (missing, truncated or corrupt)");
  f.id_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f.id_ < 0) throw Error(source, "not a readable HDF5 file (truncated or corrupt)");
  return f;
}

File File::from_memory(std::string bytes, const std::string& source) {
  quiet();
  File f;
  f.source_ = source;
  f.image_ = std::move(bytes);
  if (!has_hdf5_signature(f.image_)) throw Error(source, "not an HDF5 file (no HDF5 signature)");
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_core(fapl.id, 1 << 16, 0);
  if (H5Pset_file_image(fapl.id, f.image_.data(), f.image_.size()) < 0)
    throw Error(source, "cannot read the HDF5 image");
  f.id_ = H5Fopen(source.c_str(), H5F_ACC_RDONLY, fapl.id);
  if (f.id_ < 0) throw Error(source, "not a readable HDF5 file (truncated or corrupt)");
  return f;
}

File::File(File&& o) noexcept : id_(o.id_), source_(std::move(o.source_)), image_(std::move(o.image_)) { o.id_ = -1; }
File& File::operator=(File&& o) noexcept {
  std::swap(id_, o.id_);
  std::swap(source_, o.source_);
  std::swap(image_, o.image_);
  return *this;
}
File::~File() {
  if (id_ >= 0) H5Fclose(id_);
}

bool File::exists(const std::string& path) const {
  if (path == "/" || path.empty()) return true;
  // Every prefix must exist before H5Oexists_by_name may be asked.
  size_t pos = 0;
  while ((pos = path.find('/', pos + 1)) != std::string::npos) {
    std::string pre = path.substr(0, pos);
    if (H5Lexists(id_, pre.c_str(), H5P_DEFAULT) <= 0) return false;
  }
  return H5Lexists(id_, path.c_str(), H5P_DEFAULT) > 0 && H5Oexists_by_name(id_, path.c_str(), H5P_DEFAULT) > 0;
}

bool File::is_group(const std::string& path) const {
  if (!exists(path)) return false;
  if (path == "/" || path.empty()) return true;
  Handle o(H5Oopen(id_, path.c_str(), H5P_DEFAULT), H5Oclose);
  return o.id >= 0 && H5Iget_type(o.id) == H5I_GROUP;
}

std::vector<std::string> File::children(const std::string& path) const {
  if (!is_group(path)) throw Error(source_, "HDF5 group '" + path + "' is missing");
  Handle g(H5Gopen2(id_, path.c_str(), H5P_DEFAULT), H5Gclose);
  std::vector<std::string> out;
  auto cb = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
  };
  hsize_t idx = 0;
  if (H5Literate(g.id, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, cb, &out) < 0) {
    out.clear();
    idx = 0;
    if (H5Literate(g.id, H5_INDEX_NAME, H5_ITER_INC, &idx, cb, &out) < 0)
      throw Error(source_, "HDF5 group '" + path + "' cannot be listed");
  }
  return out;
}

bool File::has_attr(const std::string& path, const std::string& name) const {
  return exists(path) && H5Aexists_by_name(id_, path.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> File::attr_strings(const std::string& path, const std::string& name) const {
  std::string what = "HDF5 attribute '" + path + "@" + name + "'";
  if (!has_attr(path, name)) throw Error(source_, what + " is missing");
  Handle a(H5Aopen_by_name(id_, path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a.id < 0) throw Error(source_, what + " cannot be opened");
  return read_strings(a.id, source_, what);
}

std::string File::attr_string(const std::string& path, const std::string& name) const {
  auto v = attr_strings(path, name);
  if (v.size() != 1) throw Error(source_, "HDF5 attribute '" + path + "@" + name + "' is not a single string");
  return v[0];
}

Dataset File::read(const std::string& path) const {
  std::string what = "HDF5 dataset '" + path + "'";
  if (!exists(path) || is_group(path)) throw Error(source_, what + " is missing");
  Handle d(H5Dopen2(id_, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (d.id < 0) throw Error(source_, what + " cannot be opened");
  Handle type(H5Dget_type(d.id), H5Tclose);
  H5T_class_t cls = H5Tget_class(type.id);
  if (cls != H5T_FLOAT && cls != H5T_INTEGER) throw Error(source_, what + " is not numeric");
  Handle space(H5Dget_space(d.id), H5Sclose);
  Dataset out;
  out.integer = cls == H5T_INTEGER;
  out.shape = dims_of(space.id, source_, what);
  out.values.resize(size_t(count(out.shape)));
  if (!out.values.empty() && H5Dread(d.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0)
    throw Error(source_, what + " cannot be read (truncated file?)");
  return out;
}

}  // namespace nanogate::h5
