#include "reduce_collapse.h"

#include <unordered_map>

#include "anneal/uop/graph.h"

namespace anneal {
namespace {

UOp strip_casts(UOp u) {
  while (u.is(Ops::CAST)) u = u.src(0);
  return u;
}

// The v of a condition that holds exactly when v == r: (v == r), (v != r) != true, either side, with r
// possibly cast (ARANGE lowers to the index cast to its dtype). A null UOp when `c` is not one.
UOp selected_index(const UOp& c, const UOp& r) {
  UOp eq;
  if (c.is(Ops::CMPEQ)) eq = c;
  if (c.is(Ops::CMPNE) && c.src(1).is_const() && c.src(1).dtype().is_bool() && c.src(1).const_value().as_bool() &&
      c.src(0).is(Ops::CMPNE))
    eq = c.src(0);
  if (!eq) return UOp();
  for (int side : {0, 1}) {
    const UOp& other = eq.src(size_t(1 - side));
    if (strip_casts(eq.src(size_t(side))) == r && !other.dtype().is_float() && !in_backward_slice(other, r)) return other;
  }
  return UOp();
}

// `x` with r replaced by `value`, and every load that read through r gated by `valid`.
UOp substitute(const UOp& x, const UOp& r, const UOp& value, const UOp& valid) {
  std::unordered_map<const void*, UOp> out{{r.get(), value}};
  for (const UOp& u : toposort(x)) {
    if (u == r) continue;
    bool changed = false;
    std::vector<UOp> srcs;
    for (const UOp& s : u.srcs()) {
      const auto it = out.find(s.get());
      changed |= it != out.end();
      srcs.push_back(it != out.end() ? it->second : s);
    }
    if (!changed) continue;
    UOp n = u.replace_srcs(srcs);
    if (n.is(Ops::LOAD)) {  // the selected element may be out of range: read nothing then
      const UOp gate = n.num_srcs() == 3 ? (n.src(2) & valid) : valid;
      n = UOp::make(Ops::LOAD, n.dtype(), {n.src(0), UOp::constant(n.dtype(), ConstValue::integer(0)), gate});
    }
    out.emplace(u.get(), n);
  }
  const auto it = out.find(x.get());
  return it != out.end() ? it->second : x;
}

// REDUCE(ADD, r) of c ? x : 0 or cast(c) * x: x at r = v, gated by 0 <= v < n. A null UOp otherwise.
UOp collapse(const UOp& reduce) {
  const int64_t* op = reduce.arg().as_int();
  if (reduce.num_srcs() != 2 || !op || Ops(*op) != Ops::ADD) return UOp();
  const UOp& r = reduce.src(1);
  const UOp& body = reduce.src(0);
  UOp cond, x;
  if (body.is(Ops::WHERE) && body.src(2).is_const() && body.src(2).const_value().as_float() == 0.0) {
    cond = body.src(0), x = body.src(1);
  } else if (body.is(Ops::MUL)) {
    for (int side : {0, 1}) {
      const UOp f = strip_casts(body.src(size_t(side)));
      if (f.dtype().is_bool() && f != body.src(size_t(side))) cond = f, x = body.src(size_t(1 - side));
    }
  }
  if (!cond) return UOp();
  const UOp v = selected_index(cond, r);
  if (!v) return UOp();
  // (The loop index is a weak int that renderers give their index type; a loaded index is an int32 there.)
  const UOp at = v.dtype() == dtypes::int32 ? v : v.cast(dtypes::int32);
  const UOp valid = at.const_like(int64_t(-1)).lt(at) & at.lt(r.src(0));
  const UOp picked = substitute(x, r, at, valid);
  return valid.where(picked, UOp::constant(reduce.dtype(), ConstValue::integer(0))).cast(reduce.dtype());
}

}  // namespace

UOp collapse_selecting_sums(const UOp& ast) {
  if (!has_op(ast, Ops::REDUCE)) return ast;
  std::unordered_map<const void*, UOp> out;
  bool any = false;
  for (const UOp& u : toposort(ast)) {
    std::vector<UOp> srcs;
    bool changed = false;
    for (const UOp& s : u.srcs()) {
      const auto it = out.find(s.get());
      changed |= it != out.end();
      srcs.push_back(it != out.end() ? it->second : s);
    }
    UOp n = changed ? u.replace_srcs(srcs) : u;
    if (n.is(Ops::REDUCE))
      if (UOp c = collapse(n)) n = c, any = true;
    if (n != u) out.emplace(u.get(), n);
  }
  if (!any) return ast;
  return out.at(ast.get());
}

}  // namespace anneal
