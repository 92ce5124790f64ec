// Throughput of the IR core: interning new and existing nodes, and rewriting index expressions with
// the symbolic rules. Figures are items per second (nodes, or rule applications).
#include <benchmark/benchmark.h>

#include <vector>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"

using namespace anneal;

namespace {

// Creating nodes that do not exist yet: hashing, allocation, insertion (and release at the end).
void BM_InternNewNodes(benchmark::State& state) {
  const int n = int(state.range(0));
  UOp x = UOp::variable("x", 0, 1 << 20);
  for (auto _ : state) {
    UOp chain = x;
    for (int i = 0; i < n; ++i) chain = chain + UOp::int_const(i);
    benchmark::DoNotOptimize(chain);
  }
  state.SetItemsProcessed(state.iterations() * int64_t(n) * 2);  // an ADD and a CONST per step
}
BENCHMARK(BM_InternNewNodes)->Arg(100'000);

// Building a graph that already exists: every make() is a table hit.
void BM_InternExistingNodes(benchmark::State& state) {
  const int n = int(state.range(0));
  UOp x = UOp::variable("x", 0, 1 << 20);
  UOp keep = x;
  for (int i = 0; i < n; ++i) keep = keep + UOp::int_const(i);
  for (auto _ : state) {
    UOp chain = x;
    for (int i = 0; i < n; ++i) chain = chain + UOp::int_const(i);
    benchmark::DoNotOptimize(chain);
  }
  state.SetItemsProcessed(state.iterations() * int64_t(n) * 2);
}
BENCHMARK(BM_InternExistingNodes)->Arg(100'000);

// Index expressions of the kind rangeify produces: reshapes of ranges through div/mod, pads, sums.
std::vector<UOp> index_expressions() {
  UOp r0 = UOp::variable("r0", 0, 63), r1 = UOp::variable("r1", 0, 31), r2 = UOp::variable("r2", 0, 15);
  std::vector<UOp> out;
  for (int64_t k = 1; k <= 64; ++k) {
    UOp flat = r0 * (32 * 16) + r1 * 16 + r2;
    UOp reshaped = (flat.floordiv(16) % 32) * 16 + flat % 16 + (flat.floordiv(512)) * 512;
    UOp padded = (r1 + k).lt(32 + k).where(r1 + k - k, UOp::invalid());
    UOp combined = (r0 * 4 + r2 % 4).floordiv(4) % (k + 1) + r2 * k - r2 * (k - 1);
    out.push_back(reshaped + combined);
    out.push_back(padded);
  }
  return out;
}

void BM_SymbolicRewrite(benchmark::State& state) {
  const std::vector<UOp> exprs = index_expressions();
  int64_t rewrites = 0;
  auto counted = [&rewrites](const UOp& u) {
    UOp r = symbolic().rewrite(u);
    rewrites += bool(r);
    return r;
  };
  for (auto _ : state)
    for (const UOp& e : exprs) benchmark::DoNotOptimize(graph_rewrite(e, FunctionRef<UOp(const UOp&)>(counted)));
  state.SetItemsProcessed(rewrites);
  state.counters["exprs_per_s"] =
      benchmark::Counter(double(state.iterations() * exprs.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SymbolicRewrite);

void BM_SimplifyFull(benchmark::State& state) {
  const std::vector<UOp> exprs = index_expressions();
  for (auto _ : state)
    for (const UOp& e : exprs) benchmark::DoNotOptimize(simplify_full(e));
  state.SetItemsProcessed(state.iterations() * int64_t(exprs.size()));
}
BENCHMARK(BM_SimplifyFull);

}  // namespace
