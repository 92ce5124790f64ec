// Fusion, asserted as kernel counts of known programs.
#include <gtest/gtest.h>

#include "anneal/engine/engine.h"
#include "anneal/schedule/schedule.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/shape.h"
#include "../../src/schedule/split_reduce.h"
#include "op_test_util.h"

using namespace anneal;
using namespace anneal::testing;

namespace {
size_t kernels(const Tensor& t) { return create_schedule(std::vector<UOp>{t.uop()}).kernels.size(); }
}  // namespace

TEST(Fusion, MatmulBiasReluIsOneKernel) {
  Tensor a = random_tensor({16, 32}, 1), b = random_tensor({32, 8}, 2), bias = random_tensor({8}, 3);
  Tensor y = (a.matmul(b) + bias).relu();
  EXPECT_EQ(kernels(y), 1u);
  expect_matches_reference(y, 1e-5, 1e-5);
}

TEST(Fusion, MlpForwardIsTwoKernels) {
  Tensor x = random_tensor({64, 784}, 1, 0, 1), w1 = random_tensor({784, 512}, 2, -0.05, 0.05),
         b1 = random_tensor({512}, 3), w2 = random_tensor({512, 10}, 4, -0.05, 0.05), b2 = random_tensor({10}, 5);
  Tensor y = (x.matmul(w1) + b1).relu().matmul(w2) + b2;
  EXPECT_EQ(kernels(y), 2u);
  expect_matches_reference(y, 1e-4, 1e-4);
}

TEST(Fusion, TwentyElementwiseOpsAreOneKernel) {
  Tensor x = random_tensor({32, 32}, 7);
  Tensor y = x;
  for (int i = 0; i < 20; ++i) y = (i % 3 == 0) ? (y * 1.01 + 0.1) : (i % 3 == 1 ? y.relu() - 0.05 : y.maximum(x));
  EXPECT_EQ(kernels(y), 1u);
  expect_matches_reference(y);
}

TEST(Fusion, SoftmaxIsAtMostThreeKernels) {
  Tensor x = random_tensor({64, 1000}, 9);
  EXPECT_LE(kernels(x.softmax(-1)), 3u);
  expect_matches_reference(x.softmax(-1));
}

TEST(Fusion, MovementOpsNeverMakeCopyKernelsByThemselves) {
  Tensor x = random_tensor({4, 6}, 11), y = random_tensor({6, 4}, 12);
  // Views feeding computation fuse into it.
  EXPECT_EQ(kernels(x.transpose() * y), 1u);
  EXPECT_EQ(kernels(x.reshape({2, 12}).flip({1}).pad({{1, 1}, {0, 0}}).shrink({{0, 3}, {2, 10}}) + 1.0), 1u);
  EXPECT_EQ(kernels((x.transpose().matmul(x) + 1.0).reshape({-1}).flip({0})), 1u);
  // A realized buffer viewed through reshapes needs no kernel at all.
  Tensor r = x * 2.0;
  r.realize();
  EXPECT_EQ(kernels(r.reshape({24}).reshape({3, 8})), 0u);
}

TEST(MemoryPlanning, IntermediatesShareBlocksOnceTheirReadersRan) {
  Tensor x = random_tensor({1000}, 21);
  Tensor a1 = (x * 2.0).contiguous();
  Tensor a2 = (a1 + 1.0).contiguous();  // a1's last reader
  Tensor a3 = (a2 * 3.0).contiguous();  // may reuse a1's block
  Tensor out = a3 - 1.0;
  Schedule s = create_schedule(std::vector<UOp>{out.uop()});
  plan_memory(s);  // the engine's memory planner
  ASSERT_EQ(s.kernels.size(), 4u);
  EXPECT_EQ(s.intermediate_bytes, 3u * 4000u);
  EXPECT_EQ(s.planned_bytes, 2u * 4000u);
  expect_matches_reference(out);
}

TEST(ScheduleCache, SameStructureWithNewBuffersReusesKernels) {
  auto step = [](uint64_t seed) {
    Tensor a = random_tensor({8, 16}, seed), b = random_tensor({16, 4}, seed + 1);
    return (a.matmul(b) + 1.0).relu().sum({1});
  };
  Tensor first = step(1);
  const ScheduleCacheStats before = schedule_cache_stats();
  const Schedule s1 = create_schedule(std::vector<UOp>{first.uop()});
  Tensor second = step(3);  // same structure, different data
  const Schedule s2 = create_schedule(std::vector<UOp>{second.uop()});
  const ScheduleCacheStats after = schedule_cache_stats();
  EXPECT_GE(after.hits, before.hits + 1);
  ASSERT_EQ(s1.kernels.size(), s2.kernels.size());
  for (size_t i = 0; i < s1.kernels.size(); ++i) {
    EXPECT_EQ(s1.kernels[i].ast, s2.kernels[i].ast);  // the same interned kernel
    EXPECT_NE(s1.kernels[i].buffers[1], s2.kernels[i].buffers[1]);
  }
  // The cached kernels read the new inputs.
  expect_matches_reference(second, 1e-5, 1e-5);
  expect_matches_reference(first, 1e-5, 1e-5);
}

