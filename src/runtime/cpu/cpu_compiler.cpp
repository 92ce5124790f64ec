#include "anneal/runtime/cpu_compiler.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "anneal/support/atomic_file.h"
#include "anneal/support/error.h"
#include "anneal/support/hash.h"
#include "anneal/support/disk_cache.h"
#include "anneal/support/settings.h"

namespace anneal {
namespace {

// Runs a shell command; returns its exit status and combined output.
std::pair<int, std::string> run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "could not start: " + cmd};
  std::array<char, 4096> buf{};
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

bool on_path(const std::string& exe) { return run_command("command -v " + exe + " >/dev/null").first == 0; }

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string read_cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 1);
  return "unknown-cpu";
}

}  // namespace

CpuCompiler& CpuCompiler::instance() {
  static CpuCompiler c;
  return c;
}

CpuCompiler::CpuCompiler() {
  if (std::string env = settings::cc.get(); !env.empty()) cc_ = env;
  else if (on_path("clang")) cc_ = "clang";
  else if (on_path("gcc")) cc_ = "gcc";
  else cc_ = "cc";
  auto [status, out] = run_command(cc_ + " --version");
  if (status != 0) throw Error("CPU device: C compiler '" + cc_ + "' not usable (set ANNEAL_CC): " + first_line(out));
  version_ = first_line(out);
  flags_ = "-O2 -march=native -mprefer-vector-width=512 -fPIC -shared -fno-math-errno -ffp-contract=off -std=c11";
  cpu_model_ = read_cpu_model();
}

// Compiles `source` into the object `so`. The compiler writes under a temporary name: processes
// sharing the cache folder see either no object or a whole one.
void CpuCompiler::compile_into(const std::string& so, const std::string& source) const {
  write_file_atomically(so, "CPU compiler", [&](const std::string& tmp_so) {
    const std::string c_file = tmp_so + ".c";
    {
      std::ofstream f(c_file);
      f << source;
      if (!f) throw Error("CPU compiler: cannot write " + c_file);
    }
    auto [status, out] = run_command(cc_ + " " + flags_ + " -o '" + tmp_so + "' '" + c_file + "' -lm");
    std::remove(c_file.c_str());
    if (status != 0)
      throw Error("CPU compiler: " + cc_ + " failed (status " + std::to_string(status) + "):\n" + out + "\nsource:\n" + source);
  });
}

std::string CpuCompiler::cache_dir() const { return disk_cache::folder("cpu"); }

// Units of one program compile on several threads at once: the lock guards the table of loaded
// objects, not the compiler runs. Two threads compiling the same source both write it whole
// (write_file_atomically); the loader hands both the same handle.
std::vector<KernelFn> CpuCompiler::load(const std::string& source, const std::vector<std::string>& symbols) {
  static std::mutex mu;
  static std::unordered_map<std::string, void*> loaded;  // object path -> handle (never unloaded)
  Hasher h;
  for (const std::string* s : std::initializer_list<const std::string*>{&source, &flags_, &cc_, &version_, &cpu_model_})
    h.bytes(*s);
  const std::string key = to_hex(h.finish());
  const std::string cached = cache_dir() + "/" + key + ".so";
  std::string so = cached;
  void* handle = nullptr;
  {
    const std::lock_guard<std::mutex> lock(mu);
    handle = loaded[cached];
  }
  if (!handle) {
    if (access(so.c_str(), R_OK) != 0) {
      try {
        compile_into(so, source);
      } catch (const Error&) {
        // A cache folder that is full (or stopped being writable) fails the write, not the source:
        // compile again in this process's private folder, where a real compile error fails again.
        const std::string stand_in = disk_cache::stand_in_folder("cpu", "the cache folder " + cache_dir() +
                                                                             " could not take a compiled kernel");
        if (so.rfind(stand_in, 0) == 0) throw;
        so = stand_in + "/" + key + ".so";
        compile_into(so, source);
      }
      ++compilations_;
    }
    // RTLD_NODELETE: unloading objects that have run is never safe with some runtimes (OpenMP).
    handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!handle) throw Error(std::string("CPU compiler: dlopen failed: ") + dlerror());
    const std::lock_guard<std::mutex> lock(mu);
    loaded[cached] = handle;
  }
  std::vector<KernelFn> fns;
  for (const std::string& sym : symbols) {
    void* f = dlsym(handle, sym.c_str());
    if (!f) throw Error("CPU compiler: symbol " + sym + " missing from " + so);
    fns.push_back(reinterpret_cast<KernelFn>(f));
  }
  return fns;
}

}  // namespace anneal
