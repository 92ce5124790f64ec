// The CPU backend's compiler: C source -> shared object (system compiler) -> dlopen'd functions.
//
// Objects are cached on disk under $ANNEAL_CACHE_DIR, else $XDG_CACHE_HOME/anneal, else
// ~/.cache/anneal, keyed on the source, the flags, the compiler's version and the CPU model
// (-march=native code must not travel to another CPU).
#pragma once
#include <atomic>
#include <string>
#include <vector>

namespace anneal {

// A compiled kernel: buffers by PARAM slot, and this call's share of the work (core of cores).
using KernelFn = void (*)(void**, int, int);

// Runs a kernel on every CPU core (ANNEAL_THREADS, else all hardware threads) and waits for it.
void launch_on_cpu(KernelFn fn, void** bufs);
int cpu_threads();

class CpuCompiler {
 public:
  static CpuCompiler& instance();
  // Compiles `source` (one translation unit) and returns the address of each named function.
  std::vector<KernelFn> load(const std::string& source, const std::vector<std::string>& symbols);
  const std::string& compiler() const { return cc_; }
  const std::string& version() const { return version_; }
  const std::string& flags() const { return flags_; }
  // Where compiled objects go: the cache folder, or this process's stand-in when it cannot be written.
  std::string cache_dir() const;
  const std::string& cpu_model() const { return cpu_model_; }
  // Compiler processes started by this process (cache misses), for tests and reports.
  int compilations() const { return compilations_.load(); }

 private:
  void compile_into(const std::string& so, const std::string& source) const;
  CpuCompiler();
  std::string cc_, version_, flags_, cpu_model_;
  std::atomic<int> compilations_{0};
};

}  // namespace anneal
