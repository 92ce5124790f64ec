#include "lower.h"
#include "reduce_collapse.h"

#include <array>
#include <memory>

#include "anneal/rewrite/symbolic.h"
#include "anneal/schedule/lowering_rules.h"
#include "anneal/support/error.h"
#include "anneal/uop/axis.h"

namespace anneal {
namespace {

const Arg::Tuple& targ(const UOp& u) { return *u.arg().as_tuple(); }
UOp idx_const(int64_t v) { return UOp::int_const(v); }
bool is_true(const UOp& u) { return u.is_const() && u.dtype().is_bool() && u.const_value().as_bool(); }
UOp and_valid(const UOp& a, const UOp& b) { return is_true(a) ? b : a & b; }

}  // namespace

UOp flat_index(const std::vector<UOp>& idx, const Shape& shape) {
  const Shape strides = strides_of(shape);
  UOp flat = idx_const(0);
  for (size_t i = 0; i < idx.size(); ++i)
    if (shape[i] != 1) flat = flat + idx[i] * strides[i].uop();
  return flat;
}

UOp KernelLowerer::new_range(const Dim& size) { return make_range(size.uop(), next_range_++); }

UOp KernelLowerer::param_for(const UOp& buffer) {
  if (auto it = params_.find(buffer.get()); it != params_.end()) return it->second;
  auto arg = std::make_shared<ParamArg>();
  arg->slot = int64_t(buffers_.size());
  arg->name = "data" + std::to_string(arg->slot);
  arg->addrspace = AddrSpace::Global;
  UOp p = UOp::make(Ops::PARAM, buffer.dtype(), {}, Arg(Arg::Object(std::move(arg))));
  buffers_.push_back(buffer);
  params_.emplace(buffer.get(), p);
  return p;
}

UOp KernelLowerer::load(const UOp& buffer, const Shape& shape, const std::vector<UOp>& idx, const UOp& valid) {
  const UOp index = UOp::make(Ops::INDEX, buffer.dtype(), {param_for(buffer), flat_index(idx, shape)});
  if (is_true(valid)) return UOp::make(Ops::LOAD, buffer.dtype(), {index});
  // A gated load reads nothing where the index is invalid (it may be out of bounds there).
  return UOp::make(Ops::LOAD, buffer.dtype(), {index, UOp::constant(buffer.dtype(), ConstValue::integer(0)), valid});
}

UOp KernelLowerer::lower_kernel(const UOp& out, std::vector<UOp>& buffers) {
  const Shape& shape = shape_of(root_);
  std::vector<UOp> loops, idx;
  for (const Dim& d : shape) {
    if (d == 1) {
      idx.push_back(idx_const(0));
      continue;
    }
    loops.push_back(new_range(d));
    idx.push_back(loops.back());
  }
  param_for(out);  // slot 0
  UOp value = lower_op(root_, idx, UOp::bool_const(true));
  if (value.dtype() != out.dtype()) value = value.cast(out.dtype());
  UOp store = UOp::make(Ops::STORE, dtypes::void_,
                        {UOp::make(Ops::INDEX, out.dtype(), {param_for(out), flat_index(idx, shape)}), value});
  std::vector<UOp> end_srcs{store};
  end_srcs.insert(end_srcs.end(), loops.begin(), loops.end());
  UOp ast = UOp::make(Ops::SINK, dtypes::void_, {UOp::make(Ops::END, dtypes::void_, end_srcs)});
  buffers = buffers_;
  const UOp simplified = symbolic_rewrite(ast);
  const UOp collapsed = collapse_selecting_sums(simplified);  // (its matches need the simplified conditions)
  return collapsed == simplified ? simplified : symbolic_rewrite(collapsed);
}

UOp KernelLowerer::lower(const UOp& node, const std::vector<UOp>& idx, const UOp& valid) {
  if (node.is(Ops::BUFFER)) return load(node, shape_of(node), idx, valid);
  if (auto it = realized_.find(node.get()); it != realized_.end() && node != root_)
    return load(it->second, shape_of(node), idx, valid);
  std::vector<const void*> key{node.get(), valid.get()};
  for (const UOp& i : idx) key.push_back(i.get());
  if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  UOp r = lower_op(node, idx, valid);
  keep_alive_.insert(keep_alive_.end(), {node, valid});
  keep_alive_.insert(keep_alive_.end(), idx.begin(), idx.end());
  memo_.emplace(std::move(key), r);
  return r;
}

UOp KernelLowerer::lower_op(const UOp& n, const std::vector<UOp>& idx, const UOp& valid) {
  if (fused_seen_.emplace(n.get(), true).second) fused_.push_back(n);
  const LoweringRule* rule = lowering_rule_for(n.op());
  check(rule != nullptr, [&] { return "lower: unexpected " + std::string(op_name(n.op())) + " in a tensor graph"; });
  return rule->lower(*this, n, idx, valid);
}

// ---- the lowering rules: each maps the index vector of its op to its source's ------------------------
namespace {

using Idx = std::vector<UOp>;

UOp lower_leaf(KernelLowerer&, const UOp& n, const Idx&, const UOp&) { return n; }

UOp lower_buffer(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  return l.load(n, shape_of(n), idx, valid);
}

UOp lower_arange(KernelLowerer&, const UOp& n, const Idx& idx, const UOp&) { return idx[0].cast(n.dtype()); }

UOp lower_pass_through(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  return l.lower(n.src(0), idx, valid);
}

UOp lower_reshape(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  const Shape& out = shape_of(n);
  const Shape& in = shape_of(n.src(0));
  // Only unit axes added or removed: the other axes keep their indices. (Through a flat index
  // the same map needs div/mod that simplification cannot remove where an index may be out of
  // range: a padded gradient's shifted positions, valid only under the pad's gate.)
  std::vector<size_t> kept;
  for (size_t j = 0; j < out.size(); ++j)
    if (out[j] != 1) kept.push_back(j);
  size_t next = 0;
  bool unit_only = true;
  Idx direct;
  for (size_t j = 0; j < in.size() && unit_only; ++j) {
    if (in[j] == 1) {
      direct.push_back(idx_const(0));
      continue;
    }
    unit_only = next < kept.size() && out[kept[next]] == in[j];
    if (unit_only) direct.push_back(idx[kept[next++]]);
  }
  if (unit_only && next == kept.size()) return l.lower(n.src(0), direct, valid);
  const UOp flat = flat_index(idx, out);
  const Shape strides = strides_of(in);
  Idx src_idx;
  for (size_t j = 0; j < in.size(); ++j) {
    if (in[j] == 1) {
      src_idx.push_back(idx_const(0));
      continue;
    }
    // The leading dimension needs no modulo: flat < numel.
    UOp v = flat.floordiv(strides[j].uop());
    src_idx.push_back(j == 0 ? v : v % in[j].uop());
  }
  return l.lower(n.src(0), src_idx, valid);
}

UOp lower_expand(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  const Shape& out = shape_of(n);
  const Shape& in = shape_of(n.src(0));
  Idx src_idx = idx;
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i] == 1 && out[i] != 1) src_idx[i] = idx_const(0);
  return l.lower(n.src(0), src_idx, valid);
}

