// The CUDA renderer: one thread per output element. The output loops are flattened into the global
// thread index (innermost loop fastest, so neighbouring threads store neighbouring elements) and each
// loop variable is recovered from it; reductions stay loops inside the thread. Tiling, shared memory
// and tensor cores are the kernel optimizer's business.
#include "cuda_renderer.h"

#include <algorithm>
#include <climits>

#include "anneal/render/renderer.h"
#include "c_style.h"

namespace anneal {
namespace {

constexpr int64_t kThreadsPerBlock = 256;

class CudaEmitter final : public CStyleEmitter {
 public:
  CudaEmitter(const ScheduledKernel& k, KernelEntry* entry) : CStyleEmitter(k), entry_(entry) {}

 private:
  void open_kernel(const UOp& end) override {
    int64_t n = 1;
    for (size_t i = 1; i < end.num_srcs(); ++i) n *= end.src(i).src(0).ival();
    const int64_t threads = end.num_srcs() < 2 ? 1 : std::min(kThreadsPerBlock, std::max<int64_t>(32, (n + 31) / 32 * 32));
    if (entry_) {
      entry_->name = k_.name;
      entry_->local = {threads, 1, 1};
      entry_->global = {(n + threads - 1) / threads, 1, 1};
      entry_->buffers = k_.buffers.size();
    }
    out_ << "extern \"C\" __global__ void __launch_bounds__(" << threads << ") " << k_.name << "(";
    for (size_t i = 0; i < k_.buffers.size(); ++i)
      out_ << (i ? ", const " : "") << type_name(k_.buffers[i].dtype()) << "* __restrict__ data" << i;
    out_ << ") {\n";
    indent_ = 1;
    if (end.num_srcs() < 2) return;
    const bool narrow = n + threads <= INT32_MAX;
    line(narrow ? "const int gid = (int)(blockIdx.x * " + std::to_string(threads) + "u + threadIdx.x);"
                : "const long long gid = (long long)blockIdx.x * " + std::to_string(threads) + " + threadIdx.x;");
    line("if (gid >= " + std::to_string(n) + (narrow ? "" : "LL") + ") return;");
    int64_t stride = 1;
    for (size_t i = end.num_srcs(); i-- > 1;) {
      const int64_t size = end.src(i).src(0).ival();
      std::string v = stride == 1 ? "gid" : "gid / " + std::to_string(stride);
      if (i != 1) v = "(" + v + ") % " + std::to_string(size);
      declare_range(end.src(i), v);
      stride *= size;
    }
  }
  void close_kernel(const UOp&) override { out_ << "}\n"; }

  std::string type_name(DType d) const override {
    return d == dtypes::bool_ ? "bool" : CStyleEmitter::type_name(d);
  }
  std::string infinity(DType d) const override {
    return d == dtypes::float64 ? "__longlong_as_double(0x7ff0000000000000LL)" : "__int_as_float(0x7f800000)";
  }
  std::string nan(DType d) const override {
    return d == dtypes::float64 ? "__longlong_as_double(0x7ff8000000000000LL)" : "__int_as_float(0x7fc00000)";
  }
  std::string unary_math(Ops op, DType d) const override {
    const std::string f = d == dtypes::float64 ? "" : "f";
    switch (op) {
      case Ops::EXP2: return "exp2" + f;
      case Ops::LOG2: return "log2" + f;
      case Ops::SIN: return "sin" + f;
      case Ops::SQRT: return "sqrt" + f;
      default: return "trunc" + f;
    }
  }
  std::string pow_fn(DType d) const override { return d == dtypes::float64 ? "pow" : "powf"; }

  KernelEntry* entry_;
};

}  // namespace

const std::string& cuda_prelude() {
  static const std::string prelude =
      "__device__ __forceinline__ long long anneal_floordiv(long long a, long long b) {\n"
      "  long long q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;\n}\n"
      "__device__ __forceinline__ long long anneal_floormod(long long a, long long b) {\n"
      "  return a - anneal_floordiv(a, b) * b;\n}\n";
  return prelude;
}

std::string render_cuda(const ScheduledKernel& kernel, KernelEntry* entry) { return CudaEmitter(kernel, entry).run(); }

}  // namespace anneal
