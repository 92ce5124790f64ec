// The symbolic rules on hand-checked examples. Expected forms are derived by hand; the property
// test checks values on random expressions.
#include <gtest/gtest.h>

#include "anneal/rewrite/symbolic.h"
#include "anneal/uop/print.h"

using namespace anneal;

namespace {
struct Vars {
  UOp x = UOp::variable("x", 0, 100);
  UOp y = UOp::variable("y", 0, 3);
  UOp z = UOp::variable("z", -8, 8);
  UOp r = UOp::variable("r", 0, 15);
};
UOp k(int64_t v) { return UOp::int_const(v); }
std::string full(const UOp& u) { return render(simplify_full(u)); }
std::string simple(const UOp& u) { return render(simplify(u)); }
std::string canon(const UOp& u) { return render(symbolic_rewrite(u)); }
}  // namespace

TEST(Symbolic, TheIssueExample) {
  Vars v;
  UOp e = (v.x * 4 + v.y).floordiv(k(4)) % 8;
  UOp s = simplify_full(e);
  EXPECT_EQ(render(s), "x%8");
  EXPECT_EQ(s.vmin(), 0);
  EXPECT_EQ(s.vmax(), 7);
}

TEST(Symbolic, IdentitiesAndConstantFolding) {
  Vars v;
  EXPECT_EQ(simple(v.x + 0), "x");
  EXPECT_EQ(simple(v.x * 1), "x");
  EXPECT_EQ(simple(v.x * 0), "0");
  EXPECT_EQ(simple(v.x.floordiv(1)), "x");
  EXPECT_EQ(simple(v.x.floordiv(v.x)), "1");
  EXPECT_EQ(simple(v.x % v.x), "0");
  EXPECT_EQ(simple(k(3) * k(4) + k(-7).floordiv(2)), "8");
  EXPECT_EQ(simple(v.x.lt(v.x)), "False");
  EXPECT_EQ(simple(v.x.maximum(v.x)), "x");
  EXPECT_EQ(simple(v.x.lt(5).logical_not().logical_not()), "x<5");
}

TEST(Symbolic, CanonicalOrderAndLikeTerms) {
  Vars v;
  EXPECT_EQ(simple(k(3) + v.x), "x+3");
  EXPECT_EQ(simple(v.y + v.x), simple(v.x + v.y));
  EXPECT_EQ(simple(v.x * 3 + v.x * 5), "x*8");
  EXPECT_EQ(canon(v.x + v.x), "x*2");  // canonical, one node larger: simplify keeps x+x
  EXPECT_EQ(simple(v.x + v.x), "x+x");
  EXPECT_EQ(simple((v.x + 3) + v.y + 4), "x+y+7");
  EXPECT_EQ(simple(v.x - v.x), "0");
  EXPECT_EQ(simple((v.x + 2) * 3), "x*3+6");
}

TEST(Symbolic, DivModFamily) {
  Vars v;
  EXPECT_EQ(simple(v.x % 4 + v.x.floordiv(4) * 4), "x");                    // recombine
  EXPECT_EQ(simple((v.x * 4 + v.y).floordiv(4)), "x");                      // y in [0,3] vanishes
  EXPECT_EQ(simple((v.x * 4 + v.y) % 4), "y");
  EXPECT_EQ(simple(v.y.floordiv(4)), "0");                                  // constant quotient
  EXPECT_EQ(simple(v.y % 4), "y");
  EXPECT_EQ(simple((v.x * 6 + 3).floordiv(3)), "x*2+1");
  EXPECT_EQ(simple((v.x * 6) % 4), "x%2*2");  // 6x mod 4 = 2*(3x mod 2) = 2*(x mod 2)
  EXPECT_EQ(simple(v.x.floordiv(2).floordiv(3)), "x//6");
  EXPECT_EQ(simple((v.x % 12).floordiv(4)), "x//4%3");
  EXPECT_EQ(canon((v.x + 13).floordiv(4)), "(x+1)//4+3");
  EXPECT_EQ(simple(v.r % 16), "r");
  EXPECT_EQ(simple((v.z + 8) % 17), "z+8");                                 // needs the full range [-8, 8]
}

