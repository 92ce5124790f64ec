// UPat and PatternMatcher: how patterns match and which rule wins.
#include <gtest/gtest.h>

#include "anneal/rewrite/pattern_matcher.h"

using namespace anneal;

namespace {
bool matches(const UPat& p, const UOp& u) {
  Bindings b;
  return match(p, u, b, [] { return true; });
}
}  // namespace

TEST(UPat, CommutativeSourcesMatchInEitherOrder) {
  UOp x = UOp::variable("x", 0, 9);
  UPat p = UPat::var("a") * UPat::cnst(3);
  EXPECT_TRUE(matches(p, x * 3));
  EXPECT_TRUE(matches(p, UOp::int_const(3) * x));
  EXPECT_FALSE(matches(p, x * 4));
  // Positional ops do not permute.
  UPat d = floordiv(UPat::var("a"), UPat::cnst(3));
  EXPECT_TRUE(matches(d, x.floordiv(3)));
  EXPECT_FALSE(matches(d, UOp::int_const(3).floordiv(x)));
}

TEST(UPat, ARepeatedNameMustBindTheSameNode) {
  UOp x = UOp::variable("x", 0, 9), y = UOp::variable("y", 0, 9);
  UPat p = UPat::var("v") + UPat::var("v");
  EXPECT_TRUE(matches(p, x + x));
  EXPECT_FALSE(matches(p, x + y));
  // (x*c0) + (x*c1): x must be the same on both sides, in any order of the outer and inner ops.
  UPat q = UPat::var("x") * UPat::cvar("c0") + UPat::var("x") * UPat::cvar("c1");
  EXPECT_TRUE(matches(q, x * 2 + UOp::int_const(5) * x));
  EXPECT_FALSE(matches(q, x * 2 + y * 5));
}

TEST(UPat, EveryCommutativeMatchIsOffered) {
  // The callback sees each binding; declining the first lets the matcher try the other order.
  UOp x = UOp::variable("x", 0, 9), y = UOp::variable("y", 0, 9);
  UPat p = UPat::var("first") + UPat::var("second");
  std::vector<std::string> seen;
  Bindings b;
  bool hit = match(p, x + y, b, [&] {
    seen.push_back(b.find("first")->arg().str());
    return seen.size() == 2;
  });
  EXPECT_TRUE(hit);
  EXPECT_EQ(seen, (std::vector<std::string>{"x[0..9]", "y[0..9]"}));
}

TEST(UPat, DTypeSetsConstantsAndPredicates) {
  UOp i = UOp::variable("i", 0, 3);
  UOp f = UOp::float_const(0.0, dtypes::float32);
  EXPECT_TRUE(matches(UPat::var("x", {dtypes::weakint}), i));
  EXPECT_FALSE(matches(UPat::var("x", {dtypes::int32, dtypes::bool_}), i));
  EXPECT_TRUE(matches(UPat::cnst(0), f));                   // 0 matches 0.0
  EXPECT_TRUE(matches(UPat::cnst(0), UOp::bool_const(false)));
  EXPECT_FALSE(matches(UPat::cnst(0), UOp::int_const(1)));
  EXPECT_TRUE(matches(UPat::cvar("c").such_that([](const UOp& u) { return u.ival() > 2; }), UOp::int_const(3)));
  EXPECT_FALSE(matches(UPat::cvar("c").such_that([](const UOp& u) { return u.ival() > 2; }), UOp::int_const(2)));
}

TEST(UPat, PrefixAndRepeatedSources) {
  UOp a = UOp::variable("a", 0, 1), b = UOp::variable("b", 0, 1), c = UOp::variable("c", 0, 1);
  UOp sink = UOp::make(Ops::SINK, dtypes::void_, {a, b, c});
  EXPECT_TRUE(matches(UPat::op({Ops::SINK}, {UPat::op({Ops::PARAM})}, UPat::SrcMode::Repeat), sink));
  EXPECT_FALSE(matches(UPat::op({Ops::SINK}, {UPat::cnst(0)}, UPat::SrcMode::Repeat), sink));
  EXPECT_TRUE(matches(UPat::op({Ops::SINK}, {UPat::var("first")}, UPat::SrcMode::Prefix), sink));
  EXPECT_FALSE(matches(UPat::op({Ops::SINK}, {UPat::var("first")}, UPat::SrcMode::Positional), sink));
}

TEST(PatternMatcher, FirstMatchingRuleWinsAndConcatenationKeepsOrder) {
  UOp x = UOp::variable("x", 0, 9);
  PatternMatcher a, b;
  a.add(UPat::var("x") + UPat::cnst(1), [](const Match& m) { return m["x"] * 10; }, "a");
  b.add(UPat::var("x") + UPat::cvar("c"), [](const Match& m) { return m["x"] * 20; }, "b");
  EXPECT_EQ((a + b).rewrite(x + 1), x * 10);
  EXPECT_EQ((b + a).rewrite(x + 1), x * 20);
  EXPECT_EQ((a + b).rewrite(x + 2), x * 20);
  EXPECT_FALSE((a + b).rewrite(x * 2));
  EXPECT_EQ((a + b).size(), 2u);
  EXPECT_EQ((a + b).rule(1).name, "b");
}

TEST(PatternMatcher, ARuleThatDeclinesFallsThrough) {
  UOp x = UOp::variable("x", 0, 9);
  PatternMatcher pm;
  pm.add(UPat::var("x") + UPat::cvar("c"), [](const Match&) { return UOp(); }, "declines");
  pm.add(UPat::var("x") + UPat::cvar("c"), [](const Match& m) { return m["x"]; }, "accepts");
  EXPECT_EQ(pm.rewrite(x + 3), x);
}

TEST(PatternMatcher, RulesReachTheirContext) {
  UOp x = UOp::variable("x", 0, 9);
  PatternMatcher pm;
  pm.add(UPat::op({Ops::PARAM}).named("p"), [](const Match& m) {
    ++m.ctx<int>();
    return UOp();
  });
  int calls = 0;
  pm.rewrite(x, &calls);
  EXPECT_EQ(calls, 1);
}
