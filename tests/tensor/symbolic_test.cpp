// Symbolic shapes: every op group with a symbolic dimension, bound to several values (its minimum and
// maximum among them), gives bit-identical results to the same op built with the constant shape, and
// one set of compiled kernels serves every value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>

#include "anneal/engine/engine.h"
#include "anneal/nn/transformer.h"
#include "anneal/runtime/device.h"
#include "anneal/schedule/schedule.h"
#include "anneal/tensor/jit.h"
#include "anneal/tensor/random.h"
#include "anneal/tensor/tensor.h"
#include "anneal/tensor/variable.h"
#include "../support/test_support.h"

using namespace anneal;
using namespace anneal::testing;

namespace {


// Deterministic values in [-1, 1) (no NaN, some exact zeros).
std::vector<float> values(int64_t n, uint32_t seed) {
  std::vector<float> v(static_cast<size_t>(n));
  uint32_t s = seed * 2654435761u + 1;
  for (float& x : v) {
    s = s * 1664525u + 1013904223u;
    x = float(int((s >> 8) % 2001) - 1000) / 1000.0f;
  }
  return v;
}

// A tensor of `shape` (where -1 marks the symbolic dimension) with n in place of -1: symbolic (bound
// to n) or constant.
Tensor input(const std::vector<int64_t>& shape, const Variable& v, int64_t n, bool symbolic, uint32_t seed) {
  Shape s;
  int64_t count = 1;
  for (int64_t d : shape) {
    s.push_back(d == -1 ? (symbolic ? v.bind(n) : Dim(n)) : Dim(d));
    count *= d == -1 ? n : d;
  }
  return Tensor::from_vector(values(count, seed), s);
}

// Bit-identical on every device: symbolic kernels keep every sum's order (on GPUs they share sums
// across a block for the same programs as the constant shape: those whose outputs are few at most).
void expect_bit_identical(const Tensor& sym, const Tensor& fixed, const std::string& what) {
  const std::vector<uint8_t> a = sym.host_bytes(), b = fixed.host_bytes();
  ASSERT_EQ(a.size(), b.size()) << what << ": " << shape_str(sym.shape()) << " vs " << shape_str(fixed.shape());
  if (std::memcmp(a.data(), b.data(), a.size()) == 0) return;
  const std::vector<float> x = sym.to_vector<float>(), y = fixed.to_vector<float>();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, double(std::abs(x[i] - y[i])));
  ADD_FAILURE() << what << ": values differ (largest difference " << worst << ")";
}

// Within a few float32 roundings (relative 1e-6).
void expect_close(const Tensor& sym, const Tensor& fixed, const std::string& what) {
  const std::vector<float> x = sym.to_vector<float>(), y = fixed.to_vector<float>();
  ASSERT_EQ(x.size(), y.size()) << what;
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], 1e-6 * std::max(1.0f, std::abs(y[i]))) << what << " [" << i << "]";
}

using Program = std::function<Tensor(const std::vector<Tensor>&, const Dim& n)>;

// Runs `program` over inputs of `shapes` for each value, symbolic and constant; after the first value
// the symbolic runs compile nothing.
void check_program(const std::string& what, const std::vector<std::vector<int64_t>>& shapes, const Program& program,
                   std::vector<int64_t> ns = {1, 5, 12}) {
  const Variable v("n", 1, 12);
  size_t compiled_after_first = 0;
  for (size_t i = 0; i < ns.size(); ++i) {
    std::vector<Tensor> sym, fixed;
    for (size_t k = 0; k < shapes.size(); ++k) {
      sym.push_back(input(shapes[k], v, ns[i], true, uint32_t(k + 1)));
      fixed.push_back(input(shapes[k], v, ns[i], false, uint32_t(k + 1)));
    }
    Tensor fx = program(fixed, ns[i]);
    fx.realize();
    const size_t before = compile_stats().compiled_kernels;
    Tensor sx = program(sym, v.bind(ns[i]));
    sx.realize();
    if (i == 0) compiled_after_first = compile_stats().compiled_kernels;
    else EXPECT_EQ(compile_stats().compiled_kernels, before) << what << ": n=" << ns[i] << " compiled again";
    expect_bit_identical(sx, fx, what + " at n=" + std::to_string(ns[i]));
  }
  EXPECT_GT(compiled_after_first, 0u);
}

}  // namespace

