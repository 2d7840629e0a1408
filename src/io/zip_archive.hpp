// nanogate — reading entries of a zip archive (Keras 3 `.keras` files), over
// Debian's libzip. Private to the library (src/io).
#pragma once

#include <optional>
#include <string>

namespace nanogate::zip {

/// True when `bytes` begin with a zip local-file signature ("PK\3\4").
bool has_zip_signature(const std::string& bytes);

/// The uncompressed bytes of entry `name` of the zip file at `path`, or
/// nullopt when the archive has no such entry. Throws nanogate::Error
/// naming `source` when the file is not a readable zip, or when the entry is
/// larger than `max_bytes` (uncompressed) or cannot be inflated.
std::optional<std::string> read_entry(const std::string& path, const std::string& name, const std::string& source,
                                      size_t max_bytes = size_t(1) << 31);

}  // namespace nanogate::zip
