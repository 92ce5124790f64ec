// DType: the scalar element types of anneal, including the weak types of the promotion lattice.
//
// There are no vector or pointer dtypes: vector-ness is a UOp's shape and pointer-ness its address
// space (see DESIGN.md §1). Weak dtypes (weakint, weakfloat) are the types of literals and of index
// arithmetic; they adopt the dtype of a strong operand and are committed late.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace anneal {

__extension__ typedef __int128 i128;  // bounds arithmetic never overflows for 64-bit operands

enum class ScalarType : uint8_t {
  Void, Bool, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64,
  Float16, BFloat16, Float32, Float64, FP8E4M3, FP8E5M2, WeakInt, WeakFloat,
};
inline constexpr int kNumScalarTypes = int(ScalarType::WeakFloat) + 1;

class DType {
 public:
  constexpr DType() = default;
  constexpr explicit DType(ScalarType s) : s_(s) {}
  constexpr ScalarType scalar() const { return s_; }

  int bits() const;                        // storage width; weak types report 64
  int itemsize() const { return (bits() + 7) / 8; }
  std::string_view name() const;           // "float32", "weakint", ...

  bool is_void() const { return s_ == ScalarType::Void; }
  bool is_bool() const { return s_ == ScalarType::Bool; }
  bool is_weak() const { return s_ == ScalarType::WeakInt || s_ == ScalarType::WeakFloat; }
  bool is_unsigned() const { return s_ >= ScalarType::UInt8 && s_ <= ScalarType::UInt64; }
  bool is_int() const;    // signed, unsigned or weak integer (not bool)
  bool is_float() const;  // any floating type, including fp8 and weakfloat

  // Smallest and largest representable value of an integer or bool dtype. weakint is modelled as
  // int64 (index math that needs more than 64 bits is rejected where it is formed).
  i128 min_value() const;
  i128 max_value() const;

  // weakint -> int32, weakfloat -> float32, anything else unchanged.
  DType strong() const;

  friend constexpr bool operator==(DType a, DType b) { return a.s_ == b.s_; }
  friend constexpr bool operator!=(DType a, DType b) { return a.s_ != b.s_; }

 private:
  ScalarType s_ = ScalarType::Void;
};

namespace dtypes {
inline constexpr DType void_{ScalarType::Void};
inline constexpr DType bool_{ScalarType::Bool};
inline constexpr DType int8{ScalarType::Int8};
inline constexpr DType int16{ScalarType::Int16};
inline constexpr DType int32{ScalarType::Int32};
inline constexpr DType int64{ScalarType::Int64};
inline constexpr DType uint8{ScalarType::UInt8};
inline constexpr DType uint16{ScalarType::UInt16};
inline constexpr DType uint32{ScalarType::UInt32};
inline constexpr DType uint64{ScalarType::UInt64};
inline constexpr DType float16{ScalarType::Float16};
inline constexpr DType bfloat16{ScalarType::BFloat16};
inline constexpr DType float32{ScalarType::Float32};
inline constexpr DType float64{ScalarType::Float64};
inline constexpr DType fp8e4m3{ScalarType::FP8E4M3};
inline constexpr DType fp8e5m2{ScalarType::FP8E5M2};
inline constexpr DType weakint{ScalarType::WeakInt};
inline constexpr DType weakfloat{ScalarType::WeakFloat};
}  // namespace dtypes

// The least upper bound of two dtypes in the JAX-style promotion lattice:
// bool -> weakint -> {int8, uint8} -> ... -> {int64, uint64} -> weakfloat -> fp8 -> {f16, bf16} -> f32 -> f64.
// E.g. int8+uint8 = int16, f16+bf16 = f32, uint64+int64 = weakfloat.
DType least_upper(DType a, DType b);

// True when every value of `from` is exactly representable in `to`.
bool can_lossless_cast(DType from, DType to);

// The accumulator dtype of a sum: unsigned -> >= uint32, signed/bool -> >= int32, float -> >= float32.
DType sum_acc_dtype(DType d);

std::optional<DType> dtype_from_name(std::string_view name);

}  // namespace anneal
