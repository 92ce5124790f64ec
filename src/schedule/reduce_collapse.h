// Sums that select one element: sum over r < n of (v == r ? x(r) : 0), where v does not depend on r,
// is x(v) when 0 <= v < n and 0 otherwise. one_hot, gather and an embedding lower to such sums (a
// comparison against ARANGE, which is the loop index); collapsed, a lookup reads one row instead of
// multiplying the whole table by a one-hot matrix.
#pragma once
#include "anneal/uop/uop.h"

namespace anneal {

// The kernel AST with every such REDUCE replaced by a gated read of the selected element.
UOp collapse_selecting_sums(const UOp& ast);

}  // namespace anneal
