// `anneal explain OP`: what the compiler does with one op, generated from its real rule sets.
//
// For an IR op (an Ops enum name) or a Tensor-level op (add, matmul, softmax, conv2d, ...):
//   description      at the op's definition (uop/ops.h; viz/op_samples.cpp for Tensor-level ops)
//   ir_form          a sample node as the tensor layer builds it over symbolic operands a, b, c; for
//                    kernel-level ops, a node of the op in a probe kernel (viz/kernel_probes.h)
//   decomposes_into  (Tensor-level) the IR ops of the graph the tensor layer builds
//   gradient         the gradient rule(s) that fire and each operand's gradient, rendered from the
//                    UOps the rules return given a symbolic incoming gradient g
//   symbolic_rules   the rules of the symbolic sets whose pattern can match the op (IR ops)
//   lowering         the lowering rule of the op (of each IR op, for Tensor-level ops)
//   example          the sample as a program: its graph before and after autodiff, and the kernels
//                    it becomes with their C source for the CPU (rendered, never compiled or run)
// Nothing here opens files, runs processes or compiles, so the browser's WASM build can use it.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace anneal::viz {

// A Tensor-level op when `name` is one exactly ("mul", "max-reduce"), else the IR op of that name in
// any case ("MUL", "reduce"). anneal::Error listing the known names when it is neither.
nlohmann::json explain(const std::string& name);

// The names explain knows: {"ir": [{name, levels, description}...], "tensor": [{name, description}...]}.
nlohmann::json explain_list();

}  // namespace anneal::viz
