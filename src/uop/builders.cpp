// Builders: constants, variables and ALU nodes with derived dtypes, plus the arithmetic operators.
#include <atomic>
#include <limits>
#include <memory>

#include "anneal/support/error.h"
#include "anneal/uop/exec_alu.h"
#include "anneal/uop/shape.h"
#include "anneal/uop/uop.h"

namespace anneal {

UOp UOp::reduce_identity(Ops op, DType d) {
  if (op == Ops::ADD || op == Ops::MUL) {
    const int64_t one = op == Ops::MUL;
    return d.is_float() ? float_const(double(one), d) : int_const(one, d);
  }
  if (d.is_float()) return float_const(-std::numeric_limits<double>::infinity(), d);
  if (d.is_bool()) return bool_const(false);
  if (d.is_unsigned()) return int_const(0, d);
  return int_const(std::numeric_limits<int64_t>::min() >> (64 - d.bits()), d);
}

UOp UOp::constant(DType dtype, ConstValue v) {
  return make(Ops::CONST, dtype, {}, truncate_to(dtype, v));
}

UOp UOp::invalid() { return make(Ops::CONST, dtypes::weakint, {}, ConstValue::invalid()); }

UOp UOp::variable(const std::string& name, int64_t lo, int64_t hi, DType dtype) {
  check(!name.empty(), "variable: a variable needs a name");
  check(lo <= hi, "variable " + name + ": empty range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  check(dtype.is_int(), "variable " + name + ": variables are integers, got " + std::string(dtype.name()));
  auto arg = std::make_shared<ParamArg>();
  arg->name = name;
  arg->addrspace = AddrSpace::Alu;
  arg->bounds = std::make_pair(lo, hi);
  return make(Ops::PARAM, dtype, {}, Arg(Arg::Object(std::move(arg))));
}

UOp UOp::buffer(const std::string& device, int64_t size, DType dtype) {
  static std::atomic<int64_t> next_id{1};
  auto arg = std::make_shared<BufferArg>();
  arg->id = next_id++;
  arg->device = device;
  arg->size = size;
  return make(Ops::BUFFER, dtype, {}, Arg(Arg::Object(std::move(arg))));
}

UOp UOp::view_as(const std::vector<Dim>& shape) const {
  if (shape_of(*this) == shape) return *this;
  UOp flat = *this;
  const Dim n = sym_numel(shape);
  if (n.is_symbolic()) {
    check(shape_of(flat).size() == 1, "view_as: a symbolic view needs a flat buffer");
    flat = make(Ops::SHRINK, dtype(), {flat}, movement_arg({Dim(0), n}));
  }
  return make(Ops::RESHAPE, dtype(), {flat}, movement_arg(shape));
}

UOp UOp::alu(Ops o) const {
  check(groups::unary().contains(o), [&] { return "alu: " + std::string(op_name(o)) + " is not a unary op"; });
  return make(o, dtype(), {*this});
}

UOp UOp::alu(Ops o, const UOp& other) const {
  check(is_binary(o), [&] { return "alu: " + std::string(op_name(o)) + " is not a binary op"; });
  DType out;
  if (is_comparison(o)) out = dtypes::bool_;
  else if (o == Ops::SHL || o == Ops::SHR) out = dtype();
  else out = least_upper(dtype(), other.dtype());
  check(!out.is_void(), [&] { return "alu: " + std::string(op_name(o)) + " of " + std::string(dtype().name()) + " and " +
                            std::string(other.dtype().name());
  });
  return make(o, out, {*this, other});
}

UOp UOp::cast(DType d) const { return make(Ops::CAST, d, {*this}); }

UOp UOp::where(const UOp& t, const UOp& f) const {
  DType out = least_upper(t.dtype(), f.dtype());
  if (t.is_invalid()) out = f.dtype();
  if (f.is_invalid()) out = t.dtype();
  return make(Ops::WHERE, out, {*this, t, f});
}

UOp UOp::minimum(const UOp& o) const { return -((-*this).maximum(-o)); }

UOp operator+(const UOp& a, const UOp& b) { return a.alu(Ops::ADD, b); }
UOp operator*(const UOp& a, const UOp& b) { return a.alu(Ops::MUL, b); }
UOp operator-(const UOp& a, const UOp& b) { return a + (-b); }
UOp operator-(const UOp& a) { return a * a.const_like(-1); }
UOp operator%(const UOp& a, const UOp& b) { return a.alu(Ops::FLOORMOD, b); }
UOp operator&(const UOp& a, const UOp& b) { return a.alu(Ops::AND, b); }
UOp operator|(const UOp& a, const UOp& b) { return a.alu(Ops::OR, b); }
UOp operator^(const UOp& a, const UOp& b) { return a.alu(Ops::XOR, b); }

}  // namespace anneal