UOp lower_permute(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  Idx src_idx(idx.size());
  const auto& order = targ(n);
  for (size_t i = 0; i < order.size(); ++i) src_idx[size_t(order[i])] = idx[i];
  return l.lower(n.src(0), src_idx, valid);
}

UOp lower_shrink(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  Idx src_idx = idx;
  const std::vector<Dim> p = movement_dims(n);
  for (size_t i = 0; i < idx.size(); ++i)
    if (!(p[2 * i] == 0)) src_idx[i] = idx[i] + p[2 * i].uop();
  return l.lower(n.src(0), src_idx, valid);
}

UOp lower_window(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  const auto& p = targ(n);
  Idx src_idx(idx.begin(), idx.end() - 1);
  const size_t axis = size_t(p[0]);
  src_idx[axis] = idx[axis] * p[2] + idx.back() * p[3];
  return l.lower(n.src(0), src_idx, valid);
}

UOp lower_flip(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  const Shape& out = shape_of(n);
  Idx src_idx = idx;
  const auto& flags = targ(n);
  for (size_t i = 0; i < idx.size(); ++i)
    if (flags[i]) src_idx[i] = (out[i] - 1).uop() - idx[i];
  return l.lower(n.src(0), src_idx, valid);
}

UOp lower_pad(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  const Shape& in = shape_of(n.src(0));
  const std::vector<Dim> p = movement_dims(n);
  Idx src_idx = idx;
  UOp inside = UOp::bool_const(true);
  for (size_t i = 0; i < idx.size(); ++i) {
    const Dim before = p[2 * i], after = p[2 * i + 1];
    if (!(before == 0)) {
      src_idx[i] = idx[i] - before.uop();
      inside = and_valid(inside, (before - 1).uop().lt(idx[i]));
    }
    if (!(after == 0)) inside = and_valid(inside, idx[i].lt((before + in[i]).uop()));
  }
  UOp value = l.lower(n.src(0), src_idx, and_valid(valid, inside));
  return inside.where(value, UOp::constant(n.dtype(), ConstValue::integer(0)));
}

