// The CUDA emitter (internal to src/render): the generic kernel shapes live in cuda_renderer.cpp,
// matmul-shaped kernels (tensor cores, shared-memory staging) in cuda_gemm.cpp.
#pragma once
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>

#include "anneal/codegen/gemm.h"
#include "anneal/render/program.h"
#include "c_style.h"

namespace anneal {

class CudaEmitter final : public CStyleEmitter {
 public:
  CudaEmitter(const ScheduledKernel& k, KernelEntry* entry);
  std::string render();

 private:
  static constexpr int64_t kThreadsPerBlock = 256;

  void open_kernel(const UOp& end) override;
  void open_tiled(const UOp& end, bool narrow);
  void close_kernel(const UOp&) override { out_ << "}\n"; }

  // cuda_gemm.cpp: the claimed matmul forms (codegen/gemm.h)
  std::string run_tensor_core(const GemmPlan& p, int TM, int TN);    // TC(0, 0): fragments straight from memory
  std::string run_staged_tensor_core(const GemmPlan& p, int64_t tile);  // TC(0, tile): cp.async + ldmatrix
  std::string run_warpgroup_tensor_core(const GemmPlan& p, int64_t n);  // TC(1, n): cp.async + wgmma (sm_90a)
  std::string run_staged(const GemmPlan& p, int64_t tile);            // STAGE(0, tile): float32 tiles
  // The launch entry and the kernel's signature, up to the opening brace.
  void open_signature(int64_t threads, int64_t blocks);
  void tensor_core_epilogue(const GemmPlan& p, int64_t TM, int64_t TN, const UOp& row0, const UOp& col0);
  void gemm_block_position(const GemmPlan& p, int64_t tiles_m, int64_t tiles_n);
  void open_copy_ring(int64_t steps, int64_t stages, int64_t ahead, bool async_proxy,
                      const std::function<void(const std::string& stage, const std::string& kt)>& copy_stage);

  bool cooperative_reductions() const override { return true; }
  std::string thread_lane() const override { return "(int)threadIdx.x"; }
  int group_size() const override { return int(threads_); }
  std::string store_guard() const override { return grouped_ ? "if (threadIdx.x == 0) " : ""; }
  bool vector_memory() const override { return true; }
  void combine(const std::string& acc, Ops op, DType d) override;

  std::string type_name(DType d) const override {
    return d == dtypes::bool_ ? "bool" : CStyleEmitter::type_name(d);
  }
  std::string infinity(DType d) const override;
  std::string nan(DType d) const override;
  std::string unary_math(Ops op, DType d) const override;
  std::string pow_fn(DType d) const override { return d == dtypes::float64 ? "pow" : "powf"; }
  std::string fma_fn(DType d) const override { return d == dtypes::float64 ? "fma" : "fmaf"; }

  KernelEntry* entry_;
  int64_t outputs_ = 1, threads_ = 1, local_threads_ = 1;
  bool grouped_ = false;
  std::set<std::string> shared_declared_;
};

}  // namespace anneal
