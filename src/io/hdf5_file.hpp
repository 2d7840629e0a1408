// nanogate — a read-only view of an HDF5 file (Keras weights and full-model
// files), over Debian's libhdf5 C API. Private to the library (src/io).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nanogate::h5 {

/// A numeric dataset read into doubles, row-major, with its dims
/// (a scalar dataset has shape {}).
struct Dataset {
  std::vector<int64_t> shape;
  std::vector<double> values;
  bool integer = false;  ///< stored with an integer type (e.g. HGQ2's uint8 sign bit k)
  bool operator==(const Dataset&) const = default;
};

/// An open HDF5 file. Paths are HDF5 paths ("model_weights/fc1/fc1/kernel:0").
/// Every error is a nanogate::Error naming `source` and the object.
class File {
 public:
  /// Opens a file on disk. Throws nanogate::Error(source, ...) when it
  /// cannot be opened or is not HDF5 (truncated, corrupt).
  static File open(const std::string& path, const std::string& source);
  /// Opens an in-memory image (a `model.weights.h5` entry of a .keras zip).
  static File from_memory(std::string bytes, const std::string& source);

  /// True when `path` names a group or dataset ("/" is the root).
  bool exists(const std::string& path) const;
  bool is_group(const std::string& path) const;
  /// Names of a group's direct members, in the file's order (creation order
  /// when tracked, else by name). Throws when `path` is not a group.
  std::vector<std::string> children(const std::string& path) const;
  /// True when object `path` has attribute `name`.
  bool has_attr(const std::string& path, const std::string& name) const;
  /// A string attribute (fixed or variable length). Throws when missing or
  /// not a string.
  std::string attr_string(const std::string& path, const std::string& name) const;
  /// A string-array attribute (e.g. Keras' `weight_names`); a scalar string
  /// gives one element; an empty array gives {}. Throws when not strings.
  std::vector<std::string> attr_strings(const std::string& path, const std::string& name) const;
  /// A numeric dataset (any integer or float class) as doubles. Throws for
  /// a missing dataset, a non-numeric type, or more than 2^26 elements.
  Dataset read(const std::string& path) const;

  const std::string& source() const { return source_; }

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

 private:
  File() = default;
  int64_t id_ = -1;
  std::string source_;
  std::string image_;  // keeps an in-memory image alive
};

/// True when `bytes` begin with the HDF5 signature (\x89HDF\r\n\x1a\n).
bool has_hdf5_signature(const std::string& bytes);

}  // namespace nanogate::h5
