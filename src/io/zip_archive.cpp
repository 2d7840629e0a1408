// nanogate — zip entries through libzip (zip_archive.hpp).
#include "io/zip_archive.hpp"

#include <zip.h>

#include <cstring>
#include <memory>

#include "nanogate/error.hpp"

namespace nanogate::zip {

bool has_zip_signature(const std::string& b) { return b.size() >= 4 && std::memcmp(b.data(), "PK\3\4", 4) == 0; }

std::optional<std::string> read_entry(const std::string& path, const std::string& name, const std::string& source,
                                      size_t max_bytes) {
  int err = 0;
  std::unique_ptr<zip_t, int (*)(zip_t*)> z(zip_open(path.c_str(), ZIP_RDONLY, &err), zip_close);
  if (!z) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    std::string why = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw Error(source, "not a readable zip archive (" + why + ")");
  }
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat(z.get(), name.c_str(), 0, &st) != 0) return std::nullopt;
  if (!(st.valid & ZIP_STAT_SIZE) || st.size > max_bytes)
    throw Error(source, "zip entry '" + name + "' is too large or has no size");
  std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> f(zip_fopen(z.get(), name.c_str(), 0), zip_fclose);
  if (!f) throw Error(source, "zip entry '" + name + "' cannot be opened (" + zip_strerror(z.get()) + ")");
  std::string out(size_t(st.size), '\0');
  zip_int64_t got = out.empty() ? 0 : zip_fread(f.get(), out.data(), out.size());
  if (got < 0 || size_t(got) != out.size())
    throw Error(source, "zip entry '" + name + "' is truncated or corrupt");
  return out;
}

}  // namespace nanogate::zip
