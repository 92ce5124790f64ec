// Shapes of tensor-level UOps, derived from op, args and source shapes, cached per node.
//
// A dimension (`Dim`) is a constant or a symbolic integer: an expression over Variables
// (UOp::variable), usually bound to a value (BIND, tensor/symbolic.h). One graph with symbolic
// dimensions is scheduled and compiled once for every value (SPEC.md, "Symbolic shapes").
//
// Tensor-graph conventions:
//   BUFFER            a flat device buffer: shape (size); a symbolic value's buffer is sized for the
//                     variables' maxima and seen through SHRINK(0, n) and RESHAPE
//   CONST             a scalar: shape ()
//   ALU / CAST        sources of equal shape (the Tensor layer broadcasts explicitly)
//   BIND              a bound variable used as a value: shape ()
//   RESHAPE, EXPAND   arg = the new shape (EXPAND only grows size-1 dims)
//   PERMUTE           arg = the axis order
//   PAD               arg = (before0, after0, before1, after1, ...)
//   SHRINK            arg = (start0, end0, start1, end1, ...)
//   FLIP              arg = one 0/1 flag per axis
//   REDUCE            arg = (reduce op, axis, axis, ...); reduced axes keep size 1
//   CONTIGUOUS        the source's shape
// RESHAPE, EXPAND, PAD and SHRINK hold an integer tuple when every entry is constant, else a DimsArg
// (movement_dims reads either).
#pragma once
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

class Dim {
 public:
  Dim(int64_t v = 0) : c_(v) {}  // NOLINT: shapes are written as integer lists
  // A symbolic integer expression (weakint); a constant expression becomes a constant Dim.
  explicit Dim(const UOp& expr);

  bool is_const() const { return !s_; }
  bool is_symbolic() const { return bool(s_); }
  // The constant; an anneal::Error names the dimension when it is symbolic, so code that needs a
  // constant shape (convolution windows, host copies) refuses symbolic tensors clearly. Implicit,
  // so that constant-only code reads shapes as integers.
  operator int64_t() const { return value(); }  // NOLINT
  int64_t value() const;
  // The expression (a CONST for a constant dimension).
  UOp uop() const;
  // Bounds over every value of the variables (a constant's are itself).
  int64_t vmin() const;
  int64_t vmax() const;
  // The value under the bindings inside the expression; an anneal::Error for an unbound variable.
  int64_t bound_value() const;
  // The expression with every bound variable replaced by its variable (what kernels see).
  Dim unbound() const;
  // The expression with the variables in `values` bound to those values instead.
  Dim rebound(const std::vector<std::pair<UOp, int64_t>>& values) const;

  friend bool operator==(const Dim& a, const Dim& b) { return a.c_ == b.c_ && a.s_ == b.s_; }
  friend bool operator==(const Dim& a, int64_t b) { return !a.s_ && a.c_ == b; }
  friend Dim operator+(const Dim& a, const Dim& b);
  friend Dim operator-(const Dim& a, const Dim& b);
  friend Dim operator*(const Dim& a, const Dim& b);
  // Mixed with integers: exact overloads, so that the implicit conversion to int64_t never competes.
  friend bool operator==(const Dim& a, int b) { return a == int64_t(b); }
  friend Dim operator+(const Dim& a, int64_t b) { return a + Dim(b); }
  friend Dim operator-(const Dim& a, int64_t b) { return a - Dim(b); }
  friend Dim operator*(const Dim& a, int64_t b) { return a * Dim(b); }
  friend Dim operator+(int64_t a, const Dim& b) { return Dim(a) + b; }
  friend Dim operator-(int64_t a, const Dim& b) { return Dim(a) - b; }
  friend Dim operator*(int64_t a, const Dim& b) { return Dim(a) * b; }
  friend Dim operator+(const Dim& a, int b) { return a + Dim(int64_t(b)); }
  friend Dim operator-(const Dim& a, int b) { return a - Dim(int64_t(b)); }
  friend Dim operator*(const Dim& a, int b) { return a * Dim(int64_t(b)); }
  friend Dim operator+(int a, const Dim& b) { return Dim(int64_t(a)) + b; }
  friend Dim operator-(int a, const Dim& b) { return Dim(int64_t(a)) - b; }
  friend Dim operator*(int a, const Dim& b) { return Dim(int64_t(a)) * b; }
  Dim& operator+=(const Dim& o) { return *this = *this + o; }
  Dim& operator*=(const Dim& o) { return *this = *this * o; }
  // Floor division (exact where it is used: splitting a symbolic axis by a constant factor).
  Dim floordiv(const Dim& d) const;
  std::string str() const;
  void hash(Hasher& h) const;

 private:
  int64_t c_ = 0;
  UOp s_;  // null for a constant
};

std::ostream& operator<<(std::ostream& os, const Dim& d);

using Shape = std::vector<Dim>;

const Shape& shape_of(const UOp& u);
// The entries of a RESHAPE/EXPAND (the shape) or PAD/SHRINK (the pairs) arg, constant or symbolic.
std::vector<Dim> movement_dims(const UOp& u);
// The arg for a movement op with these entries: an integer tuple when all are constant.
Arg movement_arg(const std::vector<Dim>& dims);
bool is_symbolic(const Shape& s);
int64_t numel(const Shape& s);                // anneal::Error when the product overflows int64 or is symbolic
Dim sym_numel(const Shape& s);                // the product, symbolic where a dimension is
int64_t max_numel(const Shape& s);            // the most elements the shape holds over its variables' ranges
int64_t bound_numel(const Shape& s);          // the elements under the bound values
Shape bound_shape(const Shape& s);            // each dimension's bound value
std::string shape_str(const Shape& s);        // "(2, 3)", "(B, 784)"
std::string shape_str(const std::vector<int64_t>& s);
Shape strides_of(const Shape& s);             // row-major element strides
std::vector<int64_t> const_shape(const Shape& s);  // the dimensions as integers (an error if one is symbolic)
// The variables bound inside `s` with their values, appended to `out` (each variable once).
void bindings_of(const Shape& s, std::vector<std::pair<UOp, int64_t>>& out);

// The argument of RESHAPE/EXPAND/PAD/SHRINK with a symbolic entry.
struct DimsArg final : ArgObject {
  std::vector<Dim> dims;
  bool equals(const ArgObject& other) const override;
  void hash(Hasher& h) const override;
  std::string str() const override;
};

// Symbolic dimensions are kept in canonical form so that equal sizes are equal nodes: the rewrite
// layer (which knows the rules) installs its simplifier here; without it expressions stay as built.
using DimSimplifier = UOp (*)(const UOp&);
void set_dim_simplifier(DimSimplifier f);

}  // namespace anneal
