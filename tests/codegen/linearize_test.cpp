// The linearised program (codegen/linearize.h) carries every decision the renderers used to make:
// where values are computed, how reductions accumulate, how GPU threads map to outputs and how they
// combine. These tests read the statements; the values they compute are checked by every kernel test
// (opt_test.cpp runs each opt against the unoptimized loop on the device under test).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../tensor/op_test_util.h"
#include "anneal/codegen/linearize.h"
#include "anneal/codegen/opt.h"
#include "anneal/engine/engine.h"
#include "anneal/tensor/tensor.h"
#include "anneal/uop/axis.h"

namespace anneal {
namespace {

Tensor random(const Shape& shape, uint64_t seed) { return testing::random_tensor(shape, seed); }

std::vector<ScheduledKernel> kernels_of(const Tensor& t) { return create_schedule(std::vector<UOp>{t.uop()}).kernels; }

std::vector<UOp> statements(const LinearKernel& l) { return {l.program.srcs().begin(), l.program.srcs().end()}; }

int count(const LinearKernel& l, Ops op) {
  const std::vector<UOp> s = statements(l);
  return int(std::count_if(s.begin(), s.end(), [&](const UOp& u) { return u.is(op); }));
}

// Positions of the statements satisfying `pred`.
template <class Pred>
std::vector<size_t> where(const LinearKernel& l, Pred pred) {
  std::vector<size_t> at;
  const std::vector<UOp> s = statements(l);
  for (size_t i = 0; i < s.size(); ++i)
    if (pred(s[i])) at.push_back(i);
  return at;
}

bool is_loop(const UOp& u, AxisType t) { return u.is(Ops::RANGE) && axis_type(u) == t; }

// out[i] = sum_k a[i] * b[k]: a[i] does not depend on k, so it is loaded once, above the k loop; the
// sum of products accumulates with fused multiply-adds into an accumulator declared before the loop.
TEST(Linearize, HoistsWhatTheReductionLoopDoesNotNeed) {
  const ScheduledKernel k = kernels_of((random({8, 1}, 1) * random({1, 16}, 2)).sum({1})).at(0);
  const LinearKernel l = linearize(k, cpu_target());
  const std::vector<size_t> loads = where(l, [](const UOp& u) { return u.is(Ops::LOAD); });
  const std::vector<size_t> k_loop = where(l, [](const UOp& u) { return is_loop(u, AxisType::Loop); });
  const std::vector<size_t> acc = where(l, [](const UOp& u) { return u.is(Ops::DEFINE_REG); });
  ASSERT_EQ(loads.size(), 2u);
  ASSERT_EQ(k_loop.size(), 1u);
  ASSERT_EQ(acc.size(), 1u);
  EXPECT_LT(loads[0], k_loop[0]);
  EXPECT_GT(loads[1], k_loop[0]);
  EXPECT_LT(acc[0], k_loop[0]);
  const std::vector<size_t> updates = where(l, [](const UOp& u) { return u.is(Ops::STORE) && u.src(0).is(Ops::DEFINE_REG); });
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_TRUE(statements(l)[updates[0]].src(1).is(Ops::MULACC));
  // The CPU splits the output loop across cores.
  EXPECT_EQ(where(l, [](const UOp& u) { return is_loop(u, AxisType::Thread); }).size(), 1u);
  EXPECT_EQ(count(l, Ops::END), 2);
}

// UPCAST's copies of a matmul's sum run in one loop nest with one accumulator each (a register tile).
TEST(Linearize, UpcastCopiesShareOneLoopNest) {
  const ScheduledKernel k = kernels_of(random({16, 12}, 3).matmul(random({12, 16}, 4))).at(0);
  const LinearKernel l = linearize(apply_opt(apply_opt(k, {OptOp::Upcast, 1, 4}), {OptOp::Upcast, 0, 2}), cpu_target());
  EXPECT_EQ(count(l, Ops::DEFINE_REG), 8);
  EXPECT_EQ(where(l, [](const UOp& u) { return is_loop(u, AxisType::Loop) && u.src(0).ival() == 12; }).size(), 1u);
}

// On a GPU the output loops are thread indices: no loops, a guard for the last block's stragglers.
TEST(Linearize, GpuOutputLoopsBecomeThreadIndices) {
  const ScheduledKernel k = kernels_of(random({10, 100}, 5) + 1.0).at(0);
  const LinearKernel l = linearize(k, cuda_target());
  EXPECT_EQ(count(l, Ops::RANGE), 0);
  ASSERT_EQ(count(l, Ops::SPECIAL), 1);
  const UOp gid = statements(l)[where(l, [](const UOp& u) { return u.is(Ops::SPECIAL); })[0]];
  EXPECT_EQ(*gid.arg().as_string(), "gid");
  EXPECT_EQ(gid.src(0).ival(), 1000);
  EXPECT_EQ(l.threads, 256);
  EXPECT_EQ(l.blocks, 4);
  // LOCAL: blocks walk tiles, threads positions within one.
  const ScheduledKernel tiled = apply_opt(kernels_of(random({16, 64}, 6) * 2.0).at(0), {OptOp::Local, 1, 16});
  const LinearKernel t = linearize(tiled, cuda_target());
  EXPECT_EQ(t.threads, 16);
  EXPECT_EQ(t.blocks, 64);
  EXPECT_EQ(count(t, Ops::SPECIAL), 2);
}

// GROUP: one block per output; each thread sums its share (a loop strided by the group), the partial
// sums meet in one block-shared array per type through a halving tree between barriers, and only
// the first thread stores. A softmax's two reductions reuse the array.
TEST(Linearize, GroupedReductionsCombineThroughSharedMemory) {
  const ScheduledKernel k = kernels_of(random({6, 3000}, 7).sum({1})).at(0);
  const LinearKernel l = linearize(apply_opt(k, {OptOp::Group, 0, 64}), cuda_target());
  EXPECT_EQ(l.threads, 64);
  EXPECT_EQ(l.blocks, 6);
  EXPECT_EQ(where(l, [](const UOp& u) { return is_loop(u, AxisType::GroupStrided) && u.src(0).ival() == 3000; }).size(), 1u);
  EXPECT_EQ(count(l, Ops::DEFINE_LOCAL), 1);
  EXPECT_EQ(count(l, Ops::BARRIER), 3);  // after the partial sums, per halving step (a loop), after the total
  const std::vector<size_t> store = where(l, [](const UOp& u) { return u.is(Ops::STORE) && u.src(0).is(Ops::INDEX) && u.src(0).src(0).is(Ops::PARAM); });
  const std::vector<size_t> ifs = where(l, [](const UOp& u) { return u.is(Ops::IF); });
  ASSERT_EQ(store.size(), 1u);
  ASSERT_EQ(ifs.size(), 2u);  // the halving step's active threads, the first thread's store
  EXPECT_GT(store[0], ifs[1]);
  int softmax_combines = 0;
  for (const ScheduledKernel& s : kernels_of(random({6, 3000}, 8).softmax(1))) {
    ScheduledKernel g;
    try {
      g = apply_opt(s, {OptOp::Group, 0, 32});
    } catch (const Error&) {
      continue;  // elementwise
    }
    const LinearKernel sl = linearize(g, cuda_target());
    EXPECT_EQ(count(sl, Ops::DEFINE_LOCAL), 1) << s.name;
    softmax_combines += count(sl, Ops::BARRIER) / 3;
  }
  EXPECT_GE(softmax_combines, 2);
}

// CUDA reads four aligned neighbours with one 16-byte load; the CPU leaves that to its compiler.
TEST(Linearize, VectorAccessesOnlyWhereTheTargetHasThem) {
  const ScheduledKernel k = kernels_of(random({64, 60}, 9).matmul(random({60, 64}, 10))).at(0);
  const ScheduledKernel o = apply_opt(apply_opt(k, {OptOp::Upcast, 1, 4}), {OptOp::Upcast, 0, 2});
  auto vector_loads = [](const LinearKernel& l) {
    return where(l, [](const UOp& u) { return u.is(Ops::LOAD) && u.arg().as_int() && *u.arg().as_int() == 4; }).size();
  };
  EXPECT_EQ(vector_loads(linearize(o, cuda_target())), 1u);  // B's row of 4; A is one value per row
  EXPECT_EQ(vector_loads(linearize(o, cpu_target())), 0u);
}

}  // namespace
}  // namespace anneal
