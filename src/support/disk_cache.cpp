#include "anneal/support/disk_cache.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "anneal/support/atomic_file.h"
#include "anneal/support/error.h"
#include "anneal/support/settings.h"

namespace anneal::disk_cache {
namespace {

// Once per process: the cache is a convenience, and one line is enough to say it is off.
void warn_once(const std::string& what) {
  static std::once_flag said;
  std::call_once(said, [&] { std::fprintf(stderr, "warning: %s; running without that cache\n", what.c_str()); });
}

bool writable_folder(const std::string& path) {
  make_dirs(path);
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || ::access(path.c_str(), W_OK) != 0) return false;
  // access() says yes to root on a read-only file system: try a file.
  const std::string probe = temporary_path_for(path + "/.probe");
  const bool ok = bool(std::ofstream(probe));
  std::remove(probe.c_str());
  return ok;
}

// This process's stand-in for an unusable cache folder, removed at exit. Immortal: the exit handler
// must still find the name after static destructors have run.
const std::string& private_root() {
  static const std::string& dir = [] () -> const std::string& {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/anneal-nocache-XXXXXX";
    if (!::mkdtemp(templ.data())) throw Error("cache: no usable cache folder and no temporary folder (" + templ + ")");
    const std::string& made = *new std::string(templ);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(private_root(), ignored);
    });
    return made;
  }();
  return dir;
}

}  // namespace

const std::string& root() {
  static const std::string dir = [] {
    if (std::string d = settings::cache_dir.get(); !d.empty()) return d;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/anneal";
    return std::string(std::getenv("HOME") ? std::getenv("HOME") : "/tmp") + "/.cache/anneal";
  }();
  return dir;
}

std::string folder(const std::string& sub) {
  static std::mutex mu;
  static auto& decided = *new std::map<std::string, std::string>();  // sub -> folder, probed once
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = decided.find(sub); it != decided.end()) return it->second;
  std::string chosen = root() + "/" + sub;
  if (!writable_folder(chosen)) chosen = stand_in_folder(sub, "the cache folder " + chosen + " cannot be written");
  return decided.emplace(sub, chosen).first->second;
}

std::string stand_in_folder(const std::string& sub, const std::string& why) {
  warn_once(why);
  const std::string dir = private_root() + "/" + sub;
  make_dirs(dir);
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

void write(const std::string& path, const std::string& bytes) {
  try {
    write_file_atomically(path, "cache", bytes);
  } catch (const Error& e) {
    warn_once(e.what());
  }
}

}  // namespace anneal::disk_cache
