// Elementwise ops: numpy broadcasting and dtype promotion, then one ALU UOp per op.
#include <cmath>

#include "anneal/tensor/tensor.h"
#include "tensor_internal.h"

namespace anneal {
namespace {

constexpr double kLn2 = 0.69314718055994530942;
constexpr double kPi = 3.14159265358979323846;

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    const Dim da = i < out.size() - a.size() ? Dim(1) : a[i - (out.size() - a.size())];
    const Dim db = i < out.size() - b.size() ? Dim(1) : b[i - (out.size() - b.size())];
    check(da == db || da == 1 || db == 1, [&] {
      return std::string(op) + ": cannot broadcast shapes " + shape_str(a) + " and " + shape_str(b);
    });
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Tensor broadcast_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  Shape padded(shape.size() - t.shape().size(), 1);
  padded.insert(padded.end(), t.shape().begin(), t.shape().end());
  return t.reshape(padded).expand(shape);
}

// Unary math is defined on floats: integer inputs are computed in float32, like PyTorch.
Tensor as_float(const Tensor& t) { return t.dtype().is_float() ? t : t.cast(dtypes::float32); }

Tensor unary(const Tensor& t, Ops op) { return Tensor(as_float(t).uop().alu(op)); }

bool is_integral(double v) { return std::isfinite(v) && v == std::floor(v); }

}  // namespace

UOp broadcast_const(DType dtype, double value, const Shape& shape) {
  const ConstValue v = dtype.is_float() ? ConstValue::floating(value)
                       : dtype.is_bool() ? ConstValue::boolean(value != 0.0)
                                         : ConstValue::integer(int64_t(value));
  UOp c = UOp::constant(dtype, v);
  if (shape.empty()) return c;
  return movement(Ops::EXPAND, movement(Ops::RESHAPE, c, Shape(shape.size(), 1)), shape);
}

Tensor Tensor::scalar_like(double v) const {
  DType d = dtype();
  if (!d.is_float()) d = is_integral(v) ? (d.is_bool() ? dtypes::int32 : d) : dtypes::float32;
  return Tensor(broadcast_const(d, v, {}));
}

Tensor Tensor::binary(Ops op, const Tensor& o, const char* name) const {
  check(bool(uop()) && bool(o.uop()), [&] { return std::string(name) + ": uninitialised tensor"; });
  const DType d = least_upper(dtype(), o.dtype()).strong();
  const Shape shape = broadcast_shapes(this->shape(), o.shape(), name);
  const Tensor a = broadcast_to(dtype() == d ? *this : cast(d), shape);
  const Tensor b = broadcast_to(o.dtype() == d ? o : o.cast(d), shape);
  return Tensor(a.uop().alu(op, b.uop()));
}

Tensor operator+(const Tensor& a, const Tensor& b) { return a.binary(Ops::ADD, b, "add"); }
Tensor operator*(const Tensor& a, const Tensor& b) { return a.binary(Ops::MUL, b, "mul"); }
Tensor operator-(const Tensor& a, const Tensor& b) { return a + (-b); }
Tensor operator/(const Tensor& a, const Tensor& b) {
  const Tensor fa = as_float(a), fb = as_float(b);
  return fa * fb.reciprocal();
}
Tensor operator+(const Tensor& a, double b) { return a + a.scalar_like(b); }
Tensor operator-(const Tensor& a, double b) { return a + a.scalar_like(-b); }
Tensor operator*(const Tensor& a, double b) { return a * a.scalar_like(b); }
Tensor operator/(const Tensor& a, double b) { return as_float(a) * (1.0 / b); }
Tensor operator+(double a, const Tensor& b) { return b.scalar_like(a) + b; }
Tensor operator-(double a, const Tensor& b) { return b.scalar_like(a) - b; }
Tensor operator*(double a, const Tensor& b) { return b.scalar_like(a) * b; }
Tensor operator/(double a, const Tensor& b) { return as_float(b).reciprocal() * a; }

