// Shorthand shared by the rule-set files (internal).
#pragma once
#include <optional>

#include "anneal/rewrite/pattern_matcher.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/uop/int_math.h"

namespace anneal::rules {

using P = UPat;
inline P var(const char* name, DTypeSet d = {}) { return P::var(name, d); }
inline P cvar(const char* name, DTypeSet d = {}) { return P::cvar(name, d); }
inline DTypeSet weakint() { return {dtypes::weakint}; }
inline DTypeSet boolean() { return {dtypes::bool_}; }
inline DTypeSet ints() { return DTypeSet::ints(); }
inline DTypeSet ints_or_bool() {
  namespace d = dtypes;
  return {d::int8, d::int16, d::int32, d::int64, d::uint8, d::uint16, d::uint32, d::uint64, d::weakint, d::bool_};
}

// An integer constant that fits in int64, or nullopt (rules then decline rather than overflow).
inline std::optional<int64_t> fit(i128 v) {
  if (v < i128(INT64_MIN) || v > i128(INT64_MAX)) return std::nullopt;
  return int64_t(v);
}


// What the user-facing simplifiers return: the rewrite unless it grew the graph.
UOp no_larger_than(const UOp& input, const UOp& rewritten);

// `where(cond, x, Invalid)`: an index valid only where cond holds.
inline bool is_invalid_gate(const UOp& u) { return u.is(Ops::WHERE) && u.src(2).is_invalid(); }

}  // namespace anneal::rules