TEST(Fusion, VeryLongChainsSplitIntoBoundedKernels) {
  Tensor x = random_tensor({16}, 5);
  Tensor y = x;
  for (int i = 0; i < 50000; ++i) y = y * 0.9999 + 0.0001;
  const size_t n = kernels(y);
  EXPECT_GE(n, 2u);      // split...
  EXPECT_LE(n, 400u);    // ...into a bounded number of kernels
  // Closed form: y = x*a^N + (1 - a^N) with a = 0.9999, in float32 steps; compare loosely.
  const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>();
  const double aN = std::pow(0.9999, 50000);
  for (size_t i = 0; i < xv.size(); ++i) EXPECT_NEAR(yv[i], xv[i] * aN + (1 - aN), 1e-3);
}

// Split-K (schedule/split_reduce.h): a long sum with few outputs, as it is on a GPU, becomes a first sum
// into s partials per output (realized) and a second over them; its value is the same sum (the reference
// evaluator's), and reductions that are short, few-output or on the CPU are left alone.
TEST(Fusion, LongGpuSumsAreSplitInTwoStages) {
  const Tensor a = random_tensor({16, 256, 96}, 1), b = random_tensor({16, 256, 128}, 2);
  const Tensor grad = (a.reshape({16, 256, 96, 1}) * b.reshape({16, 256, 1, 128})).sum({0, 1});  // a weight gradient
  const std::string gpu = "CUDA", cpu = "CPU";
  // What split_long_reductions makes of `t` computed on `device`.
  auto on = [](const std::string& device, const Tensor& t) {
    const std::vector<UOp> order = toposort(t.uop());
    std::unordered_map<const void*, const std::string*> dev;
    for (const UOp& u : order) dev.emplace(u.get(), &device);
    std::vector<UOp> outputs{t.uop()};
    const bool changed = split_long_reductions(outputs, order, dev, device);
    return std::make_pair(changed, outputs[0]);
  };
  EXPECT_FALSE(on(cpu, grad).first);
  const auto [changed, split] = on(gpu, grad);
  ASSERT_TRUE(changed);
  // sum over the 4 partials of a realized (4, 1, 96, 128) buffer of sums over (4, 256): each at least 1024 long
  ASSERT_TRUE(split.is(Ops::RESHAPE));  // the keepdim=false view of the sum
  const UOp second = split.src(0);
  ASSERT_TRUE(second.is(Ops::REDUCE));
  EXPECT_EQ(shape_of(second.src(0)), (Shape{4, 1, 96, 128}));
  EXPECT_TRUE(second.src(0).is(Ops::CONTIGUOUS));
  EXPECT_EQ(create_schedule(std::vector<UOp>{split}).kernels.size(), 2u);
  expect_matches_reference(Tensor(split), 1e-4, 1e-4);
  // Short reductions and few outputs stay whole.
  for (const Tensor& whole : {a.sum({1}), (a.reshape({16, 256, 96, 1}) * b.reshape({16, 256, 1, 128})).sum({1})})
    EXPECT_FALSE(on(gpu, whole).first);
}

// A lookup (gather, an embedding's one_hot matmul) is a sum over the table that selects one element:
// it becomes one read per output (no reduction in the kernel), with the sum's values, out-of-range
// indices included (they select nothing: 0).
TEST(Fusion, SelectingSumsBecomeOneReadPerElement) {
  const Tensor table = random_tensor({50, 6}, 3);
  const Tensor idx = Tensor::from_vector(std::vector<int32_t>{4, 0, 49, 17, 4}, {5});
  const Tensor rows = idx.one_hot(50).cast(dtypes::float32).matmul(table);  // nn::Embedding
  std::vector<int32_t> at;  // rows 3, 49, -1, 50: out[i][j] = table[at[i][j]][j]
  for (int32_t row : {3, 49, -1, 50})
    for (int j = 0; j < 6; ++j) at.push_back(row);
  const Tensor picked = table.gather(0, Tensor::from_vector(at, {4, 6}));
  for (const Tensor* t : {&rows, &picked}) {
    const Schedule s = create_schedule(std::vector<UOp>{t->uop()});
    ASSERT_EQ(s.kernels.size(), 1u);
    EXPECT_FALSE(has_op(s.kernels[0].ast, Ops::REDUCE)) << "the lookup still sums over the table";
    expect_matches_reference(*t);
  }
  const std::vector<float> t = table.to_vector<float>(), got = picked.to_vector<float>();
  EXPECT_EQ(got[0], t[3 * 6 + 0]);
  EXPECT_EQ(got[6 + 1], t[49 * 6 + 1]);
  EXPECT_EQ(got[12 + 2], 0.0f);  // -1 and 50 select nothing
  EXPECT_EQ(got[18 + 3], 0.0f);
  // The gradient of a lookup sums over the tokens, where the index depends on the loop: not collapsed.
  Tensor w = random_tensor({50, 6}, 4).requires_grad();
  idx.one_hot(50).cast(dtypes::float32).matmul(w).sum().backward();
  const std::vector<float> g = w.grad().to_vector<float>();
  EXPECT_EQ(g[4 * 6], 2.0f);  // row 4 was read twice
  EXPECT_EQ(g[1 * 6], 0.0f);
}
