// The compiler's named passes and stages, seen from one realize: every stage of the pipeline and the
// symbolic pass ran, with the counts they did their work on.
#include <gtest/gtest.h>

#include "anneal/rewrite/pass_trace.h"
#include "anneal/support/settings.h"
#include "op_test_util.h"

using namespace anneal;
using namespace anneal::testing;

namespace {

const PassTotals* find(const std::vector<PassTotals>& all, const std::string& kind, const std::string& name) {
  for (const PassTotals& t : all)
    if (t.kind == kind && t.name == name) return &t;
  return nullptr;
}

uint64_t count_of(const PassTotals* t, const std::string& what) {
  if (!t) return 0;
  for (const auto& [w, n] : t->counts)
    if (w == what) return n;
  return 0;
}

}  // namespace

TEST(PassTrace, RealizeRunsEveryNamedStageAndTheSymbolicPass) {
  // No cache may skip a stage: the schedule cache is off and the shapes are used by no other test.
  settings::ScopedSetting debug("ANNEAL_DEBUG", "1"), uncached("ANNEAL_SCHEDULE_CACHE", "0");
  Tensor a = random_tensor({19, 23}, 1), b = random_tensor({23, 7}, 2), bias = random_tensor({7}, 3);
  a.realize();
  b.realize();
  bias.realize();
  clear_passes_seen();
  Tensor y = (a.matmul(b) + bias).relu();
  y.realize();

  const std::vector<PassTotals> seen = passes_seen();
  for (const char* stage : {"realize", "schedule", "structure_key", "realize_decisions", "lower", "instantiate",
                            "plan_memory", "optimize", "render", "compile", "run"}) {
    const PassTotals* t = find(seen, "stage", stage);
    ASSERT_NE(t, nullptr) << "stage " << stage << " did not run";
    EXPECT_EQ(t->runs, 1u) << stage;
    EXPECT_GE(t->ms, 0.0) << stage;
  }
  EXPECT_EQ(count_of(find(seen, "stage", "lower"), "kernels"), 1u);  // matmul + bias + relu fuse
  EXPECT_EQ(count_of(find(seen, "stage", "run"), "kernels"), 1u);
  EXPECT_GT(count_of(find(seen, "stage", "structure_key"), "nodes"), 5u);
  const PassTotals* symbolic = find(seen, "pass", "symbolic");
  ASSERT_NE(symbolic, nullptr);
  EXPECT_GE(symbolic->runs, 1u);
  EXPECT_GT(count_of(symbolic, "nodes"), 10u);
  EXPECT_GT(count_of(symbolic, "rewrites"), 0u);
  uint64_t fired = 0;
  for (const auto& [rule, n] : symbolic->rules) fired += n;
  EXPECT_EQ(fired, count_of(symbolic, "rewrites"));  // every rewrite is some rule's
  expect_matches_reference(y, 1e-5, 1e-5);
}
