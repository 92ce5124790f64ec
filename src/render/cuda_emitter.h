// The CUDA emitter (internal to src/render): the generic kernel shapes are the GPU emitter's
// (gpu_emitter.h), matmul-shaped kernels (tensor cores, shared-memory staging) live in cuda_gemm.cpp.
#pragma once
#include <functional>
#include <string>

#include "anneal/codegen/gemm.h"
#include "gpu_emitter.h"

namespace anneal {

class CudaEmitter final : public GpuEmitter {
 public:
  CudaEmitter(const ScheduledKernel& k, KernelEntry* entry) : GpuEmitter(k, entry, cuda_language(), cuda_target()) {}
  std::string render();

 private:
  // The claimed matmul forms (codegen/gemm.h), a file each: cuda_mma.cpp, cuda_mma_staged.cpp,
  // cuda_wgmma.cpp, cuda_staged_tile.cpp; what they share in cuda_gemm.cpp.
  std::string run_tensor_core(const GemmPlan& p, int TM, int TN);    // TC(0, 0): fragments straight from memory
  std::string run_staged_tensor_core(const GemmPlan& p, int64_t tile);  // TC(0, tile): cp.async + ldmatrix
  std::string run_warpgroup_tensor_core(const GemmPlan& p, int64_t n);  // TC(1, n): cp.async + wgmma (sm_90a)
  std::string run_staged(const GemmPlan& p, int64_t tile);            // STAGE(0, tile): float32 tiles
  void tensor_core_epilogue(const GemmPlan& p, int64_t TM, int64_t TN, const UOp& row0, const UOp& col0);
  void gemm_block_position(const GemmPlan& p, int64_t tiles_m, int64_t tiles_n);
};

}  // namespace anneal