TEST(SymbolicShapes, ElementwiseAndBroadcasting) {
  check_program("x*2+bias, relu, exp", {{-1, 4}, {4}}, [](const auto& in, const Dim&) {
    return ((in[0] * 2.0 + in[1]).relu() + in[0].exp()).sqrt();
  });
  check_program("column broadcast", {{-1, 1}, {-1, 3}}, [](const auto& in, const Dim&) { return in[0] * in[1] - in[1]; });
}

TEST(SymbolicShapes, ReductionsOverAndAlongTheSymbolicAxis) {
  check_program("sum over n", {{-1, 4}}, [](const auto& in, const Dim&) { return in[0].sum({0}); });
  check_program("max over n", {{-1, 4}}, [](const auto& in, const Dim&) { return in[0].max({0}); });
  check_program("sum along n", {{-1, 4}}, [](const auto& in, const Dim&) { return in[0].sum({1}); });
  check_program("mean over n", {{-1, 3}}, [](const auto& in, const Dim&) { return in[0].mean({0}); });
  check_program("mean of all", {{-1, 3}}, [](const auto& in, const Dim&) { return in[0].mean(); });
  check_program("var over n", {{-1, 3}}, [](const auto& in, const Dim&) { return in[0].var({0}); }, {2, 5, 12});
  // Long enough for a GPU block to share the symbolic loop (GROUP: threads stride through it).
  const Variable L("L", 1, 300);
  for (int64_t n : {1, 77, 300}) {
    auto long_sum = [&](const Dim& rows) { return Tensor::from_vector(values(n * 3, 9), {rows, 3}).sum({0}); };
    expect_bit_identical(long_sum(L.bind(n)), long_sum(n), "long sum over " + std::to_string(n));
  }
}

TEST(SymbolicShapes, ReshapeSplitsAndMergesTheSymbolicAxis) {
  check_program("merge (n,6)->(n*6)", {{-1, 6}}, [](const auto& in, const Dim&) { return in[0].reshape({-1}) * 3.0; });
  check_program("split (n,6)->(n,2,3)", {{-1, 6}}, [](const auto& in, const Dim& n) {
    return in[0].reshape({n, 2, 3}).sum({2});
  });
  check_program("merge then split", {{-1, 4}}, [](const auto& in, const Dim& n) {
    return (in[0].reshape({n * 4}) + 1.0).reshape({n, 2, 2}).permute({2, 0, 1});
  });
}

TEST(SymbolicShapes, PermuteExpandPadShrink) {
  check_program("transpose", {{-1, 3}}, [](const auto& in, const Dim&) { return in[0].transpose(0, 1).contiguous() + 0.0; });
  check_program("expand (1,4)->(n,4)", {{1, 4}, {-1, 1}}, [](const auto& in, const Dim& n) {
    return in[0].expand({n, 4}) * in[1];
  });
  check_program("pad by n", {{-1, 2}}, [](const auto& in, const Dim& n) {
    return in[0].pad({{1, n}, {0, 1}}, 0.5);
  });
  check_program("shrink to the last n-1 rows, then pad back", {{-1, 3}}, [](const auto& in, const Dim& n) {
    return in[0].shrink({{1, n}, {0, 3}}).pad({{0, 1}, {0, 0}});
  }, {2, 7, 12});
}

TEST(SymbolicShapes, MatmulWithSymbolicMNOrK) {
  check_program("symbolic M", {{-1, 8}, {8, 3}}, [](const auto& in, const Dim&) { return in[0].matmul(in[1]); });
  check_program("symbolic K", {{3, -1}, {-1, 2}}, [](const auto& in, const Dim&) { return in[0].matmul(in[1]); });
  check_program("symbolic N", {{4, 5}, {5, -1}}, [](const auto& in, const Dim&) { return in[0].matmul(in[1]).relu(); });
  // Shapes the CPU tiles: rows of a symbolic M in groups of 8 with a gated tail, and the SIMD tile over
  // a symbolic K (a weight gradient summed over the batch).
  check_program("symbolic M, register tile", {{-1, 64}, {64, 32}}, [](const auto& in, const Dim&) { return in[0].matmul(in[1]); });
  check_program("symbolic K, SIMD tile", {{-1, 16}, {-1, 32}}, [](const auto& in, const Dim&) { return in[0].transpose().matmul(in[1]); });
}

