#include "anneal/codegen/tensor_core.h"

#include <cstdlib>
#include <string>

#include "anneal/support/settings.h"

namespace anneal {

bool tf32_enabled() { return settings::tf32.get(); }

std::optional<TensorCorePlan> match_tensor_core(const ScheduledKernel& k) {
  const std::optional<GemmPlan> g = match_gemm(k);
  if (!g || g->ranges_k.size() != 1 || g->symbolic_k) return std::nullopt;
  const bool tf32 = g->dtype == dtypes::float32 && tf32_enabled();
  if (g->dtype != dtypes::float16 && g->dtype != dtypes::bfloat16 && !tf32) return std::nullopt;
  if (g->k % (tf32 ? 8 : 16) != 0 || g->m % 32 != 0 || g->n % 16 != 0) return std::nullopt;
  TensorCorePlan p;
  static_cast<GemmPlan&>(p) = *g;
  for (int t : {4, 2, 1})
    if (p.m % (32 * t) == 0) {
      p.tiles_m = t;
      break;
    }
  for (int t : {8, 4, 2, 1})
    if (p.n % (16 * t) == 0) {
      p.tiles_n = t;
      break;
    }
  return p;
}

bool tensor_core_stages(const GemmPlan& p, int64_t tile) {
  return p.dtype != dtypes::float32 && (tile == 64 || tile == 128) && p.m % tile == 0 && p.n % tile == 0 && p.k % 32 == 0 &&
         staging_of(p.a, p.axis_m, 8).ok && staging_of(p.b, p.axis_n, 8).ok;
}

bool warpgroup_fits(const GemmPlan& p, int64_t n) {
  return p.dtype != dtypes::float32 && (n == 128 || n == 256) && p.m % 128 == 0 && p.n % n == 0 && p.k % 64 == 0 &&
         staging_of(p.a, p.axis_m, 8).ok && staging_of(p.b, p.axis_n, 8).ok;
}

}  // namespace anneal
