// Symbolic rule sets for index arithmetic, and the helpers they share.
//
//   symbolic_simple()  constant folding, identities, Invalid propagation, bool algebra, casts, WHERE folds
//   symbolic()         + canonical operand order, combining like terms, comparisons by bounds,
//                        lt folding, and the floor div/mod family (div_and_mod())
//   sym()              + simplification under validity conditions (simplify_valid())
//
// All of them preserve the value of integer expressions exactly (tested by the property test in
// tests/rewrite); like the reference, float rules ignore NaN in x*0 and x//x.
#pragma once
#include <optional>
#include <span>
#include <vector>

#include "anneal/rewrite/pattern_matcher.h"

namespace anneal {

const PatternMatcher& symbolic_simple();
const PatternMatcher& div_and_mod();
const PatternMatcher& symbolic();
const PatternMatcher& simplify_valid();
const PatternMatcher& sym();

// graph_rewrite with symbolic() / sym(): the canonical form, used by the compiler's passes.
// Canonical forms can cost a node (x+x -> x*2, (x+10)//-9 -> (x+-8)//-9+-2) so that equal values get
// equal graphs.
UOp symbolic_rewrite(const UOp& u);
UOp sym_rewrite(const UOp& u);

// The simplifiers for people: the canonical form, unless that is larger than the input, in which
// case the input is returned. The result never has more nodes than `u`.
UOp simplify(const UOp& u);
// With validity reasoning (sym()); what `anneal simplify` uses.
UOp simplify_full(const UOp& u);

// `uop` simplified under the assumption that the bool `valid` holds.
UOp uop_given_valid(const UOp& valid, UOp uop, bool try_simplex = true);

namespace sym_helpers {

// The operands of a chain of `sep`: (a+b)+c -> [a, b, c]. A non-`sep` node is its own single term.
std::vector<UOp> split(const UOp& u, Ops sep);
// (rest, c) when u is `rest op c` with c a constant; else (u, identity of op).
std::pair<UOp, int64_t> pop_const(const UOp& u, Ops op = Ops::ADD);
// Largest known integer that divides u (for negative factors not always the largest).
int64_t const_factor(const UOp& u);
// u / v when u is provably an exact multiple of v, else a null UOp.
UOp divides(const UOp& u, int64_t v);
UOp divide_exact(const UOp& u, const UOp& v);
// A common divisor of all terms: shared symbolic factors times the gcd of the constant factors.
UOp common_factor(std::span<const UOp> terms);
// Sum and product of terms, folding an empty list to 0 / 1 of `like`'s dtype.
UOp usum(std::span<const UOp> terms, const UOp& like);
UOp uprod(std::span<const UOp> terms, const UOp& like);
// The canonical order of operands (op, arg, dtype, then sources): deterministic, consts last.
int canonical_compare(const UOp& a, const UOp& b);

}  // namespace sym_helpers
}  // namespace anneal
