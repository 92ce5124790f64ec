#include "anneal/support/atomic_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>

#include "anneal/support/error.h"

namespace anneal {
namespace {

constexpr const char* kMarker = ".tmp.";

std::string folder_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The pid in a temporary's name (`<target>.tmp.<pid>.<n>`), or 0 when the name is not one.
pid_t writer_pid(const std::string& name) {
  const size_t at = name.rfind(kMarker);
  if (at == std::string::npos) return 0;
  const char* digits = name.c_str() + at + std::char_traits<char>::length(kMarker);
  char* end = nullptr;
  const long pid = std::strtol(digits, &end, 10);
  if (end == digits || (*end != '.' && *end != '\0') || pid <= 0) return 0;
  return pid_t(pid);
}

// Flushes a file or folder to the disk; the rename that publishes a file is durable only once the
// file's data and then its folder are synced.
void sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return;  // nothing to sync (a folder we may not open): the rename is still atomic
  ::fsync(fd);
  ::close(fd);
}

// The first write into a folder, in each process, sweeps the orphans of killed writers.
void sweep_once(const std::string& folder) {
  static std::mutex mu;
  static auto& swept = *new std::set<std::string>();
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!swept.insert(folder).second) return;
  }
  remove_orphaned_temporaries(folder);
}

}  // namespace

std::string temporary_path_for(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + kMarker + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

int remove_orphaned_temporaries(const std::string& folder) {
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return 0;
  int removed = 0;
  const pid_t self = ::getpid();
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    const pid_t pid = writer_pid(name);
    // A live process (ours included: another thread) may still be writing it; EPERM means alive too.
    if (pid == 0 || pid == self || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (std::remove((folder + "/" + name).c_str()) == 0) ++removed;
  }
  ::closedir(dir);
  return removed;
}

void write_file_atomically(const std::string& path, const std::string& what,
                           FunctionRef<void(const std::string& tmp_path)> write) {
  const std::string folder = folder_of(path);
  sweep_once(folder);
  const std::string tmp = temporary_path_for(path);
  try {
    write(tmp);
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  sync_path(tmp, O_RDONLY);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(what + ": cannot move the new file into " + path);
  }
  sync_path(folder, O_RDONLY | O_DIRECTORY);
}

void write_file_atomically(const std::string& path, const std::string& what, const std::string& bytes) {
  write_file_atomically(path, what, [&](const std::string& tmp) {
    std::ofstream f(tmp, std::ios::binary);
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.flush();
    if (!f) throw Error(what + ": cannot write " + tmp);
  });
}

}  // namespace anneal
