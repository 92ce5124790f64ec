// The reference evaluator: a deliberately naive interpreter of tensor graphs (DESIGN.md §7).
//
// It shares no code with the scheduler, the code generators or the runtime's kernels: each node is
// evaluated to a dense host array with plain loops over multi-indices, in double precision, rounded
// to the node's dtype after every op. Op tests run random inputs through it and through the compiler.
#pragma once
#include <vector>

#include "anneal/uop/shape.h"
#include "anneal/uop/uop.h"

namespace anneal::reference {

struct HostTensor {
  Shape shape;
  DType dtype;
  std::vector<double> data;  // row-major
};

HostTensor evaluate(const UOp& root);

}  // namespace anneal::reference
