// Opts change the loop nest, never the values: every opt, and the heuristic's choice, gives output
// bit-identical to the unoptimized kernel on random inputs (per element the reduction order is the
// same). The heuristic is deterministic.
#include <gtest/gtest.h>

#include <cstdio>
#include <cmath>
#include <cstring>
#include <random>

#include "anneal/codegen/gemm.h"
#include "anneal/codegen/opt.h"
#include "anneal/engine/engine.h"
#include "anneal/uop/axis.h"
#include "anneal/codegen/tensor_core.h"
#include "anneal/render/renderer.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/cpu_compiler.h"
#include "anneal/runtime/device.h"
#include "anneal/support/bits.h"
#include "anneal/support/error.h"
#include "anneal/support/float_convert.h"
#include "anneal/support/settings.h"
#include "../tensor/op_test_util.h"
#include "anneal/tensor/tensor.h"

namespace anneal {
namespace {

Tensor random(const Shape& shape, uint64_t seed) { return testing::random_tensor(shape, seed); }

// Runs `k` into `out` (its own output buffer when null) on its own inputs.
void launch(const ScheduledKernel& k, void* out) {
  Device& dev = get_device(k.buffers[0].arg().as<BufferArg>()->device);
  std::vector<void*> ptrs;
  for (const UOp& b : k.buffers) ptrs.push_back(b.arg().as<BufferArg>()->storage.get());
  if (out) ptrs[0] = out;
  dev.compile(render_program(std::vector<ScheduledKernel>{k}, dev.target()))[0]->launch(ptrs.data());
}

// The kernels that compute `t`, run once in order so that every buffer a kernel reads holds its value.
std::vector<ScheduledKernel> kernels_of(const Tensor& t) {
  const std::vector<UOp> outs{t.uop()};
  Schedule s = create_schedule(outs);
  plan_memory(s);
  for (const ScheduledKernel& k : s.kernels) launch(k, nullptr);
  return s.kernels;
}

// Runs `k` on its own inputs into a fresh output buffer; the output's bytes.
std::vector<uint8_t> run_kernel(const ScheduledKernel& k) {
  Device& dev = get_device(k.buffers[0].arg().as<BufferArg>()->device);
  const auto* out = k.buffers[0].arg().as<BufferArg>();
  const size_t bytes = size_t(out->size) * size_t(k.buffers[0].dtype().itemsize());
  std::shared_ptr<void> storage = dev.allocate(bytes);
  launch(k, storage.get());
  std::vector<uint8_t> host(bytes);
  dev.copy_to_host(host.data(), storage.get(), bytes);
  return host;
}

// Every single opt that applies to `k`, and some pairs.
// A kernel's float32 / float16 / bfloat16 output bytes as values.
std::vector<double> as_doubles(const std::vector<uint8_t>& bytes, DType d) {
  std::vector<double> v(bytes.size() / size_t(d.itemsize()));
  for (size_t i = 0; i < v.size(); ++i) {
    if (d == dtypes::float32) v[i] = double(anneal::bit_cast<float>(reinterpret_cast<const uint32_t*>(bytes.data())[i]));
    else {
      const uint16_t h = reinterpret_cast<const uint16_t*>(bytes.data())[i];
      v[i] = d == dtypes::float16 ? half_bits_to_float(h) : bf16_bits_to_float(h);
    }
  }
  return v;
}

// Whether the device the tests run on renders every opt of `opts`: a claimed matmul's form belongs to
// one kind of device (SIMD to the CPU; STAGE and TC to GPUs).
// Whether the device under test has code for every opt: SIMD tiles are the CPU's, staged and
// tensor-core matmul forms CUDA's (the WGSL renderer has none).
bool renders_here(const std::vector<Opt>& opts) {
  const Target t = get_device(canonical_device("")).target();
  for (const Opt& o : opts) {
    if (o.op == OptOp::Simd && t.gpu) return false;
    if ((o.op == OptOp::Stage || o.op == OptOp::TensorCore) && !(t.gpu && t.matmul_forms)) return false;
  }
  return true;
}

std::vector<std::vector<Opt>> candidate_opts(const ScheduledKernel& k) {
  std::vector<std::vector<Opt>> out;
  const int loops = int(k.ast.src(0).num_srcs()) - 1;
  for (int a = 0; a < loops; ++a) {
    const int64_t n = k.ast.src(0).src(size_t(a) + 1).src(0).ival();
    for (int64_t amount : {2, 3, 4, 8})
      if (n % amount == 0) out.push_back({{OptOp::Upcast, a, amount}});
    for (int b = a + 1; b < loops; ++b) out.push_back({{OptOp::Swap, a, b}});
    if (n % 4 == 0) out.push_back({{OptOp::Local, a, 4}});
  }
  if (loops >= 2) {
    const int64_t n0 = k.ast.src(0).src(1).src(0).ival(), n1 = k.ast.src(0).src(2).src(0).ival();
    if (n0 % 2 == 0 && n1 % 2 == 0) out.push_back({{OptOp::Upcast, 1, 2}, {OptOp::Upcast, 0, 2}, {OptOp::Swap, 0, 1}});
    if (n0 % 4 == 0 && n1 % 4 == 0)
      out.push_back({{OptOp::Upcast, 1, 2}, {OptOp::Local, 1, 2}, {OptOp::Local, 0, 4}, {OptOp::Swap, 0, 1}});
  }
  std::vector<Opt> others{{OptOp::Stage, 0, 64}, {OptOp::Stage, 0, 128}, {OptOp::Simd, 0, 16}, {OptOp::Simd, 0, 32},
                          {OptOp::Unroll, 0, 2}, {OptOp::Unroll, 0, 4}, {OptOp::Unroll, 1, 2}, {OptOp::NoLocals, 0, 0}};
  for (int a = 0; a < loops; ++a) others.push_back({OptOp::Thread, a, a + 1});
  for (const Opt& whole : others) {
    try {
      apply_opt(k, whole);
      out.push_back({whole});
    } catch (const Error&) {  // not a float32 matmul of those sizes, no reduction to unroll...
    }
  }
  // Loops padded to a tile size, alone, then tiled by it.
  for (int a = 0; a < loops; ++a)
    for (const std::vector<Opt>& pad : {std::vector<Opt>{{OptOp::PadTo, a, 16}},
                                        std::vector<Opt>{{OptOp::PadTo, a, 16}, {OptOp::Upcast, a, 16}},
                                        std::vector<Opt>{{OptOp::PadTo, a, 3}, {OptOp::Upcast, a, 3}, {OptOp::Local, a, 2}}}) {
      try {
        ScheduledKernel probe = k;
        for (const Opt& o : pad) probe = apply_opt(probe, o);
        out.push_back(pad);
      } catch (const Error&) {  // the loop already divides
      }
    }
  // Unrolled and threaded register tiles.
  try {
    out.push_back({{OptOp::Unroll, 0, 4}, {OptOp::Thread, 0, 1}, {OptOp::Upcast, loops - 1, 2}});
    ScheduledKernel probe = k;
    for (const Opt& o : out.back()) probe = apply_opt(probe, o);
  } catch (const Error&) {
    out.pop_back();
  }
  return out;
}

// Matmul-shaped kernels in each operand layout the staged renderers handle (STAGE, TC(0, tile)):
// A contiguous along k or along m, B along k or along n, a batch loop, an epilogue. The sums written
// as broadcast products are what autodiff makes of weight and input gradients.
std::vector<Tensor> gemm_programs(DType d) {
  auto input = [&](const Shape& s, uint64_t seed) { return random(s, seed).cast(d).realize(); };
  Tensor a = input({128, 64}, 21), b = input({64, 128}, 22), at = input({64, 128}, 23), bt = input({128, 64}, 24);
  Tensor ba = input({2, 64, 32}, 26), bb = input({2, 32, 64}, 27), bias = random({128}, 25);
  auto f32 = [](const Tensor& t) { return t.cast(dtypes::float32); };
  return {
      (f32(a.matmul(b)) + bias).relu(),                                                    // A along k, B along n
      (f32(at.reshape({64, 128, 1})) * f32(b.reshape({64, 1, 128}))).sum({0}),             // A along m
      (f32(a.reshape({128, 1, 64})) * f32(bt.reshape({1, 128, 64}))).sum({2}),             // B along k
      f32(ba.matmul(bb)) * 0.5,                                                             // batched
  };
}

std::vector<Tensor> programs() {
  Tensor a = random({12, 20}, 1), b = random({20, 8}, 2), bias = random({8}, 3);
  Tensor img = random({2, 3, 9, 9}, 4), w = random({4, 3, 3, 3}, 5);
  Tensor bat = random({3, 6, 10}, 6), bat2 = random({3, 10, 4}, 7);
  std::vector<Tensor> gemms = gemm_programs(dtypes::float32);
  return {
      gemms[0], gemms[1], gemms[2], gemms[3],
      (a.matmul(b) + bias).relu(),                        // matmul with an epilogue
      bat.matmul(bat2),                                   // batched
      img.conv2d(w, {}, {1, 1}, {1, 1}),                  // padded convolution: gated loads
      random({2, 3, 12, 12}, 8).conv2d(random({16, 3, 3, 3}, 9)),  // unpadded: SIMD over 3 reduction loops
      a.pad({{1, 1}, {2, 0}}).sum({1}),                   // reduction over padding
      a.max({0}),                                         // a MAX reduction
      a.matmul(b).softmax(1),                             // reductions inside reductions
      a.permute({1, 0}).flip({0}).matmul(a.shrink({{0, 12}, {0, 12}})),  // views feeding a matmul
  };
}

TEST(Opts, EveryOptKeepsTheValuesBitIdentical) {
  int checked = 0;
  for (const Tensor& t : programs()) {
    for (const ScheduledKernel& k : kernels_of(t)) {
      const std::vector<uint8_t> want = run_kernel(k);
      std::vector<std::vector<Opt>> cands = candidate_opts(k);
      cands.push_back(hand_coded_opts(k, cpu_target()));
      cands.push_back(hand_coded_opts(k, cuda_target()));
      for (const std::vector<Opt>& opts : cands) {
        if (reorders_sums(opts) || !renders_here(opts)) continue;  // GROUP, TC: tested to rounding below
        ScheduledKernel o = k;
        std::string names;
        for (const Opt& op : opts) {
          o = apply_opt(o, op);
          names += op.str() + " ";
        }
        EXPECT_EQ(run_kernel(o), want) << k.name << " with " << names;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 40);
}

// On CUDA an upcast of 4 along a contiguous loop reads and writes 16 bytes at a time, only where
// the 4 elements provably start at a multiple of 4 (the values: EveryOptKeepsTheValuesBitIdentical
// under ANNEAL_DEVICE=CUDA).
TEST(Opts, CudaUpcastsUseVectorAccesses) {
  auto cuda_code = [](const Tensor& t) {
    return render_cuda(apply_opt(apply_opt(kernels_of(t).at(0), {OptOp::Upcast, 1, 4}), {OptOp::Upcast, 0, 2}));
  };
  const std::string aligned = cuda_code(random({64, 60}, 3).matmul(random({60, 64}, 4)));
  EXPECT_NE(aligned.find("*(const float4*)(data2 + "), std::string::npos) << aligned;  // B's 4 columns
  EXPECT_EQ(aligned.find("*(const float4*)(data1 + "), std::string::npos) << aligned;  // A: one value per row
  EXPECT_NE(aligned.find("*(float4*)&data0["), std::string::npos) << aligned;
  // B's rows 65 long, read from column 1: row starts are not multiples of 4.
  const std::string odd = cuda_code(random({64, 60}, 3).matmul(random({60, 65}, 4).shrink({{0, 60}, {1, 65}})));
  EXPECT_EQ(odd.find("float4*)(data2"), std::string::npos) << odd;
  EXPECT_NE(odd.find("*(float4*)&data0["), std::string::npos) << odd;  // the output is still aligned
}

// A long sum over a packed panel (a convolution's weight gradient, 2 x 38 x 38 k-steps) runs in
// chunks of its outermost k loop, the tiles' sums waiting between chunks: still bit-identical.
TEST(Opts, ChunkedSimdTilesKeepTheValuesBitIdentical) {
  if (canonical_device("") != "CPU") GTEST_SKIP() << "SIMD tiles are the CPU's (the C renderer's)";
  Tensor x = random({2, 16, 40, 40}, 11), w = random({16, 16, 3, 3}, 12).requires_grad(), up = random({2, 16, 38, 38}, 13);
  (x.conv2d(w) * up).sum().backward();
  int checked = 0;
  for (const ScheduledKernel& k : kernels_of(w.grad())) {
    const std::vector<Opt> opts = hand_coded_opts(k, cpu_target());
    if (opts.size() != 1 || opts[0].op != OptOp::Simd) continue;
    const ScheduledKernel o = apply_opt(k, opts[0]);
    if (render_c(o).find("saved[") == std::string::npos) continue;
    EXPECT_EQ(run_kernel(o), run_kernel(k)) << k.name;
    ++checked;
  }
  EXPECT_EQ(checked, 1);
}

// GROUP / GROUPTOP share each output's reductions among a block's threads: the partial sums combine
// in a tree, so results agree with the loop to float32 rounding (bit-identical on the CPU, which
// ignores them). Sums, maxima, nested reductions (softmax), a scalar total, and a reduction shorter
// than the group.
TEST(Opts, GroupedReductionsAgreeWithTheLoop) {
  Tensor x = random({6, 3000}, 31), y = random({40, 50}, 32);
  const std::vector<Tensor> progs{x.sum({1}), x.max({1}), x.softmax(1), (x * x).sum(), y.sum({1}), x.exp().sum({0})};
  int checked = 0;
  for (const Tensor& t : progs)
    for (const ScheduledKernel& k : kernels_of(t)) {
      const std::vector<uint8_t> base = run_kernel(k);
      std::vector<float> want(base.size() / 4);
      std::memcpy(want.data(), base.data(), base.size());
      for (const Opt& g : {Opt{OptOp::Group, 0, 32}, Opt{OptOp::Group, 0, 256}, Opt{OptOp::GroupTop, 0, 64}}) {
        ScheduledKernel o;
        try {
          o = apply_opt(k, g);
        } catch (const Error&) {
          continue;  // elementwise kernels have nothing to share
        }
        const std::vector<uint8_t> bytes = run_kernel(o);
        std::vector<float> got(bytes.size() / 4);
        std::memcpy(got.data(), bytes.data(), bytes.size());
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i)
          ASSERT_NEAR(got[i], want[i], 1e-5 * (1 + std::fabs(want[i])) * 30) << k.name << " " << g.str() << " element " << i;
        ++checked;
      }
    }
  EXPECT_GE(checked, 18);
  Tensor a = random({12, 20}, 1);
  const ScheduledKernel plain = kernels_of(a + 1.0).at(0);
  EXPECT_THROW(apply_opt(plain, {OptOp::Group, 0, 64}), Error);   // no reduction
  const ScheduledKernel sum = kernels_of(a.sum({1})).at(0);
  EXPECT_THROW(apply_opt(sum, {OptOp::Group, 0, 48}), Error);     // not a power of two
}

// Staged kernels apply to every layout of gemm_programs (the bit-identity above then covers them).
TEST(Opts, StagingAppliesToEveryMatmulLayout) {
  for (const Tensor& t : gemm_programs(dtypes::float32)) {
    const ScheduledKernel k = kernels_of(t).back();
    EXPECT_NO_THROW(apply_opt(k, {OptOp::Stage, 0, 64})) << k.name;
  }
  // A convolution's sum runs over channels and the window (3 loops): SIMD tiles 5 x 16 of its
  // (columns x output channels), the weights packed.
  const ScheduledKernel conv = kernels_of(random({2, 3, 12, 12}, 8).conv2d(random({16, 3, 3, 3}, 9))).back();
  ASSERT_EQ(hand_coded_opts(conv, cpu_target()).size(), 1u);
  EXPECT_EQ(hand_coded_opts(conv, cpu_target())[0].str(), "SIMD(0, 16)");
  EXPECT_EQ(match_gemm(conv)->ranges_k.size(), 3u);
  EXPECT_THROW(apply_opt(conv, {OptOp::Stage, 0, 64}), Error);  // staged GPU tiles take one reduction loop
  // SIMD reads B as vectors along n, packing a panel first where B runs along k.
  for (const Tensor& t : gemm_programs(dtypes::float32)) {
    const ScheduledKernel k = kernels_of(t).back();
    EXPECT_NO_THROW(apply_opt(k, {OptOp::Simd, 0, 32})) << k.name;
  }
  for (DType d : {dtypes::float16, dtypes::bfloat16})
    for (const Tensor& t : gemm_programs(d)) {
      const ScheduledKernel k = kernels_of(t).back();
      EXPECT_NO_THROW(apply_opt(k, {OptOp::TensorCore, 0, 64})) << d.name() << " " << k.name;
    }
  // A 64-wide tile does not divide 48 columns: a clear error.
  const ScheduledKernel odd = kernels_of(random({64, 16}, 1).matmul(random({16, 48}, 2))).at(0);
  try {
    apply_opt(odd, {OptOp::Stage, 0, 64});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("STAGE(0, 64): needs"), std::string::npos) << e.what();
  }
}

// Staged tensor-core kernels (cp.async + ldmatrix) against the plain loop on the same GPU, to float32
// rounding of f16/bf16 products (the loop rounds each product to the input type first).
TEST(Opts, StagedTensorCoresAgreeWithTheLoop) {
  if (canonical_device("").rfind("CUDA", 0) != 0) GTEST_SKIP() << "tensor cores need ANNEAL_DEVICE=CUDA";
  int checked = 0;
  for (DType d : {dtypes::float16, dtypes::bfloat16})
    for (const Tensor& t : gemm_programs(d)) {
      const ScheduledKernel k = kernels_of(t).back();
      const DType out = k.buffers[0].dtype();
      auto values = [&](const std::vector<uint8_t>& bytes) { return as_doubles(bytes, out); };
      const std::vector<double> want = values(run_kernel(k));
      const double tol = d == dtypes::float16 ? 4e-3 : 3e-2;
      for (int64_t tile : {64, 128}) {
        ScheduledKernel o;
        try {
          o = apply_opt(k, {OptOp::TensorCore, 0, tile});
        } catch (const Error&) {
          continue;  // 128 does not divide the batched program's loops
        }
        const std::vector<double> got = values(run_kernel(o));
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i)
          ASSERT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << d.name() << " " << k.name << " TC tile " << tile << " element " << i;
        ++checked;
      }
    }
  EXPECT_GE(checked, 12);
}

// Warpgroup MMA (TC(1, n): wgmma, compute 9.0 only): all four operand layouts, a batch, float16
// and float32 epilogues, in both tile widths. Everywhere the opt applies and renders a kernel that
// asks for sm_90a; on such a GPU its values agree with the plain loop's to float32 rounding of the
// f16/bf16 products (k = 128: |error| far below the tolerance).
TEST(Opts, WarpgroupTensorCoresAgreeWithTheLoop) {
  const bool gpu = get_device(default_device()).target().warpgroup_mma;
  int checked = 0;
  for (DType d : {dtypes::float16, dtypes::bfloat16}) {
    auto input = [&](const Shape& s, uint64_t seed) { return random(s, seed).cast(d).realize(); };
    auto f32 = [](const Tensor& t) { return t.cast(dtypes::float32); };
    Tensor a = input({128, 128}, 31), b = input({128, 256}, 32), at = input({128, 128}, 33), bt = input({256, 128}, 34);
    Tensor ba = input({2, 128, 64}, 35), bb = input({2, 64, 256}, 36), bias = random({256}, 37);
    const std::vector<std::pair<const char*, Tensor>> layouts = {
        {"A along k, B along n", (f32(a.matmul(b)) + bias).relu()},
        {"A along m, B along n", (f32(at.reshape({128, 128, 1})) * f32(b.reshape({128, 1, 256}))).sum({0})},
        {"A along k, B along k", (f32(a.reshape({128, 1, 128})) * f32(bt.reshape({1, 256, 128}))).sum({2})},
        {"A along m, B along k", at.transpose().matmul(bt.transpose())},  // float16 / bfloat16 out
        {"batched", f32(ba.matmul(bb)) * 0.5},
    };
    for (const auto& [what, t] : layouts) {
      const ScheduledKernel k = kernels_of(t).back();
      ASSERT_TRUE(match_tensor_core(k).has_value()) << what;
      for (int64_t n : {128, 256}) {
        const ScheduledKernel o = apply_opt(k, {OptOp::TensorCore, 1, n});
        KernelEntry entry;
        const std::string code = render_cuda(o, &entry);
        EXPECT_NE(code.find("wgmma.mma_async.sync.aligned.m64n" + std::to_string(n) + "k16"), std::string::npos) << what;
        EXPECT_TRUE(entry.sm90a) << what;
        EXPECT_EQ(entry.local[0], 256) << what;
        if (!gpu) continue;
        const DType out = k.buffers[0].dtype();
        auto values = [&](const std::vector<uint8_t>& bytes) { return as_doubles(bytes, out); };
        const std::vector<double> want = values(run_kernel(k)), got = values(run_kernel(o));
        const double tol = d == dtypes::float16 ? 4e-3 : 3e-2;
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < got.size(); ++i)
          ASSERT_NEAR(got[i], want[i], tol * (1 + std::fabs(want[i]))) << d.name() << " " << what << " TC(1, " << n << ") element " << i;
        ++checked;
      }
    }
  }
  // 64 rows, or k = 32: not the warpgroup tile's.
  Tensor h = random({64, 64}, 1).cast(dtypes::float16).realize(), w = random({64, 256}, 2).cast(dtypes::float16).realize();
  EXPECT_THROW(apply_opt(kernels_of(h.matmul(w)).at(0), {OptOp::TensorCore, 1, 128}), Error);
  if (gpu) EXPECT_EQ(checked, 20);
  else GTEST_SKIP() << "rendered only: running wgmma needs a compute 9.0 GPU (ANNEAL_DEVICE=CUDA on an H100/H200)";
}