TEST(SymbolicShapes, CpuOptsApplyToSymbolicMatmuls) {
  if (default_device() != "CPU") GTEST_SKIP() << "CPU opts";
  const Variable n("n", 1, 300);
  auto opts_of = [&](const Tensor& t) {
    const std::vector<PreparedKernel> k = prepare_kernels(create_schedule(std::vector<UOp>{t.uop()}));
    std::string s;
    for (const Opt& o : k.at(0).opts) s += o.str() + " ";
    return s;
  };
  const Tensor w = Tensor::from_vector(values(64 * 32, 1), {64, 32});
  EXPECT_EQ(opts_of(Tensor::from_vector(values(7 * 64, 2), {n.bind(7), 64}).matmul(w)), "UPCAST(1, 32) UPCAST(0, 8) ");
  // x^T g: both operands have constant strides (a symbolic row stride is not affine in the tile's sense).
  const Tensor x = Tensor::from_vector(values(7 * 16, 3), {n.bind(7), 16}), g = Tensor::from_vector(values(7 * 32, 4), {n.bind(7), 32});
  EXPECT_EQ(opts_of(x.transpose().matmul(g)), "SIMD(0, 32) ");
}

TEST(SymbolicShapes, SoftmaxOverASymbolicAxis) {
  check_program("softmax", {{2, -1}}, [](const auto& in, const Dim&) { return in[0].softmax(-1); });
  check_program("log_softmax", {{-1, 5}}, [](const auto& in, const Dim&) { return in[0].log_softmax(0); });
}

TEST(SymbolicShapes, AttentionOverAGrowingCache) {
  // One query over the first start_pos+1 keys of a cache of 12: shrink by a symbolic amount.
  const Variable pos("start_pos", 0, 11);
  const std::vector<float> cache_k = values(12 * 4, 7), cache_v = values(12 * 4, 8), q = values(4, 9);
  const Tensor K = Tensor::from_vector(cache_k, {12, 4}), V = Tensor::from_vector(cache_v, {12, 4});
  const Tensor Q = Tensor::from_vector(q, {1, 4});
  auto attend = [&](const Dim& end) {
    const Tensor k = K.shrink({{0, end}, {0, 4}}), v = V.shrink({{0, end}, {0, 4}});
    return (Q.matmul(k.transpose()) * 0.5).softmax(-1).matmul(v);
  };
  size_t compiled = 0;
  for (int64_t p : {0, 3, 11, 6}) {
    Tensor fixed = attend(p + 1);
    fixed.realize();
    const size_t before = compile_stats().compiled_kernels;
    Tensor sym = attend(pos.bind(p) + 1);
    EXPECT_EQ(shape_str(sym.shape()), "(1, 4)");
    sym.realize();
    if (p == 0) compiled = compile_stats().compiled_kernels;
    else EXPECT_EQ(compile_stats().compiled_kernels, before) << "start_pos=" << p << " compiled again";
    expect_bit_identical(sym, fixed, "attention at start_pos=" + std::to_string(p));
  }
  EXPECT_GT(compiled, 0u);
}

TEST(SymbolicShapes, EmbeddingWithASymbolicCount) {
  const Variable T("T", 1, 16);
  const Tensor table = Tensor::from_vector(values(10 * 3, 3), {10, 3});
  for (int64_t t : {1, 9, 16}) {
    std::vector<int32_t> ids(static_cast<size_t>(t));
    for (int64_t i = 0; i < t; ++i) ids[size_t(i)] = int32_t((i * 7 + 3) % 10);
    auto embed = [&](const Dim& n) {
      const Tensor idx = Tensor::from_vector(ids, {n});
      return idx.one_hot(10).cast(dtypes::float32).matmul(table);
    };
    expect_bit_identical(embed(T.bind(t)), embed(t), "embedding of " + std::to_string(t) + " tokens");
  }
}

