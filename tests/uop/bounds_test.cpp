// Value bounds: each interval rule checked against brute-force evaluation over the input ranges.
#include <gtest/gtest.h>

#include <functional>

#include "anneal/uop/graph.h"
#include "anneal/uop/uop.h"

using namespace anneal;

namespace {
i128 floordiv(i128 a, i128 b) {
  i128 q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

struct Case {
  const char* name;
  std::function<UOp(const UOp&, const UOp&)> build;
  std::function<std::optional<i128>(i128, i128)> eval;  // nullopt where undefined
};
}  // namespace

TEST(Bounds, ContainEveryValueAndAreTightForSimpleOps) {
  const std::vector<Case> cases = {
      {"add", [](const UOp& a, const UOp& b) { return a + b; }, [](i128 a, i128 b) { return a + b; }},
      {"mul", [](const UOp& a, const UOp& b) { return a * b; }, [](i128 a, i128 b) { return a * b; }},
      {"max", [](const UOp& a, const UOp& b) { return a.maximum(b); }, [](i128 a, i128 b) { return a > b ? a : b; }},
      {"floordiv", [](const UOp& a, const UOp& b) { return a.floordiv(b); },
       [](i128 a, i128 b) -> std::optional<i128> { return b ? std::optional<i128>(floordiv(a, b)) : std::nullopt; }},
      {"floormod", [](const UOp& a, const UOp& b) { return a % b; },
       [](i128 a, i128 b) -> std::optional<i128> {
         return b ? std::optional<i128>(a - floordiv(a, b) * b) : std::nullopt;
       }},
      {"cdiv", [](const UOp& a, const UOp& b) { return a.alu(Ops::CDIV, b); },
       [](i128 a, i128 b) -> std::optional<i128> { return b ? std::optional<i128>(a / b) : std::nullopt; }},
      {"cmod", [](const UOp& a, const UOp& b) { return a.alu(Ops::CMOD, b); },
       [](i128 a, i128 b) -> std::optional<i128> { return b ? std::optional<i128>(a % b) : std::nullopt; }},
      {"lt", [](const UOp& a, const UOp& b) { return a.lt(b); }, [](i128 a, i128 b) { return i128(a < b); }},
      {"ne", [](const UOp& a, const UOp& b) { return a.ne(b); }, [](i128 a, i128 b) { return i128(a != b); }},
  };
  const std::vector<std::pair<int64_t, int64_t>> ranges = {{-7, -3}, {-5, 4}, {0, 0}, {2, 9}, {-1, -1}, {3, 3}, {-12, 12}};
  for (const Case& c : cases)
    for (auto [alo, ahi] : ranges)
      for (auto [blo, bhi] : ranges) {
        UOp a = UOp::variable("a", alo, ahi), b = UOp::variable("b", blo, bhi);
        UOp e = c.build(a, b);
        i128 lo = INT64_MAX, hi = INT64_MIN;
        for (int64_t x = alo; x <= ahi; ++x)
          for (int64_t y = blo; y <= bhi; ++y)
            if (auto v = c.eval(x, y)) {
              lo = std::min(lo, *v);
              hi = std::max(hi, *v);
              ASSERT_LE(e.vmin(), *v) << c.name;
              ASSERT_GE(e.vmax(), *v) << c.name;
            }
        if (std::string(c.name) == "add" || std::string(c.name) == "mul" || std::string(c.name) == "max") {
          EXPECT_EQ(e.vmin(), lo) << c.name;  // these intervals are exact
          EXPECT_EQ(e.vmax(), hi) << c.name;
        }
      }
}

TEST(Bounds, ConstantsVariablesWhereAndCasts) {
  UOp x = UOp::variable("x", -3, 10);
  EXPECT_EQ(x.vmin(), -3);
  EXPECT_EQ(x.vmax(), 10);
  EXPECT_EQ(UOp::int_const(7).vmin(), 7);
  UOp w = x.lt(0).where(UOp::int_const(100), x);
  EXPECT_EQ(w.vmin(), -3);
  EXPECT_EQ(w.vmax(), 100);
  EXPECT_EQ(UOp::int_const(-1, dtypes::uint64).vmax(), (i128(1) << 64) - 1);
  // A cast to a narrower type whose range the value exceeds may wrap: only the dtype range is known.
  UOp big = UOp::variable("big", 0, 1000).cast(dtypes::int8);
  EXPECT_EQ(big.vmin(), -128);
  EXPECT_EQ(big.vmax(), 127);
  UOp small = UOp::variable("s", 0, 100).cast(dtypes::int8);
  EXPECT_EQ(small.vmax(), 100);
  // Floats have no integer bounds; comparisons of them are unknown booleans.
  UOp f = UOp::float_const(2.5, dtypes::float32);
  EXPECT_EQ(f.lt(f).vmin(), 0);
  EXPECT_EQ(f.lt(f).vmax(), 1);
}

TEST(Bounds, OverflowFallsBackToTheDtypeRange) {
  UOp x = UOp::variable("x", 0, INT64_MAX);
  UOp e = x * 4;
  EXPECT_EQ(e.vmin(), INT64_MIN);
  EXPECT_EQ(e.vmax(), INT64_MAX);
}

TEST(Bounds, DeepChainsAreComputedIteratively) {
  UOp e = UOp::variable("x", 0, 1);
  for (int i = 0; i < 300000; ++i) e = e + 1;
  EXPECT_EQ(e.vmin(), 300000);
  EXPECT_EQ(e.vmax(), 300001);
}
