// The CUDA renderer: one thread per output element. The output loops are flattened into the global
// thread index (innermost loop fastest, so neighbouring threads store neighbouring elements) and each
// loop variable is recovered from it; reductions stay loops inside the thread. A GROUP kernel instead
// gives each output a block whose threads share its reductions (strided, or GROUPTOP's contiguous
// chunks) and combine them through shared memory. Tiling and tensor cores are the kernel optimizer's business; matmul-shaped
// kernels it marks (TC, STAGE) are rendered by cuda_gemm.cpp.
#include "cuda_renderer.h"

#include <algorithm>
#include <climits>
#include <vector>

#include "anneal/render/renderer.h"
#include "anneal/support/error.h"
#include "anneal/uop/graph.h"
#include "cuda_emitter.h"

namespace anneal {

CudaEmitter::CudaEmitter(const ScheduledKernel& k, KernelEntry* entry) : CStyleEmitter(k), entry_(entry) {
  const UOp& end = k.ast.src(0);
  for (size_t i = 1; i < end.num_srcs(); ++i) {
    outputs_ *= end.src(i).src(0).ival();
    if (const RangeInfo info = range_info(end.src(i)); info.type == AxisType::Local) local_threads_ *= info.amount;
  }
  // GROUP: one block per output, its threads share the reductions' group-axis loops.
  int64_t group = 0;
  for (const UOp& u : toposort(k.ast))
    if (u.is(Ops::RANGE) && is_group_axis(axis_type(u))) group = range_info(u).amount;
  grouped_ = group > 0;
  if (local_threads_ > 1) threads_ = local_threads_;
  else if (grouped_) threads_ = group;
  else threads_ = end.num_srcs() < 2 ? 1 : std::min(kThreadsPerBlock, std::max<int64_t>(32, (outputs_ + 31) / 32 * 32));
}

void CudaEmitter::open_kernel(const UOp& end) {
  const int64_t n = outputs_, threads = threads_;
  open_signature(threads, grouped_ ? n : (n + threads - 1) / threads);  // LOCAL sizes divide n exactly
  if (end.num_srcs() < 2) return;
  const bool narrow = n + threads <= INT32_MAX;
  if (local_threads_ > 1) return open_tiled(end, narrow);
  if (grouped_) line("const int gid = (int)blockIdx.x;");  // one block per output, no stragglers
  else line(narrow ? "const int gid = (int)(blockIdx.x * " + std::to_string(threads) + "u + threadIdx.x);"
                   : "const long long gid = (long long)blockIdx.x * " + std::to_string(threads) + " + threadIdx.x;");
  if (!grouped_) line("if (gid >= " + std::to_string(n) + (narrow ? "" : "LL") + ") return;");
  int64_t stride = 1;
  for (size_t i = end.num_srcs(); i-- > 1;) {
    const int64_t size = end.src(i).src(0).ival();
    std::string v = stride == 1 ? "gid" : "gid / " + std::to_string(stride);
    if (i != 1) v = "(" + v + ") % " + std::to_string(size);
    declare_range(end.src(i), v);
    stride *= size;
  }
}

// LOCAL: the block index walks the tiles, the thread index the positions inside one; each loop
// variable is tile * local + position (innermost loop fastest in both, for coalesced accesses).
void CudaEmitter::open_tiled(const UOp& end, bool narrow) {
  const std::string t = narrow ? "int" : "long long";
  line("const " + t + " bid = (" + t + ")blockIdx.x;");
  line("const int lid = (int)threadIdx.x;");
  int64_t block_stride = 1, lane_stride = 1;
  for (size_t i = end.num_srcs(); i-- > 1;) {
    const RangeInfo info = range_info(end.src(i));
    const int64_t n = end.src(i).src(0).ival(), l = info.type == AxisType::Local ? info.amount : 1, tiles = n / l;
    std::string tile = block_stride == 1 ? "bid" : "bid / " + std::to_string(block_stride);
    if (i != 1) tile = "(" + tile + ") % " + std::to_string(tiles);
    std::string v = l == 1 ? "(" + tile + ")" : "(" + tile + ") * " + std::to_string(l);
    if (l > 1) v += " + (" + (lane_stride == 1 ? std::string("lid") : "lid / " + std::to_string(lane_stride)) + ") % " + std::to_string(l);
    declare_range(end.src(i), v);
    block_stride *= tiles;
    lane_stride *= l;
  }
}

// A tree reduction in shared memory; every thread reads the total.
// One shared array per value type serves every combine of the kernel (a kernel may combine dozens of
// reductions: a gradient norm over every parameter), so each ends with a barrier before the next reuse.
void CudaEmitter::combine(const std::string& acc, Ops op, DType d) {
  const std::string t = type_name(d), sm = "shared_" + std::string(d.name());
  const std::string a = sm + "[threadIdx.x]", b = sm + "[threadIdx.x + s]";
  const std::string merged = op == Ops::ADD ? a + " + " + b : op == Ops::MUL ? a + " * " + b : "(" + b + " > " + a + " ? " + b + " : " + a + ")";
  if (shared_declared_.insert(sm).second) line("__shared__ " + t + " " + sm + "[" + std::to_string(threads_) + "];");
  line(a + " = " + acc + ";");
  line("__syncthreads();");
  line("for (int s = " + std::to_string(threads_ / 2) + "; s > 0; s >>= 1) {");
  line("  if (threadIdx.x < s) " + a + " = " + merged + ";");
  line("  __syncthreads();");
  line("}");
  line(acc + " = " + sm + "[0];");
  line("__syncthreads();");
}


std::string CudaEmitter::infinity(DType d) const {
  return d == dtypes::float64 ? "__longlong_as_double(0x7ff0000000000000LL)" : "__int_as_float(0x7f800000)";
}
std::string CudaEmitter::nan(DType d) const {
  return d == dtypes::float64 ? "__longlong_as_double(0x7ff8000000000000LL)" : "__int_as_float(0x7fc00000)";
}
std::string CudaEmitter::unary_math(Ops op, DType d) const {
  const std::string f = d == dtypes::float64 ? "" : "f";
  switch (op) {
    case Ops::EXP2: return "exp2" + f;
    case Ops::LOG2: return "log2" + f;
    case Ops::SIN: return "sin" + f;
    case Ops::SQRT: return "sqrt" + f;
    default: return "trunc" + f;
  }
}

std::string CudaEmitter::render() {
  const UOp wmma = find_wmma(k_.ast);
  if (!wmma) return run();
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
