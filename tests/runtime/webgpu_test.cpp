// The WEBGPU device (Dawn, loaded at run time) against the CPU: copies of every size, zeroed and
// reused memory, kernels, grids past WebGPU's 65535 workgroups a dimension, the 8-buffer binding
// limit, sub-word dtypes packed into 32-bit words, and clear errors. Skipped where WebGPU is not
// usable (no library, or no Vulkan driver).
#include <gtest/gtest.h>

#include <cstdint>

#include "../support/test_support.h"
#include "device_checks.h"
#include "anneal/runtime/device.h"
#include "anneal/runtime/webgpu_probe.h"
#include "anneal/schedule/schedule.h"
#include "anneal/support/error.h"
#include "anneal/tensor/tensor.h"

namespace anneal {
namespace {

const WebGpuInfo& webgpu_info() {
  static const WebGpuInfo info = probe_webgpu();
  return info;
}

#define REQUIRE_WEBGPU()                                                                               \
  if (!webgpu_info().usable) GTEST_SKIP() << "WebGPU is not usable here: " << webgpu_info().problem; \
  static_assert(true)

using testing::error_of;

using testing::expect_close;
using testing::random_floats;

TEST(WebGpu, CopiesRoundTripEveryDtype) {
  REQUIRE_WEBGPU();
  for (size_t n : {size_t(0), size_t(1), size_t(511), size_t(513), size_t(1) << 20}) {
    const std::vector<float> v = random_floats(n, n);
    Tensor g = Tensor::from_vector(v, {int64_t(n)}, "WEBGPU");
    EXPECT_EQ(g.device(), "WEBGPU");
    EXPECT_EQ(g.to_vector<float>(), v) << n;
    EXPECT_EQ(g.to("CPU").to_vector<float>(), v) << n;
  }
  // Sizes that are no multiple of WebGPU's 4-byte copy unit.
  const std::vector<uint8_t> bytes = {1, 2, 250};
  EXPECT_EQ(Tensor::from_vector(bytes, {3}, "WEBGPU").to_vector<uint8_t>(), bytes);
  const std::vector<bool> bits = {true, false, true, true, false};
  EXPECT_EQ(Tensor::from_vector(bits, {5}, "WEBGPU").to_vector<bool>(), bits);
  // 64-bit values cannot be computed on, but they are stored and copied exactly.
  const std::vector<int64_t> i64 = {-3, 0, int64_t(1) << 40};
  EXPECT_EQ(Tensor::from_vector(i64, {3}, "WEBGPU").to_vector<int64_t>(), i64);
  const std::vector<double> f64 = {1e300, -0.5, 3.25};
  EXPECT_EQ(Tensor::from_vector(f64, {3}, "WEBGPU").to("CPU").to_vector<double>(), f64);
}

TEST(WebGpu, FreshBuffersAreZeroAndMemoryIsReused) {
  REQUIRE_WEBGPU();
  testing::expect_fresh_buffers_zero_and_reused("WEBGPU");
}

TEST(WebGpu, KernelsAgreeWithTheCpu) {
  REQUIRE_WEBGPU();
  testing::expect_kernels_agree_with_the_cpu("WEBGPU");
}

// More workgroups than one dispatch dimension takes: the grid becomes 2-D and the blocks past the
// last return. Every element is checked, the last ones most of all.
TEST(WebGpu, GridsPastTheDispatchLimit) {
  REQUIRE_WEBGPU();
  const int64_t n = 65535 * 256 + 777;
  std::vector<float> x(static_cast<size_t>(n));
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 4099) - 2000.0f;
  const std::vector<float> got = (Tensor::from_vector(x, {n}, "WEBGPU") * 2.0 + 1.0).to_vector<float>();
  ASSERT_EQ(got.size(), x.size());
  size_t wrong = 0;
  for (size_t i = 0; i < x.size(); ++i) wrong += got[i] != x[i] * 2.0f + 1.0f;
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(got.back(), x.back() * 2.0f + 1.0f);
}

// WebGPU guarantees 8 storage buffers to a shader: a sum of 12 tensors is split into kernels that
// each bind at most 8 (the output included), and the value is still right.
TEST(WebGpu, KernelsBindAtMostEightBuffers) {
  REQUIRE_WEBGPU();
  std::vector<Tensor> parts;
  std::vector<float> want(16, 0.0f);
  for (int i = 0; i < 12; ++i) {
    const std::vector<float> v = random_floats(16, uint64_t(10 + i));
    for (size_t j = 0; j < 16; ++j) want[j] += v[j] * float(i + 1);
    parts.push_back(Tensor::from_vector(v, {16}, "WEBGPU"));
  }
  Tensor total = parts[0];
  for (int i = 1; i < 12; ++i) total = total + parts[size_t(i)] * double(i + 1);
  const std::vector<UOp> outputs{total.uop()};
  const Schedule s = create_schedule(outputs, "WEBGPU");
  EXPECT_GE(s.kernels.size(), 2u);
  for (const ScheduledKernel& k : s.kernels) EXPECT_LE(k.buffers.size(), 8u) << k.name;
  expect_close(total.to_vector<float>(), want, "sum of 12");
}

// Bytes, 16-bit integers and halves share 32-bit words: neighbouring threads store into the same word
// at once, and none may disturb another's bits.
TEST(WebGpu, PackedDtypesStoreWithoutDisturbingNeighbours) {
  REQUIRE_WEBGPU();
  const int64_t n = 100003;
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = int32_t(i * 7919 % 65536) - 32768;
  for (DType d : {dtypes::uint8, dtypes::int8, dtypes::int16, dtypes::bool_, dtypes::float16, dtypes::bfloat16}) {
    auto compute = [&](const std::string& dev) {
      const Tensor x = Tensor::from_vector(v, {n}, dev);
      return ((x * 3 + 1).cast(d) + (d == dtypes::bool_ ? x.cast(d) : x.cast(d) * 2)).cast(dtypes::float32);
    };
    SCOPED_TRACE(d.name());
    EXPECT_EQ(compute("WEBGPU").to_vector<float>(), compute("CPU").to_vector<float>());
  }
}

TEST(WebGpu, CompileErrorsNameTheKernel) {
  REQUIRE_WEBGPU();
  KernelEntry broken;
  broken.name = "broken_kernel";
  broken.buffers = 1;
  broken.source =
      "@group(0) @binding(0) var<storage, read_write> d: array<f32>;\n"
      "@compute @workgroup_size(1) fn broken_kernel() { d[0] = undefined_name; }\n";
  const std::string msg = error_of([&] { get_device("WEBGPU").compile(ProgramSource{"wgsl", "", {broken}}); });
  EXPECT_NE(msg.find("kernel broken_kernel does not compile"), std::string::npos) << msg;
  EXPECT_NE(msg.find("undefined_name"), std::string::npos) << msg;
}

TEST(WebGpu, SixtyFourBitArithmeticIsAClearError) {
  REQUIRE_WEBGPU();
  const Tensor x = Tensor::from_vector(std::vector<double>{1, 2}, {2}, "WEBGPU");
  EXPECT_NE(error_of([&] { (void)(x + 1.0).to_vector<double>(); }).find("WebGPU has no 64-bit types"), std::string::npos);
}

// Run in a child process by MissingLibraryIsAClearError (the library is looked for once a process).
TEST(WebGpu, DISABLED_OpenWithTheLibraryNamed) {
  std::printf("error: %s\n", error_of([] { get_device("WEBGPU"); }).c_str());
}

TEST(WebGpu, MissingLibraryIsAClearError) {
  const testing::ChildRun child =
      testing::run_own_test("ANNEAL_DEVICE=CPU ANNEAL_WEBGPU_LIB=/nonexistent/libdawn.so", "WebGpu.DISABLED_OpenWithTheLibraryNamed");
  EXPECT_NE(child.output.find("error: device WEBGPU is not usable: no WebGPU library (/nonexistent/libdawn.so"),
            std::string::npos)
      << child.output;
  EXPECT_NE(child.output.find("ANNEAL_WEBGPU_LIB"), std::string::npos) << child.output;
}

}  // namespace
}  // namespace anneal