TEST(Opts, HeuristicTilesMatmulsAndLeavesElementwiseAlone) {
  Tensor a = random({64, 64}, 1), b = random({64, 64}, 2);
  const ScheduledKernel mm = kernels_of(a.matmul(b)).at(0);
  auto cpu_opts = [](const Tensor& t) {
    std::string s;
    for (const Opt& o : hand_coded_opts(kernels_of(t).at(0), cpu_target())) s += o.str() + " ";
    return s;
  };
  EXPECT_EQ(cpu_opts(a.matmul(b)), "SIMD(0, 32) ");  // B's rows are vectors: an explicit 8 x 32 tile
  EXPECT_EQ(cpu_opts((a.reshape({64, 1, 64}) * b.reshape({1, 64, 64})).sum({2})), "SIMD(0, 32) ");  // packed B
  EXPECT_EQ(cpu_opts(random({64, 64}, 1).matmul(random({64, 48}, 2))), "SIMD(0, 16) ");
  // 40 columns: a register tile left to the C compiler's vectorizer.
  EXPECT_EQ(cpu_opts(random({64, 64}, 1).matmul(random({64, 40}, 2))), "UPCAST(1, 8) UPCAST(0, 8) ");
  // 4096 outputs, 64 long: too few threads to tile on a GPU; a block per output shares each sum.
  ASSERT_EQ(hand_coded_opts(mm, cuda_target()).size(), 1u);
  EXPECT_EQ(hand_coded_opts(mm, cuda_target())[0].str(), "GROUP(0, 64)");
  auto gpu_opts = [](const Tensor& t) {
    std::string s;
    for (const Opt& o : hand_coded_opts(kernels_of(t).at(0), cuda_target())) s += o.str() + " ";
    return s;
  };
  // float32 matmuls whose loops a 128 (else 64) tile divides, with a block per SM: staged through
  // shared memory (1024 blocks of 128 x 128 here; 2048 x 2048 would be 256).
  EXPECT_EQ(gpu_opts(random({4096, 64}, 3).matmul(random({64, 4096}, 4))), "STAGE(0, 128) ");
  EXPECT_EQ(gpu_opts(random({1024, 64}, 3).matmul(random({64, 1024}, 4))), "STAGE(0, 64) ");  // 64 blocks of 128
  // k = 60 cannot be read as float4 pieces: register tiles. 4096 x 4096 outputs: 8 x 4 per thread,
  // 16 x 64 threads (512 blocks).
  EXPECT_EQ(gpu_opts(random({4096, 60}, 3).matmul(random({60, 4096}, 4))), "UPCAST(1, 4) UPCAST(0, 8) LOCAL(1, 16) LOCAL(0, 64) ");
  // 2048 x 2048: that would be 128 blocks, fewer than two per SM: 16 x 16 threads instead (512 blocks).
  EXPECT_EQ(gpu_opts(random({2048, 60}, 5).matmul(random({60, 2048}, 6))), "UPCAST(1, 4) UPCAST(0, 8) LOCAL(1, 16) LOCAL(0, 16) ");
  // 256 x 512: no tile gives 264 blocks; the one with the most (2 x 2 per thread, 128 blocks).
  EXPECT_EQ(gpu_opts(random({256, 60}, 7).matmul(random({60, 512}, 8))), "UPCAST(1, 2) UPCAST(0, 2) LOCAL(1, 16) LOCAL(0, 16) ");
  EXPECT_TRUE(hand_coded_opts(kernels_of((a + b).exp()).at(0), cpu_target()).empty());
}