TEST(SymbolicShapes, GradientsMatchTheConstantShape) {
  const Variable B("B", 1, 32);
  for (int64_t n : {1, 7, 32}) {
    auto grads = [&](const Dim& rows) {
      Tensor w = Tensor::from_vector(values(6 * 4, 11), {6, 4}).requires_grad();
      Tensor b = Tensor::from_vector(values(4, 12), {4}).requires_grad();
      const Tensor x = Tensor::from_vector(values(n * 6, 13), {rows, 6});
      Tensor loss = (x.matmul(w) + b).relu().log_softmax(-1).mean();
      loss.backward();
      return std::make_pair(w.grad(), b.grad());
    };
    const auto [ws, bs] = grads(B.bind(n));
    const auto [wf, bf] = grads(n);
    // Not bit-identical: the mean's 1/B is a value of the graph here, a constant there, and the
    // canonical operand order puts constants last in a sum, so one float addition is reassociated.
    expect_close(ws, wf, "d w at B=" + std::to_string(n));
    expect_close(bs, bf, "d b at B=" + std::to_string(n));
  }
}

TEST(SymbolicShapes, ScheduleAndKernelsAreSharedByEveryValue) {
  const Variable B("B", 1, 64);
  const Tensor w = Tensor::from_vector(values(16 * 8, 1), {16, 8});
  auto step = [&](int64_t n) {
    Tensor y = (Tensor::from_vector(values(n * 16, 2), {B.bind(n), 16}).matmul(w)).relu().sum({1});
    y.realize();
    return y;
  };
  step(3);
  const ScheduleCacheStats s0 = schedule_cache_stats();
  const CompileStats c0 = compile_stats();
  for (int64_t n : {1, 64, 17, 40}) EXPECT_EQ(step(n).to_vector<float>().size(), size_t(n));
  EXPECT_EQ(schedule_cache_stats().misses, s0.misses) << "a new value scheduled again";
  EXPECT_EQ(compile_stats().compiled_kernels, c0.compiled_kernels) << "a new value compiled again";
  EXPECT_EQ(compile_stats().programs, c0.programs);
  // The kernels name their variable and take it as an argument.
  const Schedule s = create_schedule(std::vector<UOp>{
      (Tensor::from_vector(values(5 * 16, 2), {B.bind(5), 16}).matmul(w)).relu().sum({1}).uop()});
  ASSERT_EQ(s.kernels.size(), 1u);
  EXPECT_EQ(s.kernels[0].name, "r_B");
  ASSERT_EQ(s.kernels[0].vars.size(), 1u);
  ASSERT_EQ(s.var_vals.size(), 1u);
  EXPECT_EQ(s.var_vals[0].second, 5);
}

TEST(SymbolicShapes, BadBindingsAreClearErrors) {
  const Variable B("B", 2, 8);
  EXPECT_NE(error_of([&] { B.bind(9); }).find("Variable B: 9 is outside its range [2, 8]"), std::string::npos);
  EXPECT_NE(error_of([&] { B.bind(1); }).find("outside its range"), std::string::npos);
  EXPECT_NE(error_of([] { Variable("2x", 0, 1); }).find("not an identifier"), std::string::npos);
  EXPECT_NE(error_of([] { Variable("x", 5, 1); }).find("non-empty"), std::string::npos);
  // Realizing a graph whose variable has no value.
  const Tensor ones = Tensor::ones({B.dim(), 3});
  EXPECT_NE(error_of([&] { (ones * 2.0).realize(); }).find("variable 'B' is used with no value"), std::string::npos);
  // One variable with two values in one graph.
  const Tensor a = Tensor::ones({B.bind(3), 2}), b = Tensor::ones({B.bind(4), 2});
  EXPECT_NE(error_of([&] { (a.sum() + b.sum()).realize(); }).find("bound to both 3 and 4"), std::string::npos);
  // Shapes that differ by their bound values do not broadcast.
  EXPECT_NE(error_of([&] { (a + b).realize(); }).find("cannot broadcast"), std::string::npos);
  // A symbolic shrink must fit: for every value of an unbound variable, or for the bound one.
  const Variable K("K", 1, 8);
  const Tensor four = Tensor::ones({4});
  EXPECT_NE(error_of([&] { four.shrink({{0, K.dim()}}); }).find("shrink: range [0, K) is invalid"), std::string::npos);
  EXPECT_NE(error_of([&] { four.shrink({{0, K.bind(6)}}); }).find("invalid"), std::string::npos);
  EXPECT_EQ(error_of([&] { four.shrink({{0, K.bind(3)}}); }), "<no error>");
  EXPECT_EQ(error_of([&] { Tensor::ones({K.dim() + 2}).shrink({{1, K.dim() + 1}}); }), "<no error>");
  // Operations that need constant sizes say so.
  EXPECT_NE(error_of([&] { Tensor::ones({B.bind(3), 4}).slice(0, 0, 2); }).find("symbolic"), std::string::npos);
}

