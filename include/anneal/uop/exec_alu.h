// Constant evaluation of ALU ops with exact dtype semantics — the basis of constant folding.
#pragma once
#include <optional>
#include <span>

#include "anneal/uop/arg.h"
#include "anneal/uop/dtype.h"
#include "anneal/uop/ops.h"

namespace anneal {

// Converts a value to `dtype`: integers wrap to the width, floats round to the format, bool is != 0.
ConstValue truncate_to(DType dtype, const ConstValue& v);

// Evaluates `op` on constant operands. `operand` is the dtype the operands are read in (it differs
// from the result dtype for comparisons and casts). Returns nullopt where the result is undefined
// (integer division by zero, weakint overflow) or the op has no constant meaning.
std::optional<ConstValue> exec_alu(Ops op, DType result, DType operand, std::span<const ConstValue> args);

}  // namespace anneal
