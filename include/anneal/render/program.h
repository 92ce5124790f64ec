// What a renderer hands a device: one translation unit and, for each kernel in it, the entry point
// and the launch grid. CPU kernels ignore the grid (they split their outermost loop across cores).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace anneal {

struct KernelEntry {
  std::string name;
  std::array<int64_t, 3> global{1, 1, 1};  // blocks (CUDA grid)
  std::array<int64_t, 3> local{1, 1, 1};   // threads per block
  size_t buffers = 0;                      // PARAM slots, in order
  size_t vars = 0;                         // variable arguments after the buffers (64-bit integers)
  size_t shared_bytes = 0;                 // dynamic shared memory per block (CUDA)
  bool sm90a = false;                      // uses Hopper-only instructions (wgmma): compiled for sm_90a
  std::string source;                      // the kernel's own code (module-scope declarations first)
};

// A kernel's source needs only the prelude, never another kernel: devices may compile any subset of
// the kernels, with the prelude, as a translation unit of its own (runtime/compile_units.h).
struct ProgramSource {
  std::string language;  // "c", "cuda" or "wgsl"
  std::string prelude;   // helpers every kernel may use
  std::vector<KernelEntry> kernels;

  // The whole translation unit: the prelude, then each kernel's source.
  std::string code() const {
    std::string c = prelude;
    for (const KernelEntry& k : kernels) c += "\n" + k.source;
    return c;
  }
};

}  // namespace anneal
