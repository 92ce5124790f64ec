// Devices: names, the default device, copies, Tensor::to, and the CUDA backend against the CPU.
// Tests that need a GPU skip (reported as skipped) where CUDA is not usable.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "../tensor/op_test_util.h"
#include "anneal/runtime/cuda_probe.h"
#include "anneal/runtime/device.h"
#include "anneal/support/error.h"
#include "anneal/tensor/tensor.h"
#include "../support/test_support.h"
#include "device_checks.h"

namespace anneal {
namespace {

const CudaInfo& cuda_info() {
  static const CudaInfo info = probe_cuda();
  return info;
}

#define REQUIRE_CUDA()                                                                          \
  if (!cuda_info().usable) GTEST_SKIP() << "CUDA is not usable here: " << cuda_info().problem; \
  static_assert(true)

using testing::error_of;

using testing::random_floats;

TEST(Devices, CanonicalNames) {
  EXPECT_EQ(canonical_device("cpu"), "CPU");
  EXPECT_EQ(canonical_device("CPU:0"), "CPU");
  EXPECT_EQ(canonical_device("cuda"), "CUDA");
  EXPECT_EQ(canonical_device("CUDA:0"), "CUDA");
  EXPECT_EQ(canonical_device("cuda:1"), "CUDA:1");
  EXPECT_EQ(canonical_device("auto"), cuda_info().usable ? "CUDA" : "CPU");
  EXPECT_EQ(error_of([] { canonical_device("CUDA:x"); }), "unknown device 'CUDA:x' (available: CPU, CUDA, CUDA:N, WEBGPU, auto)");
  EXPECT_EQ(error_of([] { canonical_device("TPU"); }), "unknown device 'TPU' (available: CPU, CUDA, CUDA:N, WEBGPU, auto)");
}

TEST(Devices, CudaAbsentIsAClearError) {
  if (cuda_info().usable) GTEST_SKIP() << "CUDA is usable here";
  EXPECT_EQ(error_of([] { (void)Tensor::from_vector(std::vector<float>{1}, {1}, "CUDA"); }),
            "device CUDA is not usable: " + cuda_info().problem);
  EXPECT_EQ(Tensor::zeros({2}).to("auto").device(), "CPU");
}

TEST(Devices, ConstantsBelongToTheDefaultDevice) {
  EXPECT_EQ(Tensor::zeros({3}).device(), default_device());
  EXPECT_EQ(Tensor::from_vector(std::vector<float>{1, 2}, {2}).device(), default_device());
  EXPECT_EQ(Tensor::from_vector(std::vector<float>{1, 2}, {2}, "CPU").device(), "CPU");
}

TEST(Devices, CpuCopiesAndTo) {
  const std::vector<float> v = random_floats(1000, 1);
  Tensor a = Tensor::from_vector(v, {10, 100}, "CPU");
  Tensor b = a.to("CPU");
  EXPECT_EQ(b.uop(), a.uop());  // already there: the same tensor
  EXPECT_EQ(a.permute({1, 0}).to("cpu").to_vector<float>(), a.permute({1, 0}).contiguous().to_vector<float>());
}

TEST(Cuda, CopiesRoundTripEveryDtype) {
  REQUIRE_CUDA();
  for (size_t n : {size_t(0), size_t(1), size_t(511), size_t(513), size_t(1) << 20}) {
    const std::vector<float> v = random_floats(n, n);
    Tensor g = Tensor::from_vector(v, {int64_t(n)}, "CUDA");
    EXPECT_EQ(g.device(), "CUDA");
    EXPECT_EQ(g.to_vector<float>(), v) << n;
    EXPECT_EQ(g.to("CPU").to_vector<float>(), v) << n;
  }
  const std::vector<int64_t> i64 = {-3, 0, int64_t(1) << 40};
  EXPECT_EQ(Tensor::from_vector(i64, {3}, "CUDA").to_vector<int64_t>(), i64);
  const std::vector<bool> bits = {true, false, true};
  EXPECT_EQ(Tensor::from_vector(bits, {3}, "CUDA").to_vector<bool>(), bits);
  const std::vector<double> f64 = {1e300, -0.5, 3.25};
  EXPECT_EQ(Tensor::from_vector(f64, {3}, "CUDA").to_vector<double>(), f64);
}

TEST(Cuda, FreshBuffersAreZeroAndMemoryIsReused) {
  REQUIRE_CUDA();
  testing::expect_fresh_buffers_zero_and_reused("CUDA");
}

TEST(Cuda, KernelsAgreeWithTheCpu) {
  REQUIRE_CUDA();
  testing::expect_kernels_agree_with_the_cpu("CUDA");
}

// float16/bfloat16 matmuls run on tensor cores (mma.sync): they agree with the CPU's loop to float32
// rounding (the summation order differs), epilogues (bias, ReLU, casts) and batch loops included.
TEST(Cuda, TensorCoreMatmulsAgreeWithTheCpu) {
  REQUIRE_CUDA();
  for (DType d : {dtypes::float16, dtypes::bfloat16}) {
    const std::vector<float> xa = random_floats(2 * 64 * 96, 11), xb = random_floats(2 * 96 * 48, 12), xc = random_floats(48, 13);
    auto program = [&](const std::string& dev) {
      Tensor a = Tensor::from_vector(xa, {2, 64, 96}, dev).cast(d), b = Tensor::from_vector(xb, {2, 96, 48}, dev).cast(d);
      Tensor c = Tensor::from_vector(xc, {48}, dev);
      a.realize();
      b.realize();
      return std::vector<Tensor>{(a.matmul(b).cast(dtypes::float32) + c).relu(), a.matmul(b), b.permute({0, 2, 1}).matmul(a.permute({0, 2, 1}))};
    };
    const std::vector<Tensor> cpu = program("CPU"), gpu = program("CUDA");
    for (size_t i = 0; i < cpu.size(); ++i) {
      const std::vector<double> want = cpu[i].to_vector<double>(), got = gpu[i].to_vector<double>();
      ASSERT_EQ(got.size(), want.size());
      const double tol = gpu[i].dtype() == dtypes::float32 ? 1e-4 : (d == dtypes::float16 ? 2e-3 : 1e-2);
      for (size_t j = 0; j < got.size(); ++j)
        ASSERT_NEAR(got[j], want[j], tol * (1 + std::fabs(want[j]))) << d.name() << " program " << i << " element " << j;
    }
  }
}

// A kernel that combines many block-shared reductions (a global gradient norm) must fit in shared memory.
TEST(Cuda, ManyBlockReductionsInOneKernel) {
  REQUIRE_CUDA();
  std::vector<float> host;
  Tensor total_cpu, total_gpu;
  for (int i = 0; i < 100; ++i) {
    const std::vector<float> v = random_floats(1000, uint64_t(100 + i));
    const Tensor c = Tensor::from_vector(v, {1000}, "CPU"), g = Tensor::from_vector(v, {1000}, "CUDA");
    total_cpu = i ? total_cpu + (c * c).sum() : (c * c).sum();
    total_gpu = i ? total_gpu + (g * g).sum() : (g * g).sum();
  }
  EXPECT_NEAR(total_gpu.item<float>(), total_cpu.item<float>(), 1e-3);
}

TEST(Cuda, MixingDevicesIsAClearError) {
  REQUIRE_CUDA();
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2}, {2}, "CPU");
  Tensor b = Tensor::from_vector(std::vector<float>{1, 2}, {2}, "CUDA");
  EXPECT_EQ(error_of([&] { (a + b).realize(); }),
            "ADD: operands are on different devices (CPU and CUDA); move one with Tensor::to()");
  EXPECT_EQ((a.to("CUDA") + b).to_vector<float>(), (std::vector<float>{2, 4}));
  EXPECT_EQ((a + b.to("CPU")).device(), "CPU");
}