TEST(Symbolic, ComparisonsByBoundsAndFolding) {
  Vars v;
  EXPECT_EQ(simple(v.y.lt(4)), "True");
  EXPECT_EQ(simple(v.y.lt(0)), "False");
  EXPECT_EQ(simple((v.x + 3).lt(10)), "x<7");
  EXPECT_EQ(simple((v.x * 4 + v.y).lt(8)), "x<2");                          // lt folding
  EXPECT_EQ(simple(v.x.floordiv(4).lt(3)), "x<12");
  EXPECT_EQ(simple((v.x * 3).lt(10)), "x<4");
  EXPECT_EQ(simple(v.x.maximum(v.y + 200)), "y+200");
}

TEST(Symbolic, WhereFolding) {
  Vars v;
  UOp c = v.x.lt(10);
  EXPECT_EQ(simple(c.where(v.y, v.y)), "y");
  EXPECT_EQ(simple(UOp::bool_const(true).where(v.x, v.y)), "x");
  EXPECT_EQ(simple(c.logical_not().where(v.x, v.y)), "where(x<10, y, x)");
  // Inside the branches, the condition is known.
  EXPECT_EQ(simple(c.where(c.where(v.x, v.y), v.z)), "where(x<10, x, z)");
}

TEST(Symbolic, SimplificationUnderAValidity) {
  Vars v;
  // Given x < 4, x%4 is x and x//4 is 0.
  EXPECT_EQ(full(v.x.lt(4).where(v.x % 4 + v.x.floordiv(4), UOp::invalid())), "where(x<4, x, Invalid)");
  // An index valid only on [1, 8]: (x-1)%8 is x-1 there.
  UOp valid = v.x.lt(9) & (k(0)).lt(v.x);
  EXPECT_EQ(full(valid.where((v.x - 1) % 8, UOp::invalid())), "where(x<9 and 0<x, x+-1, Invalid)");
  // Clauses simplify each other: x<4 makes x//2<2 true.
  EXPECT_EQ(full(v.x.lt(4) & v.x.floordiv(2).lt(2)), "x<4");
  // Ordinary where: each branch may assume its side of the condition.
  EXPECT_EQ(full(v.x.lt(8).where(v.x % 8, v.x - 8)), "where(x<8, x, x+-8)");
}

TEST(Symbolic, InvalidTravelsThroughArithmetic) {
  Vars v;
  UOp idx = v.x.lt(4).where(v.x, UOp::invalid());
  EXPECT_EQ(simple(idx * 2 + 1), "where(x<4, x*2+1, Invalid)");
  EXPECT_EQ(canon(v.y.lt(2).where(UOp::invalid(), v.x)), "where(not y<2, x, Invalid)");
}

TEST(Symbolic, DivisionByZeroIsAnError) {
  Vars v;
  EXPECT_THROW(simplify(v.x.floordiv(0)), Error);
  EXPECT_THROW(simplify(v.x % UOp::variable("zero", 0, 0)), Error);
}

TEST(Symbolic, BoolAlgebra) {
  Vars v;
  UOp a = v.x.lt(3), b = v.y.lt(2);
  EXPECT_EQ(simple(a | a.logical_not()), "True");
  EXPECT_EQ(simple(a & UOp::bool_const(true)), "x<3");
  EXPECT_EQ(simple(a & UOp::bool_const(false)), "False");
  EXPECT_EQ(simple(a.cast(dtypes::weakint) + b.cast(dtypes::weakint) * 0), "weakint(x<3)");
  EXPECT_EQ(simple(a.cast(dtypes::weakint).ne(k(0))), "x<3");
}
