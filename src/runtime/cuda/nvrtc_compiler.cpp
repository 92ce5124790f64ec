#include "nvrtc_compiler.h"

#include <algorithm>
#include <vector>

#include "anneal/support/disk_cache.h"
#include "anneal/support/error.h"
#include "anneal/support/hash.h"
#include "cuda_api.h"

namespace anneal {
namespace {

using namespace cuda;

// The architecture to compile for, and whether NVRTC can emit machine code (a cubin) for it.
std::pair<int, bool> target_arch(const Nvrtc& n, int cc) {
  int count = 0;
  if (!n.nvrtcGetNumSupportedArchs || !n.nvrtcGetSupportedArchs || n.nvrtcGetNumSupportedArchs(&count) != 0 || count <= 0)
    return {cc, n.nvrtcGetCUBIN != nullptr};
  std::vector<int> archs(static_cast<size_t>(count));
  n.nvrtcGetSupportedArchs(archs.data());
  if (std::find(archs.begin(), archs.end(), cc) != archs.end()) return {cc, n.nvrtcGetCUBIN != nullptr};
  int best = 0;  // a newer GPU than this NVRTC knows: PTX for the newest known architecture
  for (int a : archs)
    if (a <= cc) best = std::max(best, a);
  check(best > 0, [&] { return "NVRTC supports no architecture at or below compute " + std::to_string(cc); });
  return {best, false};
}

std::string kernel_names(const ProgramSource& p) {
  std::string s;
  for (const KernelEntry& k : p.kernels) s += (s.empty() ? "" : ", ") + k.name;
  return s;
}

}  // namespace

std::string nvrtc_compile(const ProgramSource& program, int cc_major, int cc_minor) {
  std::string problem;
  const Nvrtc* n = nvrtc(&problem);
  if (!n) throw Error("CUDA: " + problem);
  int major = 0, minor = 0;
  n->nvrtcVersion(&major, &minor);
  const auto [arch, cubin] = target_arch(*n, cc_major * 10 + cc_minor);
  // Kernels with Hopper-only instructions (wgmma) need the architecture-specific target sm_90a, whose
  // code runs on compute 9.0 alone.
  const bool sm90a = std::any_of(program.kernels.begin(), program.kernels.end(), [](const KernelEntry& k) { return k.sm90a; });
  check(!sm90a || (cc_major == 9 && cc_minor == 0 && arch == 90), [&] {
    return "CUDA: kernels " + kernel_names(program) + " use sm_90a instructions (wgmma), but the device is compute " +
           std::to_string(cc_major) + "." + std::to_string(cc_minor);
  });
  // No FMA contraction: like -ffp-contract=off on the CPU, a value recomputed in two kernels must come
  // out bit-identical (the max gradient compares them).
  const std::vector<std::string> options = {
      std::string("--gpu-architecture=") + (cubin ? "sm_" : "compute_") + std::to_string(arch) + (sm90a ? "a" : ""),
      "--fmad=false", "-default-device"};

  const std::string code = program.code();
  Hasher h;
  h.bytes(code);
  for (const std::string& o : options) h.bytes(o);
  h.bytes(std::to_string(major) + "." + std::to_string(minor));
  const std::string dir = disk_cache::folder("cuda");
  const std::string path = dir + "/" + to_hex(h.finish()) + (cubin ? ".cubin" : ".ptx");
  if (std::optional<std::string> cached = disk_cache::read(path); cached && !cached->empty()) return *cached;

  nvrtcProgram prog = nullptr;
  auto fail = [&](const std::string& what, nvrtcResult r) -> Error {
    return Error("CUDA: NVRTC " + what + " failed (" + n->nvrtcGetErrorString(r) + ") for kernels " +
                 kernel_names(program));
  };
  if (nvrtcResult r = n->nvrtcCreateProgram(&prog, code.c_str(), "anneal.cu", 0, nullptr, nullptr); r != 0)
    throw fail("nvrtcCreateProgram", r);
  std::vector<const char*> opts;
  for (const std::string& o : options) opts.push_back(o.c_str());
  const nvrtcResult compiled = n->nvrtcCompileProgram(prog, int(opts.size()), opts.data());
  if (compiled != 0) {
    size_t log_size = 0;
    n->nvrtcGetProgramLogSize(prog, &log_size);
    std::string log(log_size, '\0');
    if (log_size) n->nvrtcGetProgramLog(prog, log.data());
    while (!log.empty() && log.back() == '\0') log.pop_back();  // the size counts the terminator
    n->nvrtcDestroyProgram(&prog);
    throw Error("CUDA: NVRTC could not compile kernels " + kernel_names(program) + ":\n" + log + "\nsource:\n" + code);
  }
  size_t size = 0;
  std::string image;
  const nvrtcResult got = cubin ? n->nvrtcGetCUBINSize(prog, &size) : n->nvrtcGetPTXSize(prog, &size);
  if (got == 0) {
    image.resize(size);
    if (size) (cubin ? n->nvrtcGetCUBIN : n->nvrtcGetPTX)(prog, image.data());
  }
  n->nvrtcDestroyProgram(&prog);
  if (got != 0) throw fail(cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX", got);
  disk_cache::write(path, image);
  return image;
}

}  // namespace anneal