TEST(Opts, TensorCoresForHalfPrecisionMatmulsOnGpus) {
  auto opts_of = [](const Tensor& t, const Target& target) {
    std::string s;
    for (const Opt& o : hand_coded_opts(kernels_of(t).at(0), target)) s += o.str() + " ";
    return s;
  };
  Tensor a = random({64, 48}, 1).cast(dtypes::float16).realize(), b = random({48, 32}, 2).cast(dtypes::float16).realize();
  EXPECT_EQ(opts_of(a.matmul(b), cuda_target()), "TC(0, 0) ");
  EXPECT_EQ(opts_of((a.matmul(b).cast(dtypes::float32) + 1.0).relu(), cuda_target()), "TC(0, 0) ");  // with an epilogue
  EXPECT_NE(opts_of(a.matmul(b), cpu_target()), "TC(0, 0) ");
  Tensor odd = random({40, 48}, 3).cast(dtypes::float16).realize();  // 40 rows: not a multiple of 32
  EXPECT_EQ(opts_of(odd.matmul(b), cuda_target()).find("TC"), std::string::npos);
  Tensor f32a = random({64, 48}, 1), f32b = random({48, 32}, 2);
  EXPECT_EQ(opts_of(f32a.matmul(f32b), cuda_target()).find("TC"), std::string::npos);  // no tf32 unless asked
}

