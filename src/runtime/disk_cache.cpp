#include "disk_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "anneal/support/atomic_file.h"
#include "anneal/support/error.h"

namespace anneal::disk_cache {

const std::string& root() {
  static const std::string dir = [] {
    if (const char* d = std::getenv("ANNEAL_CACHE_DIR"); d && *d) return std::string(d);
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/anneal";
    return std::string(std::getenv("HOME") ? std::getenv("HOME") : "/tmp") + "/.cache/anneal";
  }();
  return dir;
}

void make_dirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i)
    if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
}

std::optional<std::string> read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write(const std::string& path, const std::string& bytes) { write_file_atomically(path, "cache", bytes); }

}  // namespace anneal::disk_cache
