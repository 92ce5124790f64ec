// Shapes of tensor-level UOps, derived from op, args and source shapes, cached per node.
//
// Tensor-graph conventions (static shapes):
//   BUFFER            a flat device buffer: shape (size)
//   CONST             a scalar: shape ()
//   ALU / CAST        sources of equal shape (the Tensor layer broadcasts explicitly)
//   RESHAPE, EXPAND   arg = the new shape (EXPAND only grows size-1 dims)
//   PERMUTE           arg = the axis order
//   PAD               arg = (before0, after0, before1, after1, ...)
//   SHRINK            arg = (start0, end0, start1, end1, ...)
//   FLIP              arg = one 0/1 flag per axis
//   REDUCE            arg = (reduce op, axis, axis, ...); reduced axes keep size 1
//   CONTIGUOUS        the source's shape
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

using Shape = std::vector<int64_t>;

const Shape& shape_of(const UOp& u);
int64_t numel(const Shape& s);                // anneal::Error when the product overflows int64
std::string shape_str(const Shape& s);        // "(2, 3)"
Shape strides_of(const Shape& s);             // row-major element strides

}  // namespace anneal