// float32 matmuls use tensor cores (tf32) only under ANNEAL_TF32=1; then, on a GPU, they agree with
// the float32 loop to tf32 rounding: each input loses 13 mantissa bits (relative 2^-11), so a sum of
// 48 products of values below 1 is off by at most 48 * 2 * 2^-11 < 0.05 — far less in practice.
TEST(Opts, Tf32OnlyWhenAsked) {
  Tensor a = random({64, 48}, 1), b = random({48, 32}, 2);
  const ScheduledKernel k = kernels_of(a.matmul(b)).at(0);
  auto opts = [&] {
    std::string s;
    for (const Opt& o : hand_coded_opts(k, cuda_target())) s += o.str() + " ";
    return s;
  };
  EXPECT_EQ(opts().find("TC"), std::string::npos);
  const settings::ScopedSetting asked("ANNEAL_TF32", "1");
  EXPECT_EQ(opts(), "TC(0, 0) ");
  EXPECT_THROW(apply_opt(k, {OptOp::TensorCore, 0, 64}), Error);  // tf32 fragments are not staged
  if (canonical_device("").rfind("CUDA", 0) != 0) return;
  std::vector<float> want(size_t(64 * 32)), got(want.size());
  const std::vector<uint8_t> w = run_kernel(k), g = run_kernel(apply_opt(k, {OptOp::TensorCore, 0, 0}));
  std::memcpy(want.data(), w.data(), w.size());
  std::memcpy(got.data(), g.data(), g.size());
  double worst = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], 2e-2 * (1 + std::fabs(want[i]))) << "element " << i;
    worst = std::max(worst, double(std::fabs(got[i] - want[i])));
  }
  EXPECT_GT(worst, 0.0);  // tf32 inputs and another summation order: not the loop's bits
}

