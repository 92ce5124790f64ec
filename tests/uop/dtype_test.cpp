// DType: the promotion lattice, lossless casts and constant conversion.
#include <gtest/gtest.h>

#include <cmath>

#include "anneal/support/float_convert.h"
#include "anneal/uop/dtype.h"
#include "anneal/uop/exec_alu.h"

using namespace anneal;

TEST(DType, PromotionLatticeFollowsTheReference) {
  using namespace dtypes;
  EXPECT_EQ(least_upper(int8, uint8), int16);
  EXPECT_EQ(least_upper(uint8, int16), int16);
  EXPECT_EQ(least_upper(uint32, int32), int64);
  EXPECT_EQ(least_upper(uint64, int64), weakfloat);
  EXPECT_EQ(least_upper(float16, bfloat16), float32);
  EXPECT_EQ(least_upper(bool_, weakint), weakint);
  EXPECT_EQ(least_upper(weakint, int8), int8);   // a weak literal adopts the strong operand
  EXPECT_EQ(least_upper(weakint, uint8), uint8);
  EXPECT_EQ(least_upper(weakfloat, float16), float16);
  EXPECT_EQ(least_upper(int32, weakfloat), weakfloat);
  EXPECT_EQ(least_upper(int32, float16), float16);
  EXPECT_EQ(least_upper(float32, float64), float64);
  EXPECT_EQ(least_upper(fp8e4m3, fp8e5m2), float16);
}

TEST(DType, PromotionIsCommutativeAndIdempotent) {
  for (int a = 1; a < kNumScalarTypes; ++a)
    for (int b = 1; b < kNumScalarTypes; ++b) {
      DType x{ScalarType(a)}, y{ScalarType(b)};
      EXPECT_EQ(least_upper(x, y), least_upper(y, x)) << x.name() << " " << y.name();
      EXPECT_EQ(least_upper(x, x), x);
      // The result is an upper bound: promoting it again with either input changes nothing.
      DType u = least_upper(x, y);
      EXPECT_EQ(least_upper(u, x), u);
    }
}

TEST(DType, Properties) {
  EXPECT_EQ(dtypes::bfloat16.itemsize(), 2);
  EXPECT_EQ(dtypes::fp8e5m2.bits(), 8);
  EXPECT_TRUE(dtypes::weakint.is_int());
  EXPECT_TRUE(dtypes::weakint.is_weak());
  EXPECT_EQ(dtypes::weakint.strong(), dtypes::int32);
  EXPECT_EQ(dtypes::weakfloat.strong(), dtypes::float32);
  EXPECT_EQ(dtypes::int8.min_value(), -128);
  EXPECT_EQ(dtypes::uint64.max_value(), (i128(1) << 64) - 1);
  EXPECT_EQ(dtype_from_name("bfloat16"), dtypes::bfloat16);
  EXPECT_FALSE(dtype_from_name("float7").has_value());
  EXPECT_EQ(sum_acc_dtype(dtypes::float16), dtypes::float32);
  EXPECT_EQ(sum_acc_dtype(dtypes::uint8), dtypes::uint32);
  EXPECT_EQ(sum_acc_dtype(dtypes::bool_), dtypes::int32);
}

TEST(DType, LosslessCasts) {
  EXPECT_TRUE(can_lossless_cast(dtypes::int16, dtypes::float32));
  EXPECT_FALSE(can_lossless_cast(dtypes::int32, dtypes::float32));
  EXPECT_TRUE(can_lossless_cast(dtypes::uint32, dtypes::int64));
  EXPECT_FALSE(can_lossless_cast(dtypes::int64, dtypes::uint64));
  EXPECT_TRUE(can_lossless_cast(dtypes::bool_, dtypes::fp8e4m3));
}

TEST(DType, ConstantsConvertWithTheDtypeSemantics) {
  EXPECT_EQ(truncate_to(dtypes::int8, ConstValue::integer(300)).as_int(), 44);
  EXPECT_EQ(truncate_to(dtypes::uint8, ConstValue::integer(-1)).as_int(), 255);
  EXPECT_EQ(truncate_to(dtypes::int32, ConstValue::floating(-2.7)).as_int(), -2);
  EXPECT_EQ(truncate_to(dtypes::bool_, ConstValue::integer(-3)), ConstValue::boolean(true));
  EXPECT_EQ(truncate_to(dtypes::float16, ConstValue::floating(1.0 / 3)).as_float(), 0.333251953125);
  EXPECT_EQ(truncate_to(dtypes::bfloat16, ConstValue::floating(1.0 / 3)).as_float(), 0.333984375);
  EXPECT_EQ(truncate_to(dtypes::float16, ConstValue::floating(70000)).as_float(), INFINITY);
  EXPECT_TRUE(std::isnan(truncate_to(dtypes::fp8e4m3, ConstValue::floating(1000)).as_float()));
  EXPECT_EQ(truncate_to(dtypes::fp8e4m3, ConstValue::floating(0.3)).as_float(), 0.3125);
  EXPECT_EQ(truncate_to(dtypes::fp8e5m2, ConstValue::floating(0.3)).as_float(), 0.3125);
  EXPECT_EQ(truncate_to(dtypes::float16, ConstValue::floating(1e-7)).as_float(), std::ldexp(2.0, -24));
}

TEST(DType, HalfAndBFloat16BitsRoundTrip) {
  for (float f : {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 1e-3f}) {
    EXPECT_EQ(half_bits_to_float(float_to_half_bits(f)), float(round_to_float16(f))) << f;
    EXPECT_EQ(bf16_bits_to_float(float_to_bf16_bits(f)), float(round_to_bfloat16(f))) << f;
  }
  EXPECT_EQ(float_to_half_bits(1.0f), 0x3C00);
  EXPECT_EQ(float_to_half_bits(-2.0f), 0xC000);
  EXPECT_EQ(float_to_bf16_bits(1.0f), 0x3F80);
}

TEST(ExecAlu, IntegerSemantics) {
  auto eval = [](Ops op, DType d, int64_t a, int64_t b) {
    ConstValue args[2] = {ConstValue::integer(a), ConstValue::integer(b)};
    return exec_alu(op, d, d, args);
  };
  EXPECT_EQ(eval(Ops::FLOORDIV, dtypes::weakint, -7, 2)->as_int(), -4);
  EXPECT_EQ(eval(Ops::FLOORMOD, dtypes::weakint, -7, 3)->as_int(), 2);
  EXPECT_EQ(eval(Ops::CDIV, dtypes::int32, -7, 2)->as_int(), -3);
  EXPECT_EQ(eval(Ops::CMOD, dtypes::int32, -7, 3)->as_int(), -1);
  EXPECT_EQ(eval(Ops::ADD, dtypes::int8, 100, 100)->as_int(), -56);
  EXPECT_FALSE(eval(Ops::FLOORDIV, dtypes::weakint, 1, 0).has_value());
  EXPECT_FALSE(eval(Ops::MUL, dtypes::weakint, INT64_MAX, 2).has_value());  // weakint never wraps silently
  EXPECT_EQ(eval(Ops::MUL, dtypes::int64, INT64_MAX, 2)->as_int(), -2);
  ConstValue u[2] = {ConstValue::integer(-1), ConstValue::integer(1)};  // uint64 max vs 1
  EXPECT_EQ(exec_alu(Ops::CMPLT, dtypes::bool_, dtypes::uint64, u)->as_bool(), false);
}
