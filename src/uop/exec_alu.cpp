#include "anneal/uop/exec_alu.h"

#include <cmath>
#include <limits>

#include "anneal/support/float_convert.h"
#include "anneal/uop/int_math.h"

namespace anneal {
namespace {

// Integers are evaluated in 128 bits; reading a stored int64 as the operand dtype matters for uint64.
i128 read_int(DType d, const ConstValue& v) {
  if (v.kind() == ConstValue::Kind::Float) return i128(v.as_int());
  if (d == dtypes::uint64) return i128(uint64_t(v.as_int()));
  return i128(v.as_int());
}

std::optional<ConstValue> int_result(DType d, i128 v) {
  if (d == dtypes::weakint) {
    if (v < std::numeric_limits<int64_t>::min() || v > std::numeric_limits<int64_t>::max()) return std::nullopt;
    return ConstValue::integer(int64_t(v));
  }
  if (d.is_bool()) return ConstValue::boolean(v != 0);
  return truncate_to(d, ConstValue::integer(int64_t(uint64_t(v))));  // wrap through the low 64 bits
}

std::optional<ConstValue> eval_int(Ops op, DType result, DType operand, std::span<const ConstValue> args) {
  const i128 a = read_int(operand, args[0]);
  const i128 b = args.size() > 1 ? read_int(operand, args[1]) : 0;
  switch (op) {
    case Ops::NEG: return int_result(result, -a);
    case Ops::TRUNC: return int_result(result, a);
    case Ops::ADD: return int_result(result, a + b);
    case Ops::SUB: return int_result(result, a - b);
    case Ops::MUL: return int_result(result, a * b);
    case Ops::MAX: return int_result(result, a > b ? a : b);
    case Ops::XOR: return int_result(result, a ^ b);
    case Ops::OR: return int_result(result, a | b);
    case Ops::AND: return int_result(result, a & b);
    case Ops::SHL:
      if (b < 0 || b >= 64) return std::nullopt;
      return int_result(result, a << int(b));
    case Ops::SHR:
      if (b < 0 || b >= 64) return std::nullopt;
      return int_result(result, a >> int(b));
    case Ops::CDIV:
      if (b == 0) return std::nullopt;
      return int_result(result, a / b);
    case Ops::CMOD:
      if (b == 0) return std::nullopt;
      return int_result(result, a % b);
    case Ops::FLOORDIV:
      if (b == 0) return std::nullopt;
      return int_result(result, floordiv(a, b));
    case Ops::FLOORMOD:
      if (b == 0) return std::nullopt;
      return int_result(result, floormod(a, b));
    case Ops::CMPLT: return ConstValue::boolean(a < b);
    case Ops::CMPNE: return ConstValue::boolean(a != b);
    case Ops::CMPEQ: return ConstValue::boolean(a == b);
    case Ops::POW: {
      if (b < 0) return std::nullopt;
      i128 r = 1;
      for (i128 i = 0; i < b; ++i) {
        r *= a;
        if (r > (i128(1) << 80) || r < -(i128(1) << 80)) return std::nullopt;
      }
      return int_result(result, r);
    }
    default: return std::nullopt;
  }
}

std::optional<ConstValue> eval_float(Ops op, DType result, std::span<const ConstValue> args) {
  const double a = args[0].as_float();
  const double b = args.size() > 1 ? args[1].as_float() : 0.0;
  auto out = [result](double v) { return truncate_to(result, ConstValue::floating(v)); };
  switch (op) {
    case Ops::NEG: return out(-a);
    case Ops::EXP2: return out(std::exp2(a));
    case Ops::LOG2: return out(std::log2(a));
    case Ops::SIN: return out(std::sin(a));
    case Ops::SQRT: return out(std::sqrt(a));
    case Ops::RECIPROCAL: return out(1.0 / a);
    case Ops::TRUNC: return out(std::trunc(a));
    case Ops::ADD: return out(a + b);
    case Ops::SUB: return out(a - b);
    case Ops::MUL: return out(a * b);
    case Ops::FDIV: return out(a / b);
    case Ops::MAX: return out(std::isnan(a) || std::isnan(b) ? std::nan("") : (a > b ? a : b));
    case Ops::POW: return out(std::pow(a, b));
    case Ops::CMPLT: return ConstValue::boolean(a < b);
    case Ops::CMPNE: return ConstValue::boolean(a != b);
    case Ops::CMPEQ: return ConstValue::boolean(a == b);
    default: return std::nullopt;
  }
}

}  // namespace

ConstValue truncate_to(DType d, const ConstValue& v) {
  if (v.is_invalid()) return v;
  if (d.is_bool()) return ConstValue::boolean(v.as_bool());
  if (d.is_float()) {
    double x = v.as_float();
    switch (d.scalar()) {
      case ScalarType::Float32: return ConstValue::floating(round_to_float32(x));
      case ScalarType::Float16: return ConstValue::floating(round_to_float16(x));
      case ScalarType::BFloat16: return ConstValue::floating(round_to_bfloat16(x));
      case ScalarType::FP8E4M3: return ConstValue::floating(round_to_fp8e4m3(x));
      case ScalarType::FP8E5M2: return ConstValue::floating(round_to_fp8e5m2(x));
      default: return ConstValue::floating(x);
    }
  }
  if (!d.is_int()) return v;
  int64_t i = v.as_int();
  if (d == dtypes::weakint || d.bits() == 64) return ConstValue::integer(i);
  const int bits = d.bits();
  const uint64_t mask = (uint64_t(1) << bits) - 1;
  uint64_t u = uint64_t(i) & mask;
  if (!d.is_unsigned() && (u >> (bits - 1))) return ConstValue::integer(int64_t(u) - int64_t(uint64_t(1) << bits));
  return ConstValue::integer(int64_t(u));
}

std::optional<ConstValue> exec_alu(Ops op, DType result, DType operand, std::span<const ConstValue> args) {
  for (const ConstValue& a : args)
    if (a.is_invalid()) return std::nullopt;
  if (op == Ops::CAST) return truncate_to(result, args[0]);
  if (op == Ops::WHERE) return truncate_to(result, args[0].as_bool() ? args[1] : args[2]);
  if (op == Ops::MULACC) {
    ConstValue ab[2] = {args[0], args[1]};
    auto prod = exec_alu(Ops::MUL, result, operand, ab);
    if (!prod) return std::nullopt;
    ConstValue pc[2] = {*prod, args[2]};
    return exec_alu(Ops::ADD, result, operand, pc);
  }
  if (operand.is_float()) return eval_float(op, result, args);
  return eval_int(op, result, operand, args);
}

}  // namespace anneal
