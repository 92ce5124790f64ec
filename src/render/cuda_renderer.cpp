// The CUDA renderer: one thread per output element. The output loops are flattened into the global
// thread index (innermost loop fastest, so neighbouring threads store neighbouring elements) and each
// loop variable is recovered from it; reductions stay loops inside the thread. A kernel with few
// outputs and long reductions instead gives each output a block whose threads share the reduction
// (tinygrad's GROUP). Tiling and tensor cores are the kernel optimizer's business.
#include "cuda_renderer.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <set>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "anneal/codegen/tensor_core.h"
#include "anneal/render/renderer.h"
#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/support/error.h"
#include "c_style.h"

namespace anneal {
namespace {

constexpr int64_t kThreadsPerBlock = 256;

// Reductions not nested in another reduction, reachable from the store.
std::vector<UOp> top_level_reduces(const UOp& store) {
  std::vector<UOp> out, stack{store};
  std::unordered_set<const void*> seen;
  while (!stack.empty()) {
    UOp u = stack.back();
    stack.pop_back();
    if (!seen.insert(u.get()).second) continue;
    if (u.is(Ops::REDUCE)) {
      out.push_back(u);
      for (size_t i = 1; i < u.num_srcs(); ++i) stack.push_back(u.src(i));
      continue;
    }
    for (const UOp& s : u.srcs()) stack.push_back(s);
  }
  return out;
}

int64_t pow2_at_least(int64_t n) {
  int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

class CudaEmitter final : public CStyleEmitter {
 public:
  CudaEmitter(const ScheduledKernel& k, KernelEntry* entry) : CStyleEmitter(k), entry_(entry) {
    const UOp& end = k.ast.src(0);
    for (size_t i = 1; i < end.num_srcs(); ++i) outputs_ *= end.src(i).src(0).ival();
    // Few outputs with long reductions: one block per output, its threads share the reduction
    // (one thread per output would leave the GPU idle and run each reduction serially).
    int64_t longest = 0;
    for (const UOp& r : top_level_reduces(end.src(0))) {
      top_.insert(r.get());
      for (size_t i = 1; i < r.num_srcs(); ++i) longest = std::max(longest, r.src(i).src(0).ival());
    }
    if (k.tensor_core) {
      plan_ = match_tensor_core(k);
      check(plan_.has_value(), "CUDA renderer: kernel " + k.name + " is marked for tensor cores but does not match");
    }
    for (int64_t l : k.local) local_threads_ *= l;
    grouped_ = local_threads_ == 1 && outputs_ <= kGroupedMaxOutputs && longest >= kGroupedMinReduce;
    if (local_threads_ > 1) threads_ = local_threads_;
    else if (grouped_) threads_ = std::min(kThreadsPerBlock, std::max<int64_t>(32, pow2_at_least(longest)));
    else threads_ = end.num_srcs() < 2 ? 1 : std::min(kThreadsPerBlock, std::max<int64_t>(32, (outputs_ + 31) / 32 * 32));
  }

 private:
  static constexpr int64_t kGroupedMaxOutputs = 8192, kGroupedMinReduce = 64;

  void open_kernel(const UOp& end) override {
    const int64_t n = outputs_, threads = threads_;
    if (entry_) {
      entry_->name = k_.name;
      entry_->local = {threads, 1, 1};
      entry_->global = {grouped_ ? n : (n + threads - 1) / threads, 1, 1};  // LOCAL sizes divide n exactly
      entry_->buffers = k_.buffers.size();
    }
    out_ << "extern \"C\" __global__ void __launch_bounds__(" << threads << ") " << k_.name << "(";
    for (size_t i = 0; i < k_.buffers.size(); ++i)
      out_ << (i ? ", const " : "") << buffer_type(k_.buffers[i].dtype()) << "* __restrict__ data" << i;
    out_ << ") {\n";
    indent_ = 1;
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
  void open_tiled(const UOp& end, bool narrow) {
    const std::string t = narrow ? "int" : "long long";
    line("const " + t + " bid = (" + t + ")blockIdx.x;");
    line("const int lid = (int)threadIdx.x;");
    int64_t block_stride = 1, lane_stride = 1;
    for (size_t i = end.num_srcs(); i-- > 1;) {
      const int64_t n = end.src(i).src(0).ival(), l = k_.local[i - 1], tiles = n / l;
      std::string tile = block_stride == 1 ? "bid" : "bid / " + std::to_string(block_stride);
      if (i != 1) tile = "(" + tile + ") % " + std::to_string(tiles);
      std::string v = l == 1 ? "(" + tile + ")" : "(" + tile + ") * " + std::to_string(l);
      if (l > 1) v += " + (" + (lane_stride == 1 ? std::string("lid") : "lid / " + std::to_string(lane_stride)) + ") % " + std::to_string(l);
      declare_range(end.src(i), v);
      block_stride *= tiles;
      lane_stride *= l;
    }
  }

  // A tensor-core kernel (see codegen/tensor_core.h): 4 warps per block in a 2 x 2 arrangement, each
  // warp tm x tn mma tiles of 16 x 8; per 16-step of the reduction every lane loads its fragments of
  // A (8 values per tile) and B (4 per tile), packs pairs into 32-bit registers, and issues the mmas.
  // Fragment positions follow PTX's m16n8k16 layout: lane = 4 g + t; A row g (+8), columns 2t (+1, +8);
  // B rows 2t (+1, +8), column g; C row g (+8), columns 2t (+1). Index expressions are the kernel's own,
  // with the loops replaced by those positions and simplified.
  std::string run_tensor_core() {
    const TensorCorePlan& p = *plan_;
    const UOp& end = k_.ast.src(0);
    const UOp& store = end.src(0);
    const UOp rm = end.src(size_t(p.axis_m) + 1), rn = end.src(size_t(p.axis_n) + 1);
    const int64_t M = rm.src(0).ival(), N = rn.src(0).ival(), K = p.range_k.src(0).ival();
    const int TM = p.tiles_m, TN = p.tiles_n;
    const int64_t blocks_m = M / (32 * TM), blocks_n = N / (16 * TN);
    int64_t others = 1;
    for (size_t i = 1; i < end.num_srcs(); ++i)
      if (int(i) - 1 != p.axis_m && int(i) - 1 != p.axis_n) others *= end.src(i).src(0).ival();
    if (entry_) {
      entry_->name = k_.name;
      entry_->local = {128, 1, 1};
      entry_->global = {others * blocks_m * blocks_n, 1, 1};
      entry_->buffers = k_.buffers.size();
    }
    out_ << "extern \"C\" __global__ void __launch_bounds__(128) " << k_.name << "(";
    for (size_t i = 0; i < k_.buffers.size(); ++i)
      out_ << (i ? ", const " : "") << buffer_type(k_.buffers[i].dtype()) << "* __restrict__ data" << i;
    out_ << ") {\n";
    indent_ = 1;
    line("const int lane = (int)(threadIdx.x & 31u), warp = (int)(threadIdx.x >> 5);");
    line("const int lg = lane >> 2, lt = lane & 3;");
    line("const int bid = (int)blockIdx.x;");
    line("const int wm = (int)((bid / " + std::to_string(blocks_n) + ") % " + std::to_string(blocks_m) + ") * 2 + (warp >> 1);");
    line("const int wn = (int)(bid % " + std::to_string(blocks_n) + ") * 2 + (warp & 1);");
    int64_t stride = blocks_m * blocks_n;
    for (size_t i = end.num_srcs(); i-- > 1;) {
      if (int(i) - 1 == p.axis_m || int(i) - 1 == p.axis_n) continue;
      const int64_t n = end.src(i).src(0).ival();
      declare_range(end.src(i), "(bid / " + std::to_string(stride) + ") % " + std::to_string(n));
      stride *= n;
    }
    const UOp lg = UOp::variable("lg", 0, 7), lt = UOp::variable("lt", 0, 3);
    const UOp wm = UOp::variable("wm", 0, M / (16 * TM) - 1), wn = UOp::variable("wn", 0, N / (8 * TN) - 1);
    const UOp ko = UOp::variable("ko", 0, K / 16 - 1);
    bind(lg, "lg");
    bind(lt, "lt");
    bind(wm, "wm");
    bind(wn, "wn");
    bind(ko, "ko");
    line("float acc[" + std::to_string(TM) + "][" + std::to_string(TN) + "][4] = {};");
    line("for (int ko = 0; ko < " + std::to_string(K / 16) + "; ko++) {");
    ++indent_;
    const size_t scope = mark();
    // A register holds two neighbours along the reduction: one 32-bit load when they are adjacent in
    // memory and the pair starts at an even element, else two 16-bit loads.
    auto pair = [&](const std::string& reg, const UOp& load, const std::unordered_map<UOp, UOp>& first,
                    const std::unordered_map<UOp, UOp>& second) {
      const UOp& index = load.src(0);
      const std::string data = "data" + std::to_string(index.src(0).arg().as<ParamArg>()->slot);
      const UOp i0 = sym_rewrite(substitute(index.src(1), first)), i1 = sym_rewrite(substitute(index.src(1), second));
      const UOp step = sym_rewrite(i1 - i0), parity = sym_rewrite(i0 % 2);
      if (step.is_const() && step.ival() == 1 && parity.is_const() && parity.ival() == 0)
        return line("const unsigned int " + reg + " = *(const unsigned int*)(" + data + " + " + emit_value(i0) + ");");
      const std::string lo = emit_value(i0), hi = emit_value(i1);
      line("const unsigned int " + reg + " = (unsigned int)" + data + "[" + lo + "] | ((unsigned int)" + data + "[" + hi +
           "] << 16);");
    };
    for (int tm = 0; tm < TM; ++tm)
      for (int r = 0; r < 4; ++r) {
        std::unordered_map<UOp, UOp> at[2];
        for (int h = 0; h < 2; ++h) {
          const int i = 2 * r + h;
          at[h] = {{rm, (wm * TM + tm) * 16 + lg + 8 * ((i >> 1) & 1)}, {p.range_k, ko * 16 + lt * 2 + (i & 1) + 8 * (i >> 2)}};
        }
        pair("a" + std::to_string(tm) + "_" + std::to_string(r), p.load_a, at[0], at[1]);
      }
    for (int tn = 0; tn < TN; ++tn)
      for (int r = 0; r < 2; ++r) {
        std::unordered_map<UOp, UOp> at[2];
        for (int h = 0; h < 2; ++h) {
          const int i = 2 * r + h;
          at[h] = {{p.range_k, ko * 16 + lt * 2 + (i & 1) + 8 * (i >> 1)}, {rn, (wn * TN + tn) * 8 + lg}};
        }
        pair("b" + std::to_string(tn) + "_" + std::to_string(r), p.load_b, at[0], at[1]);
      }
    const std::string kind = p.dtype == dtypes::float16 ? "f16.f16" : "bf16.bf16";
    for (int tm = 0; tm < TM; ++tm)
      for (int tn = 0; tn < TN; ++tn) {
        const std::string c = "acc[" + std::to_string(tm) + "][" + std::to_string(tn) + "]";
        const std::string a = "a" + std::to_string(tm) + "_", b = "b" + std::to_string(tn) + "_";
        line("asm volatile(\"mma.sync.aligned.m16n8k16.row.col.f32." + kind +
             ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\" : \"+f\"(" + c + "[0]), \"+f\"(" + c +
             "[1]), \"+f\"(" + c + "[2]), \"+f\"(" + c + "[3]) : \"r\"(" + a + "0), \"r\"(" + a + "1), \"r\"(" + a +
             "2), \"r\"(" + a + "3), \"r\"(" + b + "0), \"r\"(" + b + "1));");
      }
    forget_since(scope);
    --indent_;
    line("}");
    // The epilogue, once per accumulator: the store with the reduction replaced by it.
    const DType out = k_.buffers[0].dtype();
    for (int tm = 0; tm < TM; ++tm)
      for (int tn = 0; tn < TN; ++tn)
        for (int s = 0; s < 4; ++s) {
          auto arg = std::make_shared<ParamArg>();
          arg->name = "acc" + std::to_string(tm) + std::to_string(tn) + std::to_string(s);
          arg->addrspace = AddrSpace::Alu;
          const UOp acc = UOp::make(Ops::PARAM, p.reduce.dtype(), {}, Arg(Arg::Object(std::move(arg))));
          bind(acc, "acc[" + std::to_string(tm) + "][" + std::to_string(tn) + "][" + std::to_string(s) + "]");
          const UOp row = (wm * TM + tm) * 16 + lg + 8 * (s >> 1), colv = (wn * TN + tn) * 8 + lt * 2 + (s & 1);
          const std::unordered_map<UOp, UOp> at{{p.reduce, acc}, {rm, row}, {rn, colv}};
          const UOp value = substitute(store.src(1), at);
          const UOp index = sym_rewrite(substitute(store.src(0).src(1), at));
          std::string v = emit_value(value);
          if (out == dtypes::float16) v = "anneal_f2h(" + v + ")";
          if (out == dtypes::bfloat16) v = "anneal_f2bf(" + v + ")";
          line("data0[" + emit_value(index) + "] = " + v + ";");
        }
    out_ << "}\n";
    return out_.str();
  }

  bool group_reduce(const UOp& r) const override { return grouped_ && top_.count(r.get()); }
  std::string thread_lane() const override { return "(int)threadIdx.x"; }
  int group_size() const override { return int(threads_); }
  std::string store_guard() const override { return grouped_ ? "if (threadIdx.x == 0) " : ""; }
  // A tree reduction in shared memory; every thread reads the total.
  // One shared array per value type serves every combine of the kernel (a kernel may combine dozens of
  // reductions: a gradient norm over every parameter), so each ends with a barrier before the next reuse.
  void combine(const std::string& acc, Ops op, DType d) override {
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
  std::string fma_fn(DType d) const override { return d == dtypes::float64 ? "fma" : "fmaf"; }

  KernelEntry* entry_;
  int64_t outputs_ = 1, threads_ = 1, local_threads_ = 1;
  bool grouped_ = false;
  std::unordered_set<const void*> top_;
  std::optional<TensorCorePlan> plan_;
  std::set<std::string> shared_declared_;

 public:
  std::string render() { return plan_ ? run_tensor_core() : run(); }
};

}  // namespace

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
      "  return (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);\n}\n";
  return prelude;
}

std::string render_cuda(const ScheduledKernel& kernel, KernelEntry* entry) { return CudaEmitter(kernel, entry).render(); }

}  // namespace anneal
