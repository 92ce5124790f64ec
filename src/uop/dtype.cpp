#include "anneal/uop/dtype.h"

#include <array>
#include <limits>

namespace anneal {
namespace {

struct Info {
  std::string_view name;
  int bits;
};

constexpr std::array<Info, kNumScalarTypes> kInfo{{
    {"void", 0}, {"bool", 8}, {"int8", 8}, {"int16", 16}, {"int32", 32}, {"int64", 64},
    {"uint8", 8}, {"uint16", 16}, {"uint32", 32}, {"uint64", 64}, {"float16", 16}, {"bfloat16", 16},
    {"float32", 32}, {"float64", 64}, {"fp8e4m3", 8}, {"fp8e5m2", 8}, {"weakint", 64}, {"weakfloat", 64},
}};

using S = ScalarType;
using Mask = uint32_t;
constexpr Mask bit(S s) { return Mask(1) << int(s); }

// Direct successors in the promotion lattice.
Mask parents(S s) {
  switch (s) {
    case S::Bool: return bit(S::WeakInt);
    case S::WeakInt: return bit(S::Int8) | bit(S::UInt8);
    case S::Int8: return bit(S::Int16);
    case S::Int16: return bit(S::Int32);
    case S::Int32: return bit(S::Int64);
    case S::Int64: return bit(S::WeakFloat);
    case S::UInt8: return bit(S::Int16) | bit(S::UInt16);
    case S::UInt16: return bit(S::Int32) | bit(S::UInt32);
    case S::UInt32: return bit(S::Int64) | bit(S::UInt64);
    case S::UInt64: return bit(S::WeakFloat);
    case S::WeakFloat: return bit(S::FP8E4M3) | bit(S::FP8E5M2);
    case S::FP8E4M3:
    case S::FP8E5M2: return bit(S::Float16) | bit(S::BFloat16);
    case S::Float16:
    case S::BFloat16: return bit(S::Float32);
    case S::Float32: return bit(S::Float64);
    default: return 0;
  }
}

// Every dtype reachable upwards from s, s included.
Mask upward_closure(S s) {
  Mask result = bit(s), frontier = parents(s);
  while (frontier) {
    int i = __builtin_ctz(frontier);
    frontier &= frontier - 1;
    if (!(result & (Mask(1) << i))) {
      result |= Mask(1) << i;
      frontier |= parents(S(i));
    }
  }
  return result;
}

}  // namespace

int DType::bits() const { return kInfo[size_t(s_)].bits; }
std::string_view DType::name() const { return kInfo[size_t(s_)].name; }

bool DType::is_int() const {
  return (s_ >= S::Int8 && s_ <= S::UInt64) || s_ == S::WeakInt;
}
bool DType::is_float() const {
  return (s_ >= S::Float16 && s_ <= S::FP8E5M2) || s_ == S::WeakFloat;
}

i128 DType::min_value() const {
  if (is_bool() || is_unsigned()) return 0;
  if (s_ == S::WeakInt) return std::numeric_limits<int64_t>::min();
  if (is_int()) return -(i128(1) << (bits() - 1));
  return std::numeric_limits<int64_t>::min();  // floats: not an integer domain; callers check is_float
}
i128 DType::max_value() const {
  if (is_bool()) return 1;
  if (s_ == S::WeakInt) return std::numeric_limits<int64_t>::max();
  if (is_unsigned()) return (i128(1) << bits()) - 1;
  if (is_int()) return (i128(1) << (bits() - 1)) - 1;
  return std::numeric_limits<int64_t>::max();
}

DType DType::strong() const {
  if (s_ == S::WeakInt) return dtypes::int32;
  if (s_ == S::WeakFloat) return dtypes::float32;
  return *this;
}

DType least_upper(DType a, DType b) {
  if (a == b) return a;
  if (a.is_void() || b.is_void()) return dtypes::void_;
  // The least common upper bound is the common element with the largest upward closure; where the
  // lattice has two minimal candidates (fp8e4m3 + fp8e5m2 -> {float16, bfloat16}) float16 wins.
  const Mask common = upward_closure(a.scalar()) & upward_closure(b.scalar());
  S best = S::Float64;
  int best_size = 0;
  for (Mask m = common; m; m &= m - 1) {
    const S candidate = S(__builtin_ctz(m));
    const int size = __builtin_popcount(upward_closure(candidate));
    if (size > best_size) {
      best = candidate;
      best_size = size;
    }
  }
  return DType(best);
}

bool can_lossless_cast(DType from, DType to) {
  if (from == to || from.is_bool()) return true;
  S f = from.scalar();
  auto in = [f](std::initializer_list<S> set) {
    for (S s : set)
      if (s == f) return true;
    return false;
  };
  switch (to.scalar()) {
    case S::WeakInt: return from.is_int();
    case S::Float64:
      return in({S::Float32, S::Float16, S::BFloat16, S::FP8E4M3, S::FP8E5M2, S::UInt32, S::UInt16, S::UInt8,
                 S::Int32, S::Int16, S::Int8});
    case S::Float32:
      return in({S::Float16, S::BFloat16, S::FP8E4M3, S::FP8E5M2, S::UInt16, S::UInt8, S::Int16, S::Int8});
    case S::Float16: return in({S::FP8E4M3, S::FP8E5M2, S::UInt8, S::Int8});
    case S::UInt64: return in({S::UInt32, S::UInt16, S::UInt8});
    case S::UInt32: return in({S::UInt16, S::UInt8});
    case S::UInt16: return in({S::UInt8});
    case S::Int64: return in({S::UInt32, S::UInt16, S::UInt8, S::Int32, S::Int16, S::Int8});
    case S::Int32: return in({S::UInt16, S::UInt8, S::Int16, S::Int8});
    case S::Int16: return in({S::UInt8, S::Int8});
    default: return false;
  }
}

DType sum_acc_dtype(DType d) {
  if (d.is_unsigned()) return least_upper(d, dtypes::uint32);
  if (d.is_int() || d.is_bool()) return least_upper(d, dtypes::int32);
  return least_upper(d, dtypes::float32);
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (int i = 0; i < kNumScalarTypes; ++i)
    if (kInfo[size_t(i)].name == name) return DType(S(i));
  if (name == "float" || name == "f32") return dtypes::float32;
  if (name == "half" || name == "f16") return dtypes::float16;
  if (name == "double" || name == "f64") return dtypes::float64;
  if (name == "int") return dtypes::int32;
  if (name == "long") return dtypes::int64;
  return std::nullopt;
}

}  // namespace anneal
