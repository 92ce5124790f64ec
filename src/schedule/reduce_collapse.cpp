#include "reduce_collapse.h"

#include <unordered_map>

#include "anneal/uop/graph.h"

namespace anneal {
namespace {

UOp strip_casts(UOp u) {
  while (u.is(Ops::CAST)) u = u.src(0);
  return u;
}

bool is_zero(const UOp& u) { return u.is_const() && u.const_value().as_float() == 0.0; }

// The v of a comparison of v with r (r possibly cast: ARANGE lowers to the index cast to its dtype),
// v not depending on r. A null UOp when `cmp` is not one.
UOp compared_index(const UOp& cmp, const UOp& r) {
  for (int side : {0, 1}) {
    const UOp& other = cmp.src(size_t(1 - side));
    if (strip_casts(cmp.src(size_t(side))) == r && !other.dtype().is_float() && !in_backward_slice(other, r)) return other;
  }
  return UOp();
}

// The v of a condition that holds exactly when v == r: (v == r) or (v != r) != true. A null UOp otherwise.
UOp selected_index(const UOp& c, const UOp& r) {
  if (c.is(Ops::CMPEQ)) return compared_index(c, r);
  if (c.is(Ops::CMPNE) && c.src(1).is_const() && c.src(1).dtype().is_bool() && c.src(1).const_value().as_bool() &&
      c.src(0).is(Ops::CMPNE))
    return compared_index(c.src(0), r);
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

// REDUCE(ADD, r) of a selection of x by v == r: x at r = v, gated by 0 <= v < n. A null UOp otherwise.
UOp collapse(const UOp& reduce) {
  const int64_t* op = reduce.arg().as_int();
  if (reduce.num_srcs() != 2 || !op || Ops(*op) != Ops::ADD) return UOp();
  const UOp& r = reduce.src(1);
  const UOp& body = reduce.src(0);
  // The body's forms: v == r ? x : 0, v != r ? 0 : x (how simplification leaves the first), cast(v == r) * x.
  UOp v, x;
  if (body.is(Ops::WHERE) && is_zero(body.src(2))) {
    v = selected_index(body.src(0), r), x = body.src(1);
  } else if (body.is(Ops::WHERE) && is_zero(body.src(1)) && body.src(0).is(Ops::CMPNE)) {
    v = compared_index(body.src(0), r), x = body.src(2);
  } else if (body.is(Ops::MUL)) {
    for (int side : {0, 1}) {
      const UOp f = strip_casts(body.src(size_t(side)));
      if (f.dtype().is_bool() && f != body.src(size_t(side)))
        if (const UOp sel = selected_index(f, r)) v = sel, x = body.src(size_t(1 - side));
    }
  }
  if (!v) return UOp();
  // (The loop index is a weak int that renderers give their index type; a loaded index is an int32 there.)
  const UOp at = v.dtype() == dtypes::int32 ? v : v.cast(dtypes::int32);
  const UOp valid = at.const_like(int64_t(-1)).lt(at) & at.lt(r.src(0));
  // Read at v clamped to [0, n-1]: the same element where valid, and index bounds that stay those of
  // the loop (an unclamped int32 times a row length would need 64-bit index math, which WGSL lacks).
  const UOp clamped = -((-at.alu(Ops::MAX, at.const_like(0))).alu(Ops::MAX, -(r.src(0) - 1).cast(dtypes::int32)));
  const UOp picked = substitute(x, r, clamped, valid);
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
