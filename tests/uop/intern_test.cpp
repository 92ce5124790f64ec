// Interning: identity by structure, stable structural keys, and freeing of dropped graphs.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "anneal/uop/graph.h"
#include "anneal/uop/print.h"
#include "anneal/uop/uop.h"
#include "../support/test_support.h"

using namespace anneal;

namespace {

// A graph with many shapes of node: variables, constants of several dtypes, ALU ops, a shared subgraph.
UOp sample_graph() {
  UOp x = UOp::variable("x", 0, 100), y = UOp::variable("y", -5, 5);
  UOp shared = (x * 4 + y).floordiv(UOp::int_const(3));
  UOp f = UOp::float_const(0.5, dtypes::float32).alu(Ops::MUL, UOp::float_const(-0.0, dtypes::float32));
  return (shared % 7 + shared).lt(UOp::int_const(9)).where(x, y).maximum(x + f.cast(dtypes::weakint));
}

}  // namespace

TEST(Intern, SameStructureIsTheSameNode) {
  UOp a = sample_graph(), b = sample_graph();
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.get(), b.get());
  std::vector<UOp> ta = toposort(a), tb = toposort(b);
  ASSERT_EQ(ta.size(), tb.size());
  for (size_t i = 0; i < ta.size(); ++i) EXPECT_EQ(ta[i], tb[i]);
}

TEST(Intern, EveryFieldIsPartOfIdentity) {
  UOp x = UOp::variable("x", 0, 10);
  EXPECT_NE(x, UOp::variable("x", 0, 11));                       // arg
  EXPECT_NE(x, UOp::variable("x", 0, 10, dtypes::int32));        // dtype
  EXPECT_NE(x + 1, x * 1);                                       // op
  EXPECT_NE(x + 1, UOp::int_const(1) + x);                       // source order
  EXPECT_NE(x.with_tag(1), x);                                   // tag
  EXPECT_EQ(x.with_tag(1), x.with_tag(1));
  EXPECT_NE(x.key(), x.with_tag(1).key());
}

TEST(Intern, FloatConstantsUseBitIdentityButAllNaNsAreOne) {
  UOp pz = UOp::float_const(0.0), nz = UOp::float_const(-0.0);
  EXPECT_NE(pz, nz);
  EXPECT_NE(pz.key(), nz.key());
  UOp n1 = UOp::float_const(std::nan("")), n2 = UOp::float_const(-std::nan("1"));
  EXPECT_EQ(n1, n2);
  EXPECT_EQ(n1.key(), n2.key());
  EXPECT_NE(UOp::int_const(1), UOp::bool_const(true));
}

TEST(Intern, DroppingAMillionNodeGraphRestoresTheTable) {
  const size_t before = live_uop_count();
  {
    UOp chain = UOp::variable("chain_root", 0, 3);
    for (int i = 0; i < 1'000'000; ++i) chain = chain + UOp::int_const(i % 1000);
    EXPECT_GE(live_uop_count(), before + 1'000'000);
  }  // the last handle goes here; destruction must not recurse a million frames deep
  EXPECT_EQ(live_uop_count(), before);
}

TEST(Intern, ARebuiltGraphGetsTheSameKey) {
  Key128 first;
  {
    first = sample_graph().key();
  }
  EXPECT_EQ(sample_graph().key(), first);
}

// Run only in a child process by StructuralKeysAgreeAcrossProcesses (disabled for normal runs).
TEST(Intern, DISABLED_PrintKeyForParentProcess) {
  ASSERT_NE(std::getenv("ANNEAL_PRINT_KEY"), nullptr) << "helper for StructuralKeysAgreeAcrossProcesses";
  std::printf("KEY=%s\n", to_hex(sample_graph().key()).c_str());
}

TEST(Intern, StructuralKeysAgreeAcrossProcesses) {
  REQUIRE_THREADS_AND_PROCESSES();
  // Build unrelated nodes first so this process's addresses and creation order differ from the child's.
  std::vector<UOp> noise;
  for (int i = 0; i < 5000; ++i) noise.push_back(UOp::variable("noise" + std::to_string(i), 0, i));
  const std::string mine = to_hex(sample_graph().key());

  const anneal::testing::ChildRun child = anneal::testing::run_own_test("ANNEAL_PRINT_KEY=1", "Intern.DISABLED_PrintKeyForParentProcess");
  const std::string& out = child.output;
  ASSERT_EQ(child.status, 0) << out;
  const size_t at = out.find("KEY=");
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_EQ(out.substr(at + 4, 32), mine);
}

TEST(Intern, KeysSeparateManySimilarGraphs) {
  std::set<std::pair<uint64_t, uint64_t>> keys;
  UOp x = UOp::variable("x", 0, 1000);
  for (int a = 0; a < 100; ++a)
    for (int b = 1; b < 100; ++b) {
      Key128 k = (x * a + b).floordiv(UOp::int_const(b)).key();
      EXPECT_TRUE(keys.insert({k.hi, k.lo}).second);
    }
}

TEST(Print, GraphListingNumbersSharedNodesOnce) {
  UOp x = UOp::variable("x", 0, 8);
  UOp s = x * 2;
  std::string listing = print_graph(s + s);
  EXPECT_EQ(listing,
            "%0 = PARAM weakint x[0..8]\n"
            "%1 = CONST weakint 2\n"
            "%2 = MUL weakint (%0, %1)\n"
            "%3 = ADD weakint (%2, %2)\n");
}

TEST(Print, RenderUsesPythonSpelling) {
  UOp x = UOp::variable("x", 0, 8), y = UOp::variable("y", 0, 8);
  EXPECT_EQ(render((x * 4 + y).floordiv(UOp::int_const(4)) % 8), "(x*4+y)//4%8");
  EXPECT_EQ(render(x - y * 2), "x-y*2");
  EXPECT_EQ(render(x.lt(y) & y.lt(x).logical_not()), "x<y and not y<x");
  EXPECT_EQ(render(x.minimum(y)), "min(x, y)");
  EXPECT_EQ(render(x - (y - x)), "x-(y-x)");
}
