#include "anneal/codegen/opt.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include "anneal/codegen/gemm.h"
#include "anneal/codegen/tensor_core.h"
#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/support/error.h"
#include "anneal/uop/axis.h"
#include "anneal/uop/graph.h"

namespace anneal {
namespace {

// The stores of an END: one STORE, or a GROUP of them after an upcast.
std::vector<UOp> stores_of(const UOp& end) {
  const UOp& body = end.src(0);
  if (body.is(Ops::GROUP)) return {body.srcs().begin(), body.srcs().end()};
  return {body};
}

int64_t next_range_id(const UOp& ast) {
  int64_t id = 0;
  for (const UOp& u : toposort(ast))
    if (u.is(Ops::RANGE)) id = std::max(id, range_id(u) + 1);
  return id;
}

// A kernel whose END is `end`, keeping the SINK's arg (KernelInfo).
UOp with_end(const UOp& ast, const UOp& end) { return UOp::make(Ops::SINK, dtypes::void_, {end}, ast.arg()); }

// UPCAST and PADTO replace a loop by a new one; it keeps the old one's axis type.
UOp replacement_range(const UOp& old, int64_t size, int64_t id) {
  const RangeInfo info = range_info(old);
  return make_range(size, id, info.type, info.amount);
}

// The trip count of a loop an opt reshapes. A symbolic loop keeps its shape for every value: opts
// that would split it are refused (THREAD and plain loops stay correct at any count).
int64_t constant_loop(const UOp& range, const std::string& opt) {
  const std::optional<int64_t> n = const_range_size(range);
  check(n.has_value(), [&] { return opt + ": the loop runs a symbolic number of times; opts apply to constant loops"; });
  return *n;
}

// The loads under `u` whose index reads `range`.
std::vector<UOp> loads_reading(const UOp& u, const UOp& range) {
  std::vector<UOp> loads;
  for (const UOp& x : toposort(u)) {
    if (!x.is(Ops::LOAD)) continue;
    const std::vector<UOp> index = toposort(x.src(0));
    if (std::any_of(index.begin(), index.end(), [&](const UOp& y) { return y == range; })) loads.push_back(x);
  }
  return loads;
}

// The loads under `u` that read `range`, gated by `inside` and reading at `value` instead.
std::unordered_map<UOp, UOp> gate_loads(const UOp& u, const UOp& range, const UOp& value, const UOp& inside) {
  std::unordered_map<UOp, UOp> gated;
  for (const UOp& x : loads_reading(u, range)) {
    const UOp index = substitute(x.src(0), {{range, value}});
    const UOp alt = x.num_srcs() > 1 ? x.src(1) : UOp::constant(x.dtype(), ConstValue::integer(0));
    const UOp valid = x.num_srcs() > 2 ? substitute(x.src(2), {{range, value}}).alu(Ops::AND, inside) : inside;
    gated[x] = UOp::make(Ops::LOAD, x.dtype(), {index, alt, valid});
  }
  return gated;
}

// The loads under `u` that read `range`: at `value` where `inside`, else at element 0. Only for values
// whose store is gated by `inside` too: what a load reads outside never reaches memory, and element 0
// of its buffer exists (it holds the iterations that are inside), so reading it needs no branch.
std::unordered_map<UOp, UOp> clamp_loads(const UOp& u, const UOp& range, const UOp& value, const UOp& inside) {
  std::unordered_map<UOp, UOp> clamped;
  for (const UOp& x : loads_reading(u, range)) {
    const UOp& index = x.src(0);
    const UOp at = inside.where(substitute(index.src(1), {{range, value}}), UOp::int_const(0, index.src(1).dtype()));
    std::vector<UOp> srcs(x.srcs().begin(), x.srcs().end());
    srcs[0] = index.replace_srcs(std::vector<UOp>{index.src(0), at});
    for (size_t i = 1; i < srcs.size(); ++i) srcs[i] = substitute(srcs[i], {{range, value}});
    clamped[x] = x.replace_srcs(srcs);
  }
  return clamped;
}

// UPCAST of a symbolic loop (n iterations, n known at launch): a loop over ceil(n / amount) groups of
// `amount` iterations, each iteration's store gated by its index < n and its loads clamped (a gated
// tail, branch-free where it matters: the hot loop and the epilogue stay vectorizable). The values and
// their order of summation are those of the plain loop.
UOp upcast_gated(const UOp& ast, const UOp& range, int axis, int64_t amount) {
  const UOp& end = ast.src(0);
  check(amount > 1, "UPCAST: the amount must be above 1");
  const RangeInfo info = range_info(range);
  check(info.type == AxisType::Loop || info.type == AxisType::Thread, "UPCAST: a symbolic loop with LOCAL threads");
  const UOp n = range.src(0);
  // At most `amount` iterations: the group is the whole loop, which goes away.
  const bool whole = n.vmax() <= amount;
  const UOp outer = make_range((n + (amount - 1)).floordiv(amount), next_range_id(ast), info.type, info.amount);
  std::vector<UOp> stores;
  for (int64_t c = 0; c < amount; ++c) {
    const UOp value = whole ? UOp::int_const(c) : outer * amount + c, inside = value.lt(n);
    for (const UOp& s : stores_of(end)) {
      const UOp body = substitute(substitute(s, clamp_loads(s, range, value, inside)), {{range, value}});
      const UOp gate = body.num_srcs() > 2 ? body.src(2).alu(Ops::AND, inside) : inside;
      stores.push_back(UOp::make(Ops::STORE, dtypes::void_, {body.src(0), body.src(1), gate}));
    }
  }
  std::vector<UOp> end_srcs{stores.size() == 1 ? stores[0] : UOp::make(Ops::GROUP, dtypes::void_, stores)};
  for (size_t i = 1; i < end.num_srcs(); ++i) {
    if (i != size_t(axis) + 1) end_srcs.push_back(end.src(i));
    else if (!whole) end_srcs.push_back(outer);
  }
  return symbolic_rewrite(with_end(ast, UOp::make(Ops::END, dtypes::void_, end_srcs)));
}

UOp upcast(const UOp& ast, int axis, int64_t amount) {
  const UOp& end = ast.src(0);
  const int loops = int(end.num_srcs()) - 1;
  check(axis >= 0 && axis < loops, [&] {
    return "UPCAST: axis " + std::to_string(axis) + " out of range (the kernel has " + std::to_string(loops) +
           " output loops)";
  });
  const UOp& range = end.src(size_t(axis) + 1);
  if (!const_range_size(range)) return upcast_gated(ast, range, axis, amount);
  const int64_t n = constant_loop(range, "UPCAST");
  check(amount > 1 && n % amount == 0, [&] {
    return "UPCAST: amount " + std::to_string(amount) + " does not divide loop " + std::to_string(axis) + " of size " +
           std::to_string(n);
  });
  const RangeInfo info = range_info(range);
  check(info.type != AxisType::Local || (n / amount) % info.amount == 0,
        "UPCAST: the loop's LOCAL size would no longer divide it");
  // Upcasting a whole loop removes it (the later axes move down by one).
  const bool whole = n == amount;
  const UOp outer = replacement_range(range, n / amount, next_range_id(ast));
  std::vector<UOp> stores;
  for (int64_t c = 0; c < amount; ++c) {
    const UOp value = whole ? UOp::int_const(c) : outer * amount + c;
    for (const UOp& s : stores_of(end)) stores.push_back(substitute(s, {{range, value}}));
  }
  std::vector<UOp> end_srcs{stores.size() == 1 ? stores[0] : UOp::make(Ops::GROUP, dtypes::void_, stores)};
  for (size_t i = 1; i < end.num_srcs(); ++i) {
    if (i != size_t(axis) + 1) end_srcs.push_back(end.src(i));
    else if (!whole) end_srcs.push_back(outer);
  }
  return symbolic_rewrite(with_end(ast, UOp::make(Ops::END, dtypes::void_, end_srcs)));
}

// PADTO: the loop becomes one of n' = n rounded up to k iterations; every load reading it and the
// store are gated by loop < n.
UOp pad_to(const UOp& ast, int axis, int64_t k) {
  const UOp& end = ast.src(0);
  const int loops = int(end.num_srcs()) - 1;
  check(axis >= 0 && axis < loops, [&] {
    return "PADTO: axis " + std::to_string(axis) + " out of range (the kernel has " + std::to_string(loops) + " output loops)";
  });
  const UOp& range = end.src(size_t(axis) + 1);
  const int64_t n = constant_loop(range, "PADTO");
  check(k > 1 && n % k != 0, [&] {
    return "PADTO: " + std::to_string(k) + " must be above 1 and not already divide loop " + std::to_string(axis) +
           " of size " + std::to_string(n);
  });
  check(axis_type(range) != AxisType::Local, "PADTO: pad a loop before giving it LOCAL threads");
  const UOp padded = replacement_range(range, (n + k - 1) / k * k, next_range_id(ast));
  const UOp inside = padded.lt(UOp::int_const(n));
  const std::unordered_map<UOp, UOp> gated = gate_loads(end, range, padded, inside);
  std::vector<UOp> stores;
  for (const UOp& s : stores_of(end)) {
    const UOp body = substitute(substitute(s, gated), {{range, padded}});
    const UOp gate = body.num_srcs() > 2 ? body.src(2).alu(Ops::AND, inside) : inside;
    stores.push_back(UOp::make(Ops::STORE, dtypes::void_, {body.src(0), body.src(1), gate}));
  }
  std::vector<UOp> end_srcs{stores.size() == 1 ? stores[0] : UOp::make(Ops::GROUP, dtypes::void_, stores)};
  for (size_t i = 1; i < end.num_srcs(); ++i) end_srcs.push_back(i == size_t(axis) + 1 ? padded : end.src(i));
  return symbolic_rewrite(with_end(ast, UOp::make(Ops::END, dtypes::void_, end_srcs)));
}

UOp swap(const UOp& ast, int axis, int other) {
  const UOp& end = ast.src(0);
  const int loops = int(end.num_srcs()) - 1;
  check(axis >= 0 && axis < loops && other >= 0 && other < loops, [&] {
    return "SWAP: axes " + std::to_string(axis) + " and " + std::to_string(other) + " must be below " + std::to_string(loops);
  });
  std::vector<UOp> srcs(end.srcs().begin(), end.srcs().end());
  std::swap(srcs[size_t(axis) + 1], srcs[size_t(other) + 1]);
  return with_end(ast, UOp::make(Ops::END, dtypes::void_, srcs));
}

}  // namespace

std::string Opt::str() const {
  const char* name = op == OptOp::Upcast       ? "UPCAST("
                     : op == OptOp::Local      ? "LOCAL("
                     : op == OptOp::TensorCore ? "TC("
                     : op == OptOp::Stage      ? "STAGE("
                     : op == OptOp::Group      ? "GROUP("
                     : op == OptOp::GroupTop   ? "GROUPTOP("
                     : op == OptOp::Simd       ? "SIMD("
                     : op == OptOp::Unroll     ? "UNROLL("
                     : op == OptOp::Thread     ? "THREAD("
                     : op == OptOp::NoLocals   ? "NOLOCALS("
                     : op == OptOp::PadTo      ? "PADTO("
                                               : "SWAP(";
  return name + std::to_string(axis) + ", " + std::to_string(amount) + ")";
}

std::optional<Opt> parse_opt(const std::string& text) {
  Opt o{OptOp::Upcast, 0, 0};
  std::string name;
  if (text.rfind("UPCAST(", 0) == 0) o.op = OptOp::Upcast, name = "UPCAST(";
  else if (text.rfind("LOCAL(", 0) == 0) o.op = OptOp::Local, name = "LOCAL(";
  else if (text.rfind("SWAP(", 0) == 0) o.op = OptOp::Swap, name = "SWAP(";
  else if (text.rfind("TC(", 0) == 0) o.op = OptOp::TensorCore, name = "TC(";
  else if (text.rfind("STAGE(", 0) == 0) o.op = OptOp::Stage, name = "STAGE(";
  else if (text.rfind("SIMD(", 0) == 0) o.op = OptOp::Simd, name = "SIMD(";
  else if (text.rfind("UNROLL(", 0) == 0) o.op = OptOp::Unroll, name = "UNROLL(";
  else if (text.rfind("THREAD(", 0) == 0) o.op = OptOp::Thread, name = "THREAD(";
  else if (text.rfind("PADTO(", 0) == 0) o.op = OptOp::PadTo, name = "PADTO(";
  else if (text.rfind("NOLOCALS(", 0) == 0) o.op = OptOp::NoLocals, name = "NOLOCALS(";
  else if (text.rfind("GROUPTOP(", 0) == 0) o.op = OptOp::GroupTop, name = "GROUPTOP(";
  else if (text.rfind("GROUP(", 0) == 0) o.op = OptOp::Group, name = "GROUP(";
  else return std::nullopt;
  long long axis = 0, amount = 0;
  char close = 0;
  if (std::sscanf(text.c_str() + name.size(), "%lld, %lld%c", &axis, &amount, &close) != 3 || close != ')') return std::nullopt;
  o.axis = int(axis);
  o.amount = amount;
  if (o.str() != text) return std::nullopt;  // exactly the canonical spelling
  return o;
}

namespace {

std::vector<UOp> output_loops(const UOp& ast) {
  const UOp& end = ast.src(0);
  return {end.srcs().begin() + 1, end.srcs().end()};
}

bool has_local(const UOp& ast) {
  for (const UOp& r : output_loops(ast))
    if (axis_type(r) == AxisType::Local) return true;
  return false;
}

// Whether some loop of the kernel has axis type `want` (`pred`).
template <class Pred>
bool any_loop(const UOp& ast, Pred pred) {
  for (const UOp& u : toposort(ast))
    if (u.is(Ops::RANGE) && pred(axis_type(u))) return true;
  return false;
}

bool grouped(const UOp& ast) { return any_loop(ast, is_group_axis); }

ScheduledKernel with_ast(const ScheduledKernel& kernel, UOp ast) {
  ScheduledKernel out = kernel;
  out.ast = std::move(ast);
  return out;
}

// The kernel with loop `r` given axis type `type`.
ScheduledKernel retype(const ScheduledKernel& kernel, const UOp& r, AxisType type, int64_t amount) {
  return with_ast(kernel, substitute(kernel.ast, {{r, with_axis(r, type, amount)}}));
}

// TC, STAGE, SIMD: the matmul is claimed (its sum becomes a WMMA node) and rendered whole; nothing
// else may be applied.
ScheduledKernel whole_kernel_opt(const ScheduledKernel& kernel, const Opt& opt) {
  // TC's axis picks the instruction (0: mma.sync, 1: wgmma); the others have axis 0.
  const int axes = opt.op == OptOp::TensorCore ? 2 : 1;
  const bool typed = any_loop(kernel.ast, [](AxisType t) { return t != AxisType::Loop; });
  check(!typed && opt.axis >= 0 && opt.axis < axes,
        [&] { return opt.str() + ": must be the only opt of a kernel, with axis 0" + (axes > 1 ? " or 1" : ""); });
  if (opt.op == OptOp::TensorCore) {
    const std::optional<TensorCorePlan> plan = match_tensor_core(kernel);
    check(plan.has_value(), "TC: the kernel is not a float16/bfloat16 matmul-like reduction with tensor-core-sized loops");
    if (opt.axis == 1)
      check(warpgroup_fits(*plan, opt.amount), [&] {
        return opt.str() + ": the warpgroup form needs float16/bfloat16, n 128 or 256 dividing the n loop, 128 dividing "
                           "the m loop, k a multiple of 64 and operands that can be copied in 16-byte pieces";
      });
    else
      check(opt.amount == 0 || tensor_core_stages(*plan, opt.amount), [&] {
        return opt.str() + ": staging needs a tile of 64 or 128 that divides both output loops, k a multiple of 32 and "
                           "operands that can be copied in 16-byte pieces";
      });
    const GemmForm form = opt.axis == 1 ? GemmForm::Warpgroup : opt.amount ? GemmForm::MmaStaged : GemmForm::MmaDirect;
    return with_ast(kernel, claim_gemm(kernel.ast, *plan, form, opt.amount, plan->tiles_m, plan->tiles_n));
  }
  const std::optional<GemmPlan> plan = match_gemm(kernel);
  if (opt.op == OptOp::Simd) {
    check(plan.has_value() && simd_fits(*plan, opt.amount), [&] {
      return opt.str() + ": needs a float32 matmul-like kernel whose output loops 4, 5, 6 or 8 rows and 16 or 32 "
                         "columns divide, with affine operands";
    });
    return with_ast(kernel, claim_gemm(kernel.ast, *plan, GemmForm::SimdTile, opt.amount));
  }
  check(plan.has_value() && stage_fits(*plan, opt.amount), [&] {
    return opt.str() + ": needs a float32 matmul-like kernel, a tile of 64 or 128 dividing both output loops, one "
                       "reduction loop, a multiple of 8 long, and operands that can be read in 16-byte pieces";
  });
  return with_ast(kernel, claim_gemm(kernel.ast, *plan, GemmForm::StagedTile, opt.amount));
}

ScheduledKernel no_locals_opt(const ScheduledKernel& kernel, const Opt& opt) {
  check(opt.axis == 0 && opt.amount == 0 && !has_local(kernel.ast) && !grouped(kernel.ast),
        "NOLOCALS(0, 0): the kernel already has LOCAL or GROUP");
  auto info = std::make_shared<KernelInfo>();
  info->no_locals = true;
  const UOp& ast = kernel.ast;
  return with_ast(kernel, UOp::make(Ops::SINK, ast.dtype(), {ast.srcs().begin(), ast.srcs().end()},
                                    Arg(Arg::Object(std::move(info)))));
}

ScheduledKernel unroll_opt(const ScheduledKernel& kernel, const Opt& opt) {
  const std::vector<UOp> reduce_loops = reduction_loops(kernel);
  check(opt.axis >= 0 && size_t(opt.axis) < reduce_loops.size(), [&] {
    return opt.str() + ": the kernel has " + std::to_string(reduce_loops.size()) + " reduction loops";
  });
  const UOp& r = reduce_loops[size_t(opt.axis)];
  const int64_t n = constant_loop(r, opt.str());
  check(opt.amount > 1 && n % opt.amount == 0, [&] {
    return opt.str() + ": " + std::to_string(opt.amount) + " does not divide the loop of " + std::to_string(n);
  });
  const AxisType type = axis_type(r);
  check(type == AxisType::Loop, [&] {
    return opt.str() + (type == AxisType::Unroll ? ": the loop is already unrolled" : ": the loop is shared by a GROUP");
  });
  return retype(kernel, r, AxisType::Unroll, opt.amount);
}

ScheduledKernel thread_opt(const ScheduledKernel& kernel, const Opt& opt) {
  const std::vector<UOp> loops = output_loops(kernel.ast);
  const bool other = any_loop(kernel.ast, [](AxisType t) { return t == AxisType::Thread; });
  check(opt.axis >= 0 && size_t(opt.axis) < loops.size() && opt.amount >= 1 && !other, [&] {
    return opt.str() + ": needs an output loop below " + std::to_string(loops.size()) +
           ", at least one core, and no other THREAD";
  });
  const UOp& r = loops[size_t(opt.axis)];
  check(axis_type(r) == AxisType::Loop, [&] { return opt.str() + ": the loop already has LOCAL threads"; });
  return retype(kernel, r, AxisType::Thread, opt.amount);
}

// GROUP, GROUPTOP: the largest loop of every reduction not nested in another's body is shared by the
// block's threads.
ScheduledKernel group_opt(const ScheduledKernel& kernel, const Opt& opt) {
  check(opt.axis == 0 && opt.amount >= 2 && opt.amount <= 1024 && (opt.amount & (opt.amount - 1)) == 0 &&
            !reduction_loops(kernel).empty() && !has_local(kernel.ast) && !grouped(kernel.ast),
        [&] {
          return opt.str() + ": needs a kernel with a reduction, no LOCAL or other GROUP, and a power of two from 2 "
                             "to 1024 threads";
        });
  const AxisType type = opt.op == OptOp::GroupTop ? AxisType::GroupChunked : AxisType::GroupStrided;
  std::unordered_map<UOp, UOp> shared;
  for (const UOp& r : top_level_reduces(kernel.ast)) {
    UOp largest = r.src(1);
    for (size_t i = 2; i < r.num_srcs(); ++i)
      if (r.src(i).src(0).vmax() > largest.src(0).vmax()) largest = r.src(i);
    // GROUP's threads stride through a loop of any length; GROUPTOP's chunks need a constant one.
    if (type == AxisType::GroupChunked) constant_loop(largest, opt.str());
    check(axis_type(largest) == AxisType::Loop, [&] { return opt.str() + ": the reduction's largest loop is unrolled"; });
    shared.emplace(largest, with_axis(largest, type, opt.amount));
  }
  return with_ast(kernel, substitute(kernel.ast, shared));
}

// LOCAL: `amount` more threads of a block along the loop (a LOCAL again multiplies them).
ScheduledKernel local_opt(const ScheduledKernel& kernel, const Opt& opt) {
  check(!grouped(kernel.ast), "LOCAL: a GROUP kernel's block already belongs to one output");
  const std::vector<UOp> loops = output_loops(kernel.ast);
  check(opt.axis >= 0 && size_t(opt.axis) < loops.size(), [&] {
    return "LOCAL: axis " + std::to_string(opt.axis) + " out of range (the kernel has " + std::to_string(loops.size()) +
           " output loops)";
  });
  const UOp& r = loops[size_t(opt.axis)];
  const RangeInfo info = range_info(r);
  check(info.type == AxisType::Loop || info.type == AxisType::Local,
        [&] { return opt.str() + ": the loop is split across CPU cores (THREAD)"; });
  constant_loop(r, "LOCAL");  // its threads tile it: a constant size (other loops may be symbolic)
  const int64_t n = constant_loop(r, "LOCAL"), before = info.type == AxisType::Local ? info.amount : 1;
  int64_t threads = opt.amount;
  for (const UOp& l : loops)
    if (axis_type(l) == AxisType::Local) threads *= range_info(l).amount;
  check(opt.amount > 1 && (n / before) % opt.amount == 0, [&] {
    return "LOCAL: amount " + std::to_string(opt.amount) + " does not divide loop " + std::to_string(opt.axis) +
           " of size " + std::to_string(n);
  });
  check(threads <= 1024, "LOCAL: more than 1024 threads in a block");
  return retype(kernel, r, AxisType::Local, before * opt.amount);
}

}  // namespace

bool KernelInfo::equals(const ArgObject& other) const {
  const auto* o = dynamic_cast<const KernelInfo*>(&other);
  return o && no_locals == o->no_locals;
}
void KernelInfo::hash(Hasher& h) const {
  h.bytes("KernelInfo");
  h.word(no_locals);
}
std::string KernelInfo::str() const { return no_locals ? "nolocals" : ""; }

bool no_locals(const UOp& ast) {
  const KernelInfo* info = ast.arg().as<KernelInfo>();
  return info && info->no_locals;
}

std::vector<UOp> top_level_reduces(const UOp& ast) {
  std::vector<UOp> out, stack{ast};
  std::unordered_set<const void*> seen;
  while (!stack.empty()) {
    UOp u = stack.back();
    stack.pop_back();
    if (!seen.insert(u.get()).second) continue;
    if (u.is(Ops::REDUCE)) {
      out.push_back(u);
      for (size_t i = 1; i < u.num_srcs(); ++i) stack.push_back(u.src(i));
      continue;
    }
    for (const UOp& s : u.srcs()) stack.push_back(s);
  }
  return out;
}

std::vector<UOp> reduction_loops(const ScheduledKernel& kernel) {
  std::vector<UOp> out;
  for (const UOp& u : toposort(kernel.ast))
    if (u.is(Ops::REDUCE))
      for (size_t i = 1; i < u.num_srcs(); ++i)
        if (std::find(out.begin(), out.end(), u.src(i)) == out.end()) out.push_back(u.src(i));
  return out;
}

ScheduledKernel apply_opt(const ScheduledKernel& kernel, const Opt& opt) {
  check(!find_wmma(kernel.ast), "a TC, STAGE or SIMD kernel takes no further opts");
  const bool cooperative = opt.op == OptOp::Local || opt.op == OptOp::Group || opt.op == OptOp::GroupTop ||
                           opt.op == OptOp::Stage || opt.op == OptOp::TensorCore;
  check(!(no_locals(kernel.ast) && cooperative), [&] { return opt.str() + ": the kernel is marked NOLOCALS"; });
  switch (opt.op) {
    case OptOp::TensorCore:
    case OptOp::Stage:
    case OptOp::Simd: return whole_kernel_opt(kernel, opt);
    case OptOp::NoLocals: return no_locals_opt(kernel, opt);
    case OptOp::Unroll: return unroll_opt(kernel, opt);
    case OptOp::Thread: return thread_opt(kernel, opt);
    case OptOp::Group:
    case OptOp::GroupTop: return group_opt(kernel, opt);
    case OptOp::Local: return local_opt(kernel, opt);
    case OptOp::Upcast: return with_ast(kernel, upcast(kernel.ast, opt.axis, opt.amount));
    case OptOp::PadTo: return with_ast(kernel, pad_to(kernel.ast, opt.axis, opt.amount));
    case OptOp::Swap: return with_ast(kernel, swap(kernel.ast, opt.axis, int(opt.amount)));
  }
  throw Error("unknown opt " + opt.str());
}

bool reorders_sums(const std::vector<Opt>& opts) {
  for (const Opt& o : opts)
    if (o.op == OptOp::TensorCore || o.op == OptOp::Group || o.op == OptOp::GroupTop) return true;
  return false;
}

ScheduledKernel optimize(const ScheduledKernel& kernel, const Target& target, std::vector<Opt>* applied) {
  ScheduledKernel k = kernel;
  for (const Opt& o : hand_coded_opts(kernel, target)) {
    k = apply_opt(k, o);
    if (applied) applied->push_back(o);
  }
  return k;
}

}  // namespace anneal
