// Samples for `anneal explain`: each op built once, by the tensor layer, over symbolic operands.
//
// A symbolic operand is a CPU BUFFER with no memory, seen with a small shape and named a, b, c: the
// graph the tensor layer builds over it is exactly the graph it builds over real data, and the
// scheduler and renderers work on it unchanged (nothing runs). Tests substitute real buffers for the
// operands to evaluate the same graphs.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anneal/uop/shape.h"
#include "anneal/uop/uop.h"

namespace anneal::viz {

// A CPU buffer of `dtype` without memory, viewed with `shape` (sized for a symbolic shape's maximum).
UOp symbolic_operand(const Shape& shape, DType dtype = dtypes::float32);

struct Operand {
  std::string name;  // "a", "b", "c"
  UOp uop;
};

struct OpSample {
  std::string code;               // the C++ that builds `out` from the operands, one line
  std::vector<Operand> operands;  // the inputs (Tensor-level: those the gradient is taken for)
  UOp node;                       // the op's own node (an IR op's sample: a node of that op)
  UOp out;                        // the program's result; null where no program shows the op
};

// The sample of IR op `op`: its node as the tensor layer (or, for NOOP and TUPLE, the gradient rules)
// builds it, and a program computing it. nullopt for ops no tensor graph holds (kernel-level ops).
std::optional<OpSample> ir_op_sample(Ops op);

// The Tensor-level ops people call (add, matmul, softmax, conv2d, ...): the name, a one-line
// description, and the builder of its sample.
struct TensorOp {
  std::string_view name;
  std::string_view description;
  OpSample (*build)();
};
std::span<const TensorOp> tensor_ops();
// Null when `name` is not one of them.
const TensorOp* find_tensor_op(std::string_view name);

}  // namespace anneal::viz
