// Graph-building helpers shared by the tensor op files (internal).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "anneal/tensor/tensor.h"

namespace anneal {

// A new zeroed buffer of `size` elements on `device` (any spelling of its name).
UOp new_buffer(const std::string& device, int64_t size, DType dtype);
// Values computed on the host, converted to `dtype` there: a buffer, no conversion kernel (and no
// 64-bit arithmetic on devices that have none). T: float, double or int64_t.
template <class T>
Tensor host_values(const std::vector<T>& values, Shape shape, DType dtype);
// Autodiff across realize (autodiff.cpp): keeps `graph`, which a tensor's value `view` was realized
// from, while `owner` (the tensor's state) lives, if the graph reaches a parameter.
void remember_realized_graph(const std::shared_ptr<void>& owner, const UOp& graph, const UOp& view);
// Raises anneal::Error naming `op` when a dimension of `shape` is negative.
void check_shape(const Shape& shape, const char* op);
// A scalar constant broadcast to `shape`.
UOp broadcast_const(DType dtype, double value, const Shape& shape);
// Movement op node with a tuple arg.
UOp movement(Ops op, const UOp& x, std::vector<int64_t> arg);
// Movement op node whose arg is a shape or (start, end) pairs, constant or symbolic.
UOp movement(Ops op, const UOp& x, const std::vector<Dim>& arg);
// Size checks on symbolic dimensions: equal (a constant equals a symbolic size bound to it), and at
// most (for every value of unbound variables, or under the bound values).
bool dims_equal(const Dim& a, const Dim& b);
bool dim_at_most(const Dim& a, const Dim& b);
// The number of elements `axes` of `shape` hold (all of them for no axes).
Dim reduced_count(const Shape& shape, const std::vector<int64_t>& axes, const char* op);
// Normalises a possibly negative axis; raises anneal::Error naming `op` when out of range.
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* op);

}  // namespace anneal
