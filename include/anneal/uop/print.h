// Human-readable views of UOp graphs.
#pragma once
#include <string>

#include "anneal/uop/uop.h"

namespace anneal {

// Infix rendering of scalar (index) math, e.g. "((x*4)+y)//4" -> "x+y//4". Python operator
// spelling: // and % are floor division and modulo; comparisons and and/or/not as in Python.
// Ops without an infix form render as OP(args).
std::string render(const UOp& u);

// A numbered listing of the whole graph in dependency order, one node per line:
//   %2 = MUL weakint (%0, %1)
// Shared nodes appear once, so the listing is linear in the graph size.
std::string print_graph(const UOp& root);

std::string to_string(i128 v);

}  // namespace anneal