Tensor Tensor::operator-() const {
  check(!dtype().is_bool(), "neg: negation of a bool tensor; use logical_not");
  return *this * -1.0;
}
Tensor Tensor::exp2() const { return unary(*this, Ops::EXP2); }
Tensor Tensor::log2() const { return unary(*this, Ops::LOG2); }
Tensor Tensor::exp() const { return (as_float(*this) * (1.0 / kLn2)).exp2(); }
Tensor Tensor::log() const { return log2() * kLn2; }
Tensor Tensor::sqrt() const { return unary(*this, Ops::SQRT); }
Tensor Tensor::reciprocal() const { return unary(*this, Ops::RECIPROCAL); }
Tensor Tensor::rsqrt() const { return sqrt().reciprocal(); }
Tensor Tensor::sin() const { return unary(*this, Ops::SIN); }
Tensor Tensor::cos() const { return ((kPi / 2) - as_float(*this)).sin(); }
Tensor Tensor::sigmoid() const { return ((-as_float(*this)).exp() + 1.0).reciprocal(); }
Tensor Tensor::tanh() const { return (as_float(*this) * 2.0).sigmoid() * 2.0 - 1.0; }
Tensor Tensor::relu() const { return maximum(scalar_like(0.0)); }
Tensor Tensor::gelu() const {
  const Tensor x = as_float(*this);
  return x * 0.5 * ((x + x * x * x * 0.044715) * std::sqrt(2.0 / kPi)).tanh() + x * 0.5;
}
// Unsigned and bool values are their own magnitude (negating them wraps: abs(uint8 3) was 253).
Tensor Tensor::abs() const { return dtype().is_unsigned() || dtype().is_bool() ? *this : maximum(-*this); }
Tensor Tensor::pow(const Tensor& e) const { return as_float(*this).binary(Ops::POW, as_float(e), "pow"); }
Tensor Tensor::pow(double e) const {
  if (e == 2.0) return *this * *this;
  if (e == 1.0) return *this;
  return pow(as_float(*this).scalar_like(e));
}
Tensor Tensor::maximum(const Tensor& o) const { return binary(Ops::MAX, o, "maximum"); }
Tensor Tensor::minimum(const Tensor& o) const {
  const DType d = least_upper(dtype(), o.dtype()).strong();
  const Tensor a = dtype() == d ? *this : cast(d), b = o.dtype() == d ? o : o.cast(d);
  return a.order_reversed().maximum(b.order_reversed()).order_reversed();
}

// Negation for floats; for integers bitwise not, x ^ all-ones (negation wraps unsigned values and
// overflows the smallest signed one: uint8 minimum(0, 5) was 5, int32 min of INT_MIN was 0); logical
// not for bools.
Tensor Tensor::order_reversed() const {
  if (dtype().is_float()) return -*this;
  if (dtype().is_bool()) return logical_not();
  return Tensor(uop().alu(Ops::XOR, broadcast_const(dtype(), -1.0, shape())));  // -1 wraps to all ones
}
Tensor Tensor::lt(const Tensor& o) const { return binary(Ops::CMPLT, o, "lt"); }
Tensor Tensor::gt(const Tensor& o) const { return o.lt(*this); }
Tensor Tensor::le(const Tensor& o) const { return gt(o).logical_not(); }
Tensor Tensor::ge(const Tensor& o) const { return lt(o).logical_not(); }
Tensor Tensor::ne(const Tensor& o) const { return binary(Ops::CMPNE, o, "ne"); }
Tensor Tensor::eq(const Tensor& o) const { return ne(o).logical_not(); }
Tensor Tensor::logical_not() const {
  const Tensor b = dtype().is_bool() ? *this : ne(scalar_like(0.0));
  return b.ne(Tensor(UOp::bool_const(true)));
}
Tensor Tensor::where(const Tensor& t, const Tensor& f) const {
  const Tensor cond = dtype().is_bool() ? *this : ne(scalar_like(0.0));
  const DType d = least_upper(t.dtype(), f.dtype()).strong();
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), t.shape(), "where"), f.shape(), "where");
  const Tensor c = broadcast_to(cond, shape);
  const Tensor a = broadcast_to(t.dtype() == d ? t : t.cast(d), shape);
  const Tensor b = broadcast_to(f.dtype() == d ? f : f.cast(d), shape);
  return Tensor(c.uop().where(a.uop(), b.uop()));
}
Tensor Tensor::cast(DType d) const {
  if (d == dtype()) return *this;
  check(!d.is_weak() && !d.is_void(), [&] { return "cast: cannot cast to " + std::string(d.name()); });
  return Tensor(uop().cast(d));
}

}  // namespace anneal
