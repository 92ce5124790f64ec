// The built-in programs: kernel counts (tracked over time) and values against the reference.
#include <gtest/gtest.h>

#include "anneal/engine/engine.h"
#include "anneal/models/programs.h"
#include "anneal/schedule/schedule.h"
#include "op_test_util.h"

using namespace anneal;
using namespace anneal::testing;

TEST(Programs, KernelCountsAndValues) {
  const std::vector<std::pair<std::string, size_t>> expected = {
      {"matmul", 1}, {"softmax", 3}, {"mlp-forward", 2}, {"conv2d", 1}, {"attention", 6}};  // attention: the scores are read twice, so they get a buffer; k^T is copied to rows (matmul of a transposed buffer)
  for (const auto& [name, count] : expected) {
    SCOPED_TRACE(name);
    Program p = build_program(name);
    EXPECT_EQ(create_schedule(std::vector<UOp>{p.outputs[0].uop()}).kernels.size(), count);
    expect_matches_reference(p.outputs[0], 1e-4, 1e-5);
  }
}

TEST(Programs, UnknownNameListsTheKnownOnes) {
  try {
    build_program("nope");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "unknown program 'nope' (known: matmul, softmax, mlp-forward, conv2d, attention, attention-kv)");
  }
}

TEST(Programs, SchedulesAreDeterministic) {
  // Two builds of the same program give the same kernel names and sources (apart from buffer ids).
  auto names = [] {
    Program p = build_program("attention");
    std::vector<std::string> out;
    for (const ScheduledKernel& k : create_schedule(std::vector<UOp>{p.outputs[0].uop()}).kernels) out.push_back(k.name);
    return out;
  };
  EXPECT_EQ(names(), names());
}