// The CPU register tile is meant for the C compiler's vectorizer: its assembly holds packed (SIMD)
// multiply-adds. (The untiled loop, a sequential sum, compiles to scalar ones with clang.)
TEST(Opts, CpuTilesCompileToPackedInstructions) {
  Tensor a = random({64, 64}, 1), b = random({64, 64}, 2);
  const ScheduledKernel plain = kernels_of(a.matmul(b)).at(0);
  auto assembly_of = [](const ScheduledKernel& k) {
    const std::string path = ::testing::TempDir() + "/anneal_tile.c";
    std::FILE* f = std::fopen(path.c_str(), "w");
    const std::string code = render_program(std::vector<ScheduledKernel>{k}, cpu_target()).code();
    std::fwrite(code.data(), 1, code.size(), f);
    std::fclose(f);
    const CpuCompiler& cc = CpuCompiler::instance();
    std::FILE* p = popen((cc.compiler() + " " + cc.flags() + " -S -o - " + path + " 2>&1").c_str(), "r");
    std::string text;
    char buf[4096];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
    pclose(p);
    return text;
  };
  auto packed = [](const std::string& s) {
    for (const char* op : {"fmadd231ps", "fmadd213ps", "fmadd132ps", "mulps"})
      if (s.find(op) != std::string::npos) return true;
    return false;
  };
  const std::string tiled = assembly_of(optimize(plain, cpu_target()));
  EXPECT_TRUE(packed(tiled)) << tiled.substr(0, 2000);
}

