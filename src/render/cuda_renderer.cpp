// The CUDA renderer: the GPU emitter (gpu_emitter.h) with the CUDA table (c_language.cpp), and the
// matmul forms an opt claimed (TC, STAGE) from cuda_gemm.cpp.
#include "cuda_renderer.h"

#include "anneal/render/renderer.h"
#include "anneal/support/error.h"
#include "anneal/uop/graph.h"
#include "cuda_emitter.h"

namespace anneal {

std::string CudaEmitter::render() {
  const UOp wmma = find_wmma(k_.ast);
  if (!wmma) return render_generic();
  const GemmArg& arg = gemm_arg(wmma);
  const GemmPlan plan = gemm_plan(wmma);
  switch (arg.form) {
    case GemmForm::StagedTile: return run_staged(plan, arg.tile);
    case GemmForm::MmaDirect: return run_tensor_core(plan, arg.tiles_m, arg.tiles_n);
    case GemmForm::MmaStaged: return run_staged_tensor_core(plan, arg.tile);
    case GemmForm::Warpgroup: return run_warpgroup_tensor_core(plan, arg.tile);
    case GemmForm::SimdTile: break;
  }
  throw Error("CUDA renderer: kernel " + k_.name + " claims the CPU's SIMD matmul form");
}

const std::string& cuda_prelude() {
  static const std::string prelude =
      "__device__ __forceinline__ long long anneal_floordiv(long long a, long long b) {\n"
      "  long long q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;\n}\n"
      "__device__ __forceinline__ long long anneal_floormod(long long a, long long b) {\n"
      "  return a - anneal_floordiv(a, b) * b;\n}\n"
      // float16 / bfloat16 <-> float with the hardware conversions (round to nearest even); no headers.
      "__device__ __forceinline__ float anneal_h2f(unsigned short h) {\n"
      "  float f; asm(\"cvt.f32.f16 %0, %1;\" : \"=f\"(f) : \"h\"(h)); return f;\n}\n"
      "__device__ __forceinline__ unsigned short anneal_f2h(float f) {\n"
      "  unsigned short h; asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f)); return h;\n}\n"
      "__device__ __forceinline__ float anneal_bf2f(unsigned short h) { return __uint_as_float((unsigned int)h << 16); }\n"
      "__device__ __forceinline__ unsigned short anneal_f2bf(float f) {\n"
      "  unsigned int u = __float_as_uint(f);\n"
      "  if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);\n"
      "  return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);\n}\n"
      "__device__ __forceinline__ unsigned anneal_tf32(float f) {\n"
      "  unsigned r; asm(\"cvt.rna.tf32.f32 %0, %1;\" : \"=r\"(r) : \"f\"(f)); return r;\n}\n"
      // Shared-memory staging (cuda_gemm.cpp): asynchronous 16-byte copies and ldmatrix fragment loads.
      "__device__ __forceinline__ unsigned anneal_smem(const void* p) {\n"
      "  unsigned s; asm(\"{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }\" : \"=r\"(s) : \"l\"(p)); return s;\n}\n"
      "__device__ __forceinline__ void anneal_cp16s(unsigned dst, const void* src) {\n"
      "  asm volatile(\"cp.async.cg.shared.global [%0], [%1], 16;\" :: \"r\"(dst), \"l\"(src));\n}\n"
      "__device__ __forceinline__ void anneal_cp16(void* dst, const void* src) { anneal_cp16s(anneal_smem(dst), src); }\n"
      // A wgmma shared-memory matrix descriptor with the 128-byte swizzle: start address, leading and
      // stride byte offsets, each in 16-byte units.
      "__device__ __forceinline__ unsigned long long anneal_wgmma_desc(unsigned addr, unsigned lead, unsigned stride) {\n"
      "  return (unsigned long long)((addr & 0x3FFFFu) >> 4) | ((unsigned long long)(lead >> 4) << 16) |\n"
      "         ((unsigned long long)(stride >> 4) << 32) | (1ull << 62);\n}\n"
      "__device__ __forceinline__ void anneal_cp_commit() { asm volatile(\"cp.async.commit_group;\"); }\n"
      "template <int N> __device__ __forceinline__ void anneal_cp_wait() { asm volatile(\"cp.async.wait_group %0;\" :: \"n\"(N)); }\n"
      "__device__ __forceinline__ void anneal_ldsm4(unsigned* r, const void* p) {\n"
      "  asm volatile(\"ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\"\n"
      "               : \"=r\"(r[0]), \"=r\"(r[1]), \"=r\"(r[2]), \"=r\"(r[3]) : \"r\"(anneal_smem(p)));\n}\n"
      "__device__ __forceinline__ void anneal_ldsm4t(unsigned* r, const void* p) {\n"
      "  asm volatile(\"ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\"\n"
      "               : \"=r\"(r[0]), \"=r\"(r[1]), \"=r\"(r[2]), \"=r\"(r[3]) : \"r\"(anneal_smem(p)));\n}\n";
  return prelude;
}

std::string render_cuda(const ScheduledKernel& kernel, KernelEntry* entry) { return CudaEmitter(kernel, entry).render(); }

}  // namespace anneal
