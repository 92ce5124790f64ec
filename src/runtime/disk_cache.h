// The on-disk cache shared by the backends (compiled kernels) and io (downloaded assets): $ANNEAL_CACHE_DIR, else
// $XDG_CACHE_HOME/anneal, else ~/.cache/anneal, one subfolder per backend.
#pragma once
#include <optional>
#include <string>

namespace anneal::disk_cache {

const std::string& root();
void make_dirs(const std::string& path);
std::optional<std::string> read(const std::string& path);
// Writes through a temporary file and a rename, so readers never see half a file.
void write(const std::string& path, const std::string& bytes);

}  // namespace anneal::disk_cache