TEST(Opts, HeuristicIsDeterministic) {
  auto source = [] {
    Tensor a = random({48, 40}, 1), b = random({40, 32}, 2);
    const ScheduledKernel k = kernels_of(a.matmul(b).relu()).at(0);
    std::vector<Opt> applied;
    const ScheduledKernel o = optimize(k, cpu_target(), &applied);
    std::string s;
    for (const Opt& op : applied) s += op.str();
    return s + render_c(o);
  };
  EXPECT_EQ(source(), source());
}

TEST(Opts, InvalidOptsAreClearErrors) {
  Tensor a = random({12, 20}, 1), b = random({20, 8}, 2);
  const ScheduledKernel k = kernels_of(a.matmul(b)).at(0);
  auto error = [&](const Opt& o) {
    try {
      apply_opt(k, o);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error({OptOp::Upcast, 1, 3}), "UPCAST: amount 3 does not divide loop 1 of size 8");
  EXPECT_EQ(error({OptOp::Upcast, 2, 2}), "UPCAST: axis 2 out of range (the kernel has 2 output loops)");
  EXPECT_EQ(error({OptOp::Swap, 0, 5}), "SWAP: axes 0 and 5 must be below 2");
  EXPECT_EQ(error({OptOp::Local, 0, 5}), "LOCAL: amount 5 does not divide loop 0 of size 12");
  EXPECT_EQ(error({OptOp::PadTo, 1, 4}), "PADTO: 4 must be above 1 and not already divide loop 1 of size 8");
  EXPECT_EQ(apply_opt(k, {OptOp::PadTo, 0, 16}).ast.src(0).src(1).src(0).ival(), 16);  // 12 rows padded to 16
  EXPECT_EQ(error({OptOp::Unroll, 0, 3}), "UNROLL(0, 3): 3 does not divide the loop of 20");
  EXPECT_EQ(error({OptOp::Unroll, 1, 2}), "UNROLL(1, 2): the kernel has 1 reduction loops");
  EXPECT_EQ(error({OptOp::Thread, 2, 1}), "THREAD(2, 1): needs an output loop below 2, at least one core, and no other THREAD");
  // The unrolled loop keeps its axis type through an UPCAST that rebuilds the kernel.
  const std::vector<UOp> unrolled = reduction_loops(apply_opt(apply_opt(k, {OptOp::Unroll, 0, 4}), {OptOp::Upcast, 1, 2}));
  ASSERT_EQ(unrolled.size(), 1u);
  EXPECT_EQ(axis_type(unrolled[0]), AxisType::Unroll);
  EXPECT_EQ(range_info(unrolled[0]).amount, 4);
  try {
    apply_opt(apply_opt(k, {OptOp::NoLocals, 0, 0}), {OptOp::Local, 0, 4});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "LOCAL(0, 4): the kernel is marked NOLOCALS");
  }
}

}  // namespace
}  // namespace anneal