TEST(SymbolicShapes, NanoGptForwardOverASymbolicContextLength) {
  manual_seed(3);
  nn::GPT model(nn::GPTConfig{11, 16, 2, 2, 16});
  const Variable T("T", 1, 16);
  size_t compiled = 0;
  for (int64_t t : {5, 1, 16, 9}) {
    std::vector<int32_t> ids(static_cast<size_t>(t));
    for (int64_t i = 0; i < t; ++i) ids[size_t(i)] = int32_t((i * 5 + 2) % 11);
    Tensor fixed = model(Tensor::from_vector(ids, {1, t}));
    fixed.realize();
    const size_t before = compile_stats().compiled_kernels;
    Tensor sym = model(Tensor::from_vector(ids, {1, T.bind(t)}));
    EXPECT_EQ(shape_str(sym.shape()), "(1, T, 11)");
    sym.realize();
    if (compiled == 0) compiled = compile_stats().compiled_kernels;
    else EXPECT_EQ(compile_stats().compiled_kernels, before) << "T=" << t << " compiled again";
    expect_bit_identical(sym, fixed, "nanoGPT logits at T=" + std::to_string(t));
  }
}

TEST(SymbolicShapes, JitReplaysOneCaptureForEveryValue) {
  const Variable B("B", 1, 32);
  const Tensor w = Tensor::from_vector(values(8 * 4, 5), {8, 4});
  auto step = [&](const Tensor& x) { return (x.matmul(w) - 0.1).relu().sum({1}); };
  Jit jit([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{step(in[0])}; });
  for (int64_t n : {3, 7, 1, 32, 5, 9}) {
    const Tensor x = Tensor::from_vector(values(n * 8, uint32_t(n)), {B.bind(n), 8});
    const Tensor got = jit({x})[0];
    EXPECT_EQ(shape_str(got.shape()), "(B,)");
    expect_bit_identical(got, step(x), "jit at B=" + std::to_string(n));
  }
  EXPECT_EQ(jit.captures(), 1u);
  EXPECT_EQ(jit.replays(), 4u);
  // A variable the inputs do not bind (the step binds it itself) is not replayed with a stale value.
  const Variable K("K", 1, 8);
  int64_t k = 2;
  Jit own([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{in[0].shrink({{0, K.bind(k)}, {0, 8}}).sum({0})}; });
  for (k = 2; k <= 6; ++k) {
    const Tensor x = Tensor::from_vector(values(8 * 8, 6), {8, 8});
    expect_bit_identical(own({x})[0], x.shrink({{0, k}, {0, 8}}).sum({0}), "own variable at K=" + std::to_string(k));
  }
  EXPECT_EQ(own.replays(), 0u);
  // Bound at the call instead (a decoding position): part of the guard, and each replay gets its value.
  Dim bound = K.bind(1);
  Jit at_call([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{in[0].shrink({{0, bound}, {0, 8}}).sum({0})}; });
  const Tensor x = Tensor::from_vector(values(8 * 8, 7), {8, 8});
  for (int64_t v : {2, 5, 1, 8, 3}) {
    bound = K.bind(v);
    expect_bit_identical(at_call({x}, {bound})[0], x.shrink({{0, v}, {0, 8}}).sum({0}), "bound at the call, K=" + std::to_string(v));
  }
  EXPECT_EQ(at_call.captures(), 1u);
  EXPECT_EQ(at_call.replays(), 3u);
  EXPECT_THROW(at_call({x}, {Dim(3)}), Error);  // a constant is not a variable binding
}
