// A long program compiles as several translation units at once (runtime/compile_units.h).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <numeric>
#include <string>
#include <vector>

#include "anneal/runtime/compile_units.h"
#include "anneal/runtime/cpu_compiler.h"
#include "anneal/runtime/device.h"
#include "anneal/support/error.h"

namespace anneal {
namespace {

KernelEntry kernel(const std::string& name, std::string source) {
  KernelEntry k;
  k.name = name;
  k.buffers = 1;
  k.source = std::move(source);
  return k;
}

std::vector<std::string> names(const ProgramSource& p) {
  std::vector<std::string> n;
  for (const KernelEntry& k : p.kernels) n.push_back(k.name);
  return n;
}

TEST(CompileUnits, ConsecutiveBalancedUnitsEachWithThePrelude) {
  ProgramSource p{"c", "PRELUDE", {}};
  const std::vector<size_t> sizes{100, 100, 100, 100, 100, 100, 100, 100, 100, 900};
  for (size_t i = 0; i < sizes.size(); ++i) p.kernels.push_back(kernel("k" + std::to_string(i), std::string(sizes[i], 'x')));
  const std::vector<ProgramSource> units = split_program(p, 3, 100);
  ASSERT_EQ(units.size(), 3u);  // 600 bytes each: six small kernels, three, and the large one alone
  EXPECT_EQ(units[0].kernels.size(), 6u);
  EXPECT_EQ(units[1].kernels.size(), 3u);
  EXPECT_EQ(names(units[2]), std::vector<std::string>{"k9"});
  std::vector<std::string> all;
  for (const ProgramSource& u : units) {
    EXPECT_EQ(u.prelude, "PRELUDE");
    EXPECT_EQ(u.language, "c");
    for (const std::string& n : names(u)) all.push_back(n);
  }
  EXPECT_EQ(all, names(p));  // every kernel once, in order
  // Equal kernels split evenly; never more units than asked, than kernels, or than min_bytes allows.
  ProgramSource even{"c", "", {}};
  for (int i = 0; i < 8; ++i) even.kernels.push_back(kernel("e" + std::to_string(i), std::string(1000, 'y')));
  const std::vector<ProgramSource> four = split_program(even, 4, 1000);
  ASSERT_EQ(four.size(), 4u);
  for (const ProgramSource& u : four) EXPECT_EQ(u.kernels.size(), 2u);
  EXPECT_EQ(split_program(even, 100, 1000).size(), 8u);
  EXPECT_EQ(split_program(even, 100, 3000).size(), 2u);
  EXPECT_EQ(split_program(even, 100, 100000).size(), 1u);
  EXPECT_EQ(split_program(even, 1, 1).size(), 1u);
  EXPECT_TRUE(split_program(ProgramSource{"c", "p", {}}, 4, 1).empty());  // nothing to compile
}

TEST(CompileUnits, RunParallelRunsEveryIndexOnceAndRethrows) {
  std::vector<std::atomic<int>> runs(50);
  run_parallel(runs.size(), 4, [&](size_t i) { ++runs[i]; });
  for (const std::atomic<int>& r : runs) EXPECT_EQ(r.load(), 1);
  std::atomic<int> ran{0};
  EXPECT_THROW(run_parallel(20, 3, [&](size_t i) {
                 ++ran;
                 if (i == 7) throw Error("unit 7 failed");
               }),
               Error);
  EXPECT_EQ(ran.load(), 20);  // the others still ran
}

// The CPU device compiles a long program as one compiler process per unit, and each kernel is found
// in its own unit's object.
TEST(CompileUnits, CpuDeviceCompilesAUnitPerCompilerProcess) {
  Device& cpu = get_device("CPU");
  // A nonce keeps the objects out of any earlier run's cache.
  const std::string nonce = std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  ProgramSource p{"c", "// units test " + nonce + "\n", {}};
  const int kernels = 6;
  for (int i = 0; i < kernels; ++i) {
    const std::string name = "unit_kernel_" + std::to_string(i);
    p.kernels.push_back(kernel(name, "void " + name + "(void** bufs, int core, int cores) { (void)cores; if (core == 0) ((float*)bufs[0])[" +
                                         std::to_string(i) + "] = " + std::to_string(i + 1) + ".0f; }\n/*" +
                                         std::string(40 * 1024, '.') + "*/\n"));
  }
  const int before = CpuCompiler::instance().compilations();
  const auto compiled = cpu.compile(p);
  const int processes = CpuCompiler::instance().compilations() - before;
  EXPECT_GE(processes, 2);
  EXPECT_LE(processes, kernels);
  ASSERT_EQ(compiled.size(), size_t(kernels));
  float out[kernels] = {};
  void* bufs[] = {out};
  for (int i = 0; i < kernels; ++i) {
    EXPECT_EQ(compiled[size_t(i)]->name(), "unit_kernel_" + std::to_string(i));
    compiled[size_t(i)]->launch(bufs);
  }
  cpu.synchronize();
  for (int i = 0; i < kernels; ++i) EXPECT_EQ(out[i], float(i + 1));
}

}  // namespace
}  // namespace anneal
