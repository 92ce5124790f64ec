// TC(0, 0): 4 warps per block in a 2 x 2 arrangement, each warp tm x tn mma tiles of 16 x 8; per
// 16-step of the reduction every lane loads its fragments of A (8 values per tile) and B (4 per tile),
// packs pairs into 32-bit registers, and issues the mmas. Fragment positions follow PTX's m16n8k16
// layout: lane = 4 g + t; A row g (+8), columns 2t (+1, +8); B rows 2t (+1, +8), column g; C row g
// (+8), columns 2t (+1). Index expressions are the kernel's own, with the loops replaced by those
// positions and simplified.
#include <array>
#include <string>
#include <unordered_map>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/support/error.h"
#include "cuda_emitter.h"
#include "cuda_gemm_parts.h"

namespace anneal {

using namespace cuda_gemm;

std::string CudaEmitter::run_tensor_core(const GemmPlan& p, int TM, int TN) {
  const UOp& end = k_.ast.src(0);
  const UOp rm = end.src(size_t(p.axis_m) + 1), rn = end.src(size_t(p.axis_n) + 1);
  const int64_t tiles_m = p.m / (32 * TM), tiles_n = p.n / (16 * TN);
  open_signature(128, outputs_ / (p.m * p.n) * tiles_m * tiles_n);
  line("const int lane = (int)(threadIdx.x & 31u), warp = (int)(threadIdx.x >> 5);");
  line("const int lg = lane >> 2, lt = lane & 3;");
  gemm_block_position(p, tiles_m, tiles_n);
  line("const int wm = bm * 2 + (warp >> 1), wn = bn * 2 + (warp & 1);");
  const UOp lg = var("lg", 0, 7), lt = var("lt", 0, 3);
  const UOp wm = var("wm", 0, p.m / (16 * TM) - 1), wn = var("wn", 0, p.n / (8 * TN) - 1);
  // tf32 (float32 inputs, ANNEAL_TF32=1): m16n8k8, one element per register, rounded by cvt.rna.
  const bool tf32 = p.dtype == dtypes::float32;
  const int64_t KS = tf32 ? 8 : 16;
  const UOp ko = var("ko", 0, p.k / KS - 1);
  bind(lg, "lg");
  bind(lt, "lt");
  bind(wm, "wm");
  bind(wn, "wn");
  bind(ko, "ko");
  line("float acc[" + str(TM) + "][" + str(TN) + "][4] = {};");
  {
    const Block k_steps = block("for (int ko = 0; ko < " + str(p.k / KS) + "; ko++) {");
    const size_t scope = mark();
    // A register holds two neighbours along the reduction: one 32-bit load when they are adjacent in
    // memory and the pair starts at an even element, else two 16-bit loads.
    auto pair = [&](const std::string& reg, const UOp& load, const std::unordered_map<UOp, UOp>& first,
                    const std::unordered_map<UOp, UOp>& second) {
      const UOp& index = load.src(0);
      const std::string data = "data" + str(index.src(0).arg().as<ParamArg>()->slot);
      const UOp i0 = sym_rewrite(substitute(index.src(1), first)), i1 = sym_rewrite(substitute(index.src(1), second));
      const UOp step = sym_rewrite(i1 - i0), parity = sym_rewrite(i0 % 2);
      if (step.is_const() && step.ival() == 1 && parity.is_const() && parity.ival() == 0)
        return line("const unsigned int " + reg + " = *(const unsigned int*)(" + data + " + " + emit_value(i0) + ");");
      const std::string lo = emit_value(i0), hi = emit_value(i1);
      line("const unsigned int " + reg + " = (unsigned int)" + data + "[" + lo + "] | ((unsigned int)" + data + "[" + hi +
           "] << 16);");
    };
    // tf32 fragments (PTX m16n8k8): A rows g (+8), column t (+4); B row t (+4), column g.
    auto single = [&](const std::string& reg, const UOp& load, const std::unordered_map<UOp, UOp>& at) {
      const UOp& index = load.src(0);
      const std::string data = "data" + str(index.src(0).arg().as<ParamArg>()->slot);
      line("const unsigned int " + reg + " = anneal_tf32(" + data + "[" + emit_value(sym_rewrite(substitute(index.src(1), at))) + "]);");
    };
    if (tf32) {
      for (int tm = 0; tm < TM; ++tm)
        for (int r = 0; r < 4; ++r)
          single("a" + str(tm) + "_" + str(r), p.a.load,
                 {{rm, (wm * TM + tm) * 16 + lg + 8 * (r & 1)}, {p.range_k, ko * 8 + lt + 4 * (r >> 1)}});
      for (int tn = 0; tn < TN; ++tn)
        for (int r = 0; r < 2; ++r)
          single("b" + str(tn) + "_" + str(r), p.b.load, {{p.range_k, ko * 8 + lt + 4 * r}, {rn, (wn * TN + tn) * 8 + lg}});
  }
  for (int tm = 0; tm < TM && !tf32; ++tm)
    for (int r = 0; r < 4; ++r) {
      std::unordered_map<UOp, UOp> at[2];
      for (int h = 0; h < 2; ++h) {
        const int i = 2 * r + h;
        at[h] = {{rm, (wm * TM + tm) * 16 + lg + 8 * ((i >> 1) & 1)}, {p.range_k, ko * 16 + lt * 2 + (i & 1) + 8 * (i >> 2)}};
      }
      pair("a" + str(tm) + "_" + str(r), p.a.load, at[0], at[1]);
    }
  for (int tn = 0; tn < TN && !tf32; ++tn)
    for (int r = 0; r < 2; ++r) {
      std::unordered_map<UOp, UOp> at[2];
      for (int h = 0; h < 2; ++h) {
        const int i = 2 * r + h;
        at[h] = {{p.range_k, ko * 16 + lt * 2 + (i & 1) + 8 * (i >> 1)}, {rn, (wn * TN + tn) * 8 + lg}};
      }
      pair("b" + str(tn) + "_" + str(r), p.b.load, at[0], at[1]);
    }
  const std::string kind = tf32 ? "tf32.tf32" : p.dtype == dtypes::float16 ? "f16.f16" : "bf16.bf16";
  const std::string shape = tf32 ? "m16n8k8" : "m16n8k16";
  for (int tm = 0; tm < TM; ++tm)
    for (int tn = 0; tn < TN; ++tn)
      line(mma(shape, kind, "acc[" + str(tm) + "][" + str(tn) + "]",
               [&](int i) { return "a" + str(tm) + "_" + str(i); }, [&](int i) { return "b" + str(tn) + "_" + str(i); }));
  forget_since(scope);
  }
  tensor_core_epilogue(p, TM, TN, wm * (TM * 16), wn * (TN * 8));
  out_ << "}\n";
  return out_.str();
}

}  // namespace anneal
