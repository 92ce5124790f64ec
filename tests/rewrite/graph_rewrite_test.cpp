// graph_rewrite: traversal order, fixed points, memoisation, depth, cycles, substitute.
#include <gtest/gtest.h>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/print.h"

using namespace anneal;

TEST(GraphRewrite, RewritesReachAFixedPointPerNode) {
  // a -> b -> c, one rule each; a graph containing a ends with c.
  UOp a = UOp::variable("a", 0, 1), b = UOp::variable("b", 0, 1), c = UOp::variable("c", 0, 1);
  PatternMatcher pm;
  pm.add(UPat::op({Ops::PARAM}).such_that([&](const UOp& u) { return u == a; }), [&](const Match&) { return b; });
  pm.add(UPat::op({Ops::PARAM}).such_that([&](const UOp& u) { return u == b; }), [&](const Match&) { return c; });
  EXPECT_EQ(graph_rewrite(a + a, pm), c + c);
  EXPECT_EQ(graph_rewrite(a + a, pm, nullptr, true), c + c);
}

TEST(GraphRewrite, PostOrderSeesRewrittenSourcesBottomUpSeesParentsFirst) {
  UOp x = UOp::variable("x", 0, 9);
  UOp e = (x + 1) * 2;
  std::vector<Ops> post, pre;
  auto record = [](std::vector<Ops>& log) {
    return [&log](const UOp& u) {
      log.push_back(u.op());
      return UOp();
    };
  };
  auto rp = record(post), rb = record(pre);
  graph_rewrite(e, FunctionRef<UOp(const UOp&)>(rp), false);
  graph_rewrite(e, FunctionRef<UOp(const UOp&)>(rb), true);
  EXPECT_EQ(post.back(), Ops::MUL);   // the root is offered last in post-order
  EXPECT_EQ(pre.front(), Ops::MUL);   // and first bottom-up
}

TEST(GraphRewrite, SharedNodesAreRewrittenOnce) {
  UOp x = UOp::variable("x", 0, 9);
  UOp shared = x + 1;
  UOp e = shared * shared + shared;
  int adds_seen = 0;
  auto fn = [&](const UOp& u) {
    if (u == shared) ++adds_seen;
    return UOp();
  };
  graph_rewrite(e, FunctionRef<UOp(const UOp&)>(fn));
  EXPECT_EQ(adds_seen, 1);
}

TEST(GraphRewrite, MillionNodeChainWithoutStackOverflow) {
  UOp x = UOp::variable("x", 0, 5);
  UOp chain = x;
  for (int i = 0; i < 1'000'000; ++i) chain = chain + 1;
  ASSERT_EQ(node_count(chain), 1'000'002u);  // x, the constant 1, and a million ADDs
  UOp folded = simplify(chain);
  EXPECT_EQ(render(folded), "x+1000000");
  // A pass where nothing fires returns the same graph; bottom-up too.
  auto none = [](const UOp&) { return UOp(); };
  EXPECT_EQ(graph_rewrite(chain, FunctionRef<UOp(const UOp&)>(none)), chain);
  EXPECT_EQ(graph_rewrite(chain, FunctionRef<UOp(const UOp&)>(none), true), chain);
}

TEST(GraphRewrite, ACycleIsAnErrorNotAHang) {
  UOp x = UOp::variable("x", 0, 5);
  PatternMatcher grows;  // x -> x + 1 contains x again: rewriting never ends
  grows.add(UPat::op({Ops::PARAM}).named("p"), [](const Match& m) { return m["p"] + 1; });
  EXPECT_THROW(graph_rewrite(x * 2, grows), Error);
  EXPECT_THROW(graph_rewrite(x * 2, grows, nullptr, true), Error);
}

TEST(Substitute, ReplacesEveryOccurrenceWithoutRevisitingReplacements) {
  UOp x = UOp::variable("x", 0, 5), y = UOp::variable("y", 0, 5);
  UOp e = (x + y) * x;
  EXPECT_EQ(substitute(e, {{x, y}}), (y + y) * y);
  EXPECT_EQ(substitute(e, {{x, x + 1}}), ((x + 1) + y) * (x + 1));
  EXPECT_EQ(substitute(e, {}), e);
  EXPECT_EQ(substitute(e, {{x + y, y}}), y * x);
}
