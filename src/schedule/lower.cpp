#include "lower.h"
#include "reduce_collapse.h"

#include <memory>

#include "anneal/rewrite/symbolic.h"
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
  const Shape& out = shape_of(n);
  switch (n.op()) {
    case Ops::CONST:
    case Ops::PARAM: return n;  // a constant, or a variable (a kernel argument)
    case Ops::BUFFER: return load(n, out, idx, valid);
    case Ops::ARANGE: return idx[0].cast(n.dtype());  // the value is the position: the loop's index, no memory
    case Ops::CONTIGUOUS:
    case Ops::DETACH: return lower(n.src(0), idx, valid);
    case Ops::RESHAPE: {
      const Shape& in = shape_of(n.src(0));
      // Only unit axes added or removed: the other axes keep their indices. (Through a flat index
      // the same map needs div/mod that simplification cannot remove where an index may be out of
      // range: a padded gradient's shifted positions, valid only under the pad's gate.)
      std::vector<size_t> kept;
      for (size_t j = 0; j < out.size(); ++j)
        if (out[j] != 1) kept.push_back(j);
      size_t next = 0;
      bool unit_only = true;
      std::vector<UOp> direct;
      for (size_t j = 0; j < in.size() && unit_only; ++j) {
        if (in[j] == 1) {
          direct.push_back(idx_const(0));
          continue;
        }
        unit_only = next < kept.size() && out[kept[next]] == in[j];
        if (unit_only) direct.push_back(idx[kept[next++]]);
      }
      if (unit_only && next == kept.size()) return lower(n.src(0), direct, valid);
      const UOp flat = flat_index(idx, out);
      const Shape strides = strides_of(in);
      std::vector<UOp> src_idx;
      for (size_t j = 0; j < in.size(); ++j) {
        if (in[j] == 1) {
          src_idx.push_back(idx_const(0));
          continue;
        }
        // The leading dimension needs no modulo: flat < numel.
        UOp v = flat.floordiv(strides[j].uop());
        src_idx.push_back(j == 0 ? v : v % in[j].uop());
      }
      return lower(n.src(0), src_idx, valid);
    }
    case Ops::EXPAND: {
      const Shape& in = shape_of(n.src(0));
      std::vector<UOp> src_idx = idx;
      for (size_t i = 0; i < in.size(); ++i)
        if (in[i] == 1 && out[i] != 1) src_idx[i] = idx_const(0);
      return lower(n.src(0), src_idx, valid);
    }
    case Ops::PERMUTE: {
      std::vector<UOp> src_idx(idx.size());
      const auto& order = targ(n);
      for (size_t i = 0; i < order.size(); ++i) src_idx[size_t(order[i])] = idx[i];
      return lower(n.src(0), src_idx, valid);
    }
    case Ops::SHRINK: {
      std::vector<UOp> src_idx = idx;
      const std::vector<Dim> p = movement_dims(n);
      for (size_t i = 0; i < idx.size(); ++i)
        if (!(p[2 * i] == 0)) src_idx[i] = idx[i] + p[2 * i].uop();
      return lower(n.src(0), src_idx, valid);
    }
    case Ops::WINDOW: {  // position o, window element j of the axis read element o s + j d
      const auto& p = targ(n);
      std::vector<UOp> src_idx(idx.begin(), idx.end() - 1);
      const size_t axis = size_t(p[0]);
      src_idx[axis] = idx[axis] * p[2] + idx.back() * p[3];
      return lower(n.src(0), src_idx, valid);
    }
    case Ops::FLIP: {
      std::vector<UOp> src_idx = idx;
      const auto& flags = targ(n);
      for (size_t i = 0; i < idx.size(); ++i)
        if (flags[i]) src_idx[i] = (out[i] - 1).uop() - idx[i];
      return lower(n.src(0), src_idx, valid);
    }
    case Ops::PAD: {
      const Shape& in = shape_of(n.src(0));
      const std::vector<Dim> p = movement_dims(n);
      std::vector<UOp> src_idx = idx;
      UOp inside = UOp::bool_const(true);
      for (size_t i = 0; i < idx.size(); ++i) {
        const Dim before = p[2 * i], after = p[2 * i + 1];
        if (!(before == 0)) {
          src_idx[i] = idx[i] - before.uop();
          inside = and_valid(inside, (before - 1).uop().lt(idx[i]));
        }
        if (!(after == 0)) inside = and_valid(inside, idx[i].lt((before + in[i]).uop()));
      }
      UOp value = lower(n.src(0), src_idx, and_valid(valid, inside));
      return inside.where(value, UOp::constant(n.dtype(), ConstValue::integer(0)));
    }
    case Ops::REDUCE: {
      const auto& arg = targ(n);
      std::vector<UOp> src_idx = idx, ranges;
      const Shape& in = shape_of(n.src(0));
      for (size_t k = 1; k < arg.size(); ++k) {
        const size_t axis = size_t(arg[k]);
        // Over no elements: the identity, and no loop whose variable takes no value.
        if (in[axis] == 0) return UOp::reduce_identity(Ops(arg[0]), n.dtype());
        if (in[axis] == 1) continue;
        ranges.push_back(new_range(in[axis]));
        src_idx[axis] = ranges.back();
      }
      std::vector<UOp> srcs{lower(n.src(0), src_idx, valid)};
      srcs.insert(srcs.end(), ranges.begin(), ranges.end());
      return UOp::make(Ops::REDUCE, n.dtype(), srcs, Arg(arg[0]));
    }
    default: {
      check(is_alu(n.op()) || n.is(Ops::CAST), [&] { return "lower: unexpected " + std::string(op_name(n.op())) + " in a tensor graph"; });
      std::vector<UOp> srcs;
      for (const UOp& s : n.srcs()) srcs.push_back(lower(s, idx, valid));
      return n.replace_srcs(srcs);
    }
  }
}

}  // namespace anneal
