#include "anneal/codegen/tensor_core.h"

#include <unordered_set>

#include "anneal/uop/graph.h"

namespace anneal {
namespace {

UOp strip_casts(UOp u) {
  while (u.is(Ops::CAST)) u = u.src(0);
  return u;
}

std::unordered_set<const void*> ranges_in(const UOp& u) {
  std::unordered_set<const void*> out;
  for (const UOp& x : toposort(u))
    if (x.is(Ops::RANGE)) out.insert(x.get());
  return out;
}

}  // namespace

std::optional<TensorCorePlan> match_tensor_core(const ScheduledKernel& k) {
  const UOp& end = k.ast.src(0);
  const UOp& store = end.src(0);
  if (!store.is(Ops::STORE)) return std::nullopt;
  TensorCorePlan p;
  int reduces = 0;
  for (const UOp& u : toposort(store))
    if (u.is(Ops::REDUCE)) {
      ++reduces;
      p.reduce = u;
    }
  if (reduces != 1 || *p.reduce.arg().as_int() != int64_t(Ops::ADD) || p.reduce.num_srcs() != 2 ||
      p.reduce.dtype() != dtypes::float32)
    return std::nullopt;
  p.range_k = p.reduce.src(1);
  if (p.range_k.src(0).ival() % 16 != 0) return std::nullopt;
  const UOp mul = strip_casts(p.reduce.src(0));
  if (!mul.is(Ops::MUL)) return std::nullopt;
  p.load_a = strip_casts(mul.src(0));
  p.load_b = strip_casts(mul.src(1));
  for (const UOp* l : {&p.load_a, &p.load_b})
    if (!l->is(Ops::LOAD) || l->num_srcs() != 1) return std::nullopt;
  p.dtype = p.load_a.dtype();
  if ((p.dtype != dtypes::float16 && p.dtype != dtypes::bfloat16) || p.load_b.dtype() != p.dtype) return std::nullopt;
  auto a = ranges_in(p.load_a.src(0)), b = ranges_in(p.load_b.src(0));
  if (!a.count(p.range_k.get()) || !b.count(p.range_k.get())) return std::nullopt;
  // m: read by A only, n: read by B only (the innermost such loops; others become block dimensions).
  int m = -1, n = -1;
  for (int i = 0; i + 1 < int(end.num_srcs()); ++i) {
    const void* r = end.src(size_t(i) + 1).get();
    if (a.count(r) && !b.count(r)) m = i;
    if (b.count(r) && !a.count(r)) n = i;
  }
  if (m < 0 || n < 0) {
    // A operand of the other type order (B * A): swap the roles.
    std::swap(p.load_a, p.load_b);
    std::swap(a, b);
    for (int i = 0; i + 1 < int(end.num_srcs()); ++i) {
      const void* r = end.src(size_t(i) + 1).get();
      if (a.count(r) && !b.count(r)) m = i;
      if (b.count(r) && !a.count(r)) n = i;
    }
    if (m < 0 || n < 0) return std::nullopt;
  }
  p.axis_m = m;
  p.axis_n = n;
  const int64_t size_m = end.src(size_t(m) + 1).src(0).ival(), size_n = end.src(size_t(n) + 1).src(0).ival();
  for (int t : {4, 2, 1})
    if (size_m % (32 * t) == 0) {
      p.tiles_m = t;
      break;
    }
  for (int t : {8, 4, 2, 1})
    if (size_n % (16 * t) == 0) {
      p.tiles_n = t;
      break;
    }
  if (size_m % 32 != 0 || size_n % 16 != 0) return std::nullopt;
  return p;
}

}  // namespace anneal