UOp lower_reduce(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  const auto& arg = targ(n);
  Idx src_idx = idx, ranges;
  const Shape& in = shape_of(n.src(0));
  for (size_t k = 1; k < arg.size(); ++k) {
    const size_t axis = size_t(arg[k]);
    // Over no elements: the identity, and no loop whose variable takes no value.
    if (in[axis] == 0) return UOp::reduce_identity(Ops(arg[0]), n.dtype());
    if (in[axis] == 1) continue;
    ranges.push_back(l.new_range(in[axis]));
    src_idx[axis] = ranges.back();
  }
  std::vector<UOp> srcs{l.lower(n.src(0), src_idx, valid)};
  srcs.insert(srcs.end(), ranges.begin(), ranges.end());
  return UOp::make(Ops::REDUCE, n.dtype(), srcs, Arg(arg[0]));
}

UOp lower_elementwise(KernelLowerer& l, const UOp& n, const Idx& idx, const UOp& valid) {
  std::vector<UOp> srcs;
  for (const UOp& s : n.srcs()) srcs.push_back(l.lower(s, idx, valid));
  return n.replace_srcs(srcs);
}

const std::vector<LoweringRule>& rule_table() {
  using enum Ops;
  static const std::vector<LoweringRule> rules{
      {{CONST, PARAM}, "leaf", "a constant, or a variable (a kernel argument), is its own value", lower_leaf},
      {{BUFFER}, "load", "reads the buffer at the flat index of idx, gated by the validity", lower_buffer},
      {{ARANGE}, "loop index", "the value at position i is i: the axis's loop index, no memory", lower_arange},
      {{CONTIGUOUS, DETACH}, "pass through", "the source's value at the same index (the boundary is a realize decision)",
       lower_pass_through},
      {{RESHAPE}, "relinearise",
       "the output's flat index split by the source's strides (unit axes added or removed keep their indices)",
       lower_reshape},
      {{EXPAND}, "pin broadcast axes", "expanded axes read index 0 of the source", lower_expand},
      {{PERMUTE}, "reorder indices", "output axis i is source axis order[i]", lower_permute},
      {{SHRINK}, "offset indices", "each axis reads start + i", lower_shrink},
      {{WINDOW}, "window index", "position o, element j of the window read element o*stride + j*dilation", lower_window},
      {{FLIP}, "mirror indices", "a flipped axis of size n reads n-1-i", lower_flip},
      {{PAD}, "offset and gate",
       "each axis reads i - before; where i is in the padding the validity is false and the value 0", lower_pad},
      {{REDUCE}, "reduction loops", "a fresh RANGE per reduced axis, the source lowered over them inside a REDUCE",
       lower_reduce},
      {groups::alu() | OpSet{CAST}, "elementwise", "every source at the same index, combined by the op",
       lower_elementwise},
  };
  return rules;
}

}  // namespace

std::span<const LoweringRule> lowering_rules() { return rule_table(); }

const LoweringRule* lowering_rule_for(Ops op) {
  static const std::array<const LoweringRule*, kNumOps> by_op = [] {
    std::array<const LoweringRule*, kNumOps> table{};
    for (const LoweringRule& r : rule_table())
      r.ops.for_each([&](Ops o) {
        check(table[size_t(o)] == nullptr, [&] { return "lowering: two rules lower " + std::string(op_name(o)); });
        table[size_t(o)] = &r;
      });
    return table;
  }();
  return by_op[size_t(op)];
}

}  // namespace anneal