TEST(Cuda, MoveToKeepsTheHandle) {
  REQUIRE_CUDA();
  Tensor w = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3}, "CPU");
  Tensor alias = w;
  w.move_to("CUDA");
  EXPECT_EQ(alias.device(), "CUDA");
  EXPECT_EQ((alias * 2.0).to_vector<float>(), (std::vector<float>{2, 4, 6}));
}

TEST(Cuda, CompileErrorsNameTheKernelAndShowTheSource) {
  REQUIRE_CUDA();
  KernelEntry broken;
  broken.name = "broken_kernel";
  broken.buffers = 1;
  broken.source = "extern \"C\" __global__ void broken_kernel(float* x) { x[0] = undefined_name; }\n";
  const ProgramSource bad{"cuda", "", {broken}};
  const std::string msg = error_of([&] { get_device("CUDA").compile(bad); });
  EXPECT_NE(msg.find("NVRTC could not compile kernels broken_kernel"), std::string::npos) << msg;
  EXPECT_NE(msg.find("undefined_name"), std::string::npos) << msg;
  EXPECT_NE(msg.find("source:"), std::string::npos) << msg;
}

TEST(Cuda, EventsTimeWork) {
  REQUIRE_CUDA();
  Tensor a = Tensor::from_vector(random_floats(512 * 512, 5), {512, 512}, "CUDA");
  Device& gpu = get_device("CUDA");
  (a.matmul(a)).realize();  // compile first
  const double ms = gpu.time_ms([&] { (a.matmul(a)).realize(); });
  EXPECT_GT(ms, 0.0);
  EXPECT_LT(ms, 10000.0);
}

TEST(Cuda, UnknownOrdinalIsAClearError) {
  REQUIRE_CUDA();
  const std::string name = "CUDA:" + std::to_string(cuda_info().devices.size());
  EXPECT_NE(error_of([&] { get_device(name); }).find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace anneal
