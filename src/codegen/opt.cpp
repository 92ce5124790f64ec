#include "anneal/codegen/opt.h"

#include <algorithm>
#include <unordered_map>

#include "anneal/codegen/gemm.h"
#include "anneal/codegen/tensor_core.h"
#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/support/error.h"
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
    if (u.is(Ops::RANGE)) id = std::max(id, *u.arg().as_int() + 1);
  return id;
}

UOp upcast(const UOp& ast, int axis, int64_t amount) {
  const UOp& end = ast.src(0);
  const int loops = int(end.num_srcs()) - 1;
  check(axis >= 0 && axis < loops, [&] {
    return "UPCAST: axis " + std::to_string(axis) + " out of range (the kernel has " + std::to_string(loops) +
           " output loops)";
  });
  const UOp& range = end.src(size_t(axis) + 1);
  const int64_t n = range.src(0).ival();
  check(amount > 1 && n % amount == 0, [&] {
    return "UPCAST: amount " + std::to_string(amount) + " does not divide loop " + std::to_string(axis) + " of size " +
           std::to_string(n);
  });
  // Upcasting a whole loop removes it (the later axes move down by one).
  const bool whole = n == amount;
  const UOp outer = UOp::make(Ops::RANGE, dtypes::weakint, {UOp::int_const(n / amount)}, Arg(next_range_id(ast)));
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
  return symbolic_rewrite(UOp::make(Ops::SINK, dtypes::void_, {UOp::make(Ops::END, dtypes::void_, end_srcs)}));
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
  const int64_t n = range.src(0).ival();
  check(k > 1 && n % k != 0, [&] {
    return "PADTO: " + std::to_string(k) + " must be above 1 and not already divide loop " + std::to_string(axis) +
           " of size " + std::to_string(n);
  });
  const UOp padded = UOp::make(Ops::RANGE, dtypes::weakint, {UOp::int_const((n + k - 1) / k * k)}, Arg(next_range_id(ast)));
  const UOp inside = padded.lt(UOp::int_const(n));
  std::unordered_map<UOp, UOp> gated;
  for (const UOp& u : toposort(end))
    if (u.is(Ops::LOAD)) {
      bool reads = false;
      for (const UOp& x : toposort(u.src(0))) reads = reads || x.get() == range.get();
      if (!reads) continue;
      const UOp index = substitute(u.src(0), {{range, padded}});
      const UOp alt = u.num_srcs() > 1 ? u.src(1) : UOp::constant(u.dtype(), ConstValue::integer(0));
      const UOp valid = u.num_srcs() > 2 ? substitute(u.src(2), {{range, padded}}).alu(Ops::AND, inside) : inside;
      gated[u] = UOp::make(Ops::LOAD, u.dtype(), {index, alt, valid});
    }
  std::vector<UOp> stores;
  for (const UOp& s : stores_of(end)) {
    const UOp body = substitute(substitute(s, gated), {{range, padded}});
    const UOp gate = body.num_srcs() > 2 ? body.src(2).alu(Ops::AND, inside) : inside;
    stores.push_back(UOp::make(Ops::STORE, dtypes::void_, {body.src(0), body.src(1), gate}));
  }
  std::vector<UOp> end_srcs{stores.size() == 1 ? stores[0] : UOp::make(Ops::GROUP, dtypes::void_, stores)};
  for (size_t i = 1; i < end.num_srcs(); ++i) end_srcs.push_back(i == size_t(axis) + 1 ? padded : end.src(i));
  return symbolic_rewrite(UOp::make(Ops::SINK, dtypes::void_, {UOp::make(Ops::END, dtypes::void_, end_srcs)}));
}

UOp swap(const UOp& ast, int axis, int other) {
  const UOp& end = ast.src(0);
  const int loops = int(end.num_srcs()) - 1;
  check(axis >= 0 && axis < loops && other >= 0 && other < loops, [&] {
    return "SWAP: axes " + std::to_string(axis) + " and " + std::to_string(other) + " must be below " + std::to_string(loops);
  });
  std::vector<UOp> srcs(end.srcs().begin(), end.srcs().end());
  std::swap(srcs[size_t(axis) + 1], srcs[size_t(other) + 1]);
  return UOp::make(Ops::SINK, dtypes::void_, {UOp::make(Ops::END, dtypes::void_, srcs)});
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

namespace {

bool has_local(const ScheduledKernel& k) {
  for (int64_t l : k.local)
    if (l > 1) return true;
  return false;
}

// TC, STAGE, SIMD: a renderer takes over the whole kernel; nothing else may be applied.
ScheduledKernel whole_kernel_opt(const ScheduledKernel& kernel, const Opt& opt) {
  ScheduledKernel out = kernel;
  // TC's axis picks the instruction (0: mma.sync, 1: wgmma); the others have axis 0.
  const int axes = opt.op == OptOp::TensorCore ? 2 : 1;
  check(kernel.local.empty() && kernel.group == 0 && kernel.unroll.empty() && kernel.thread_range < 0 && opt.axis >= 0 &&
            opt.axis < axes,
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
    out.tensor_core = true;
    out.warpgroup = opt.axis == 1;
    out.stage = opt.amount;
    return out;
  }
  const std::optional<GemmPlan> plan = match_gemm(kernel);
  if (opt.op == OptOp::Simd) {
    check(plan.has_value() && simd_fits(*plan, opt.amount), [&] {
      return opt.str() + ": needs a float32 matmul-like kernel whose output loops 4, 5, 6 or 8 rows and 16 or 32 "
                         "columns divide, with affine operands";
    });
    out.simd = opt.amount;
    return out;
  }
  check(plan.has_value() && stage_fits(*plan, opt.amount), [&] {
    return opt.str() + ": needs a float32 matmul-like kernel, a tile of 64 or 128 dividing both output loops, one "
                       "reduction loop, a multiple of 8 long, and operands that can be read in 16-byte pieces";
  });
  out.stage = opt.amount;
  return out;
}

// NOLOCALS, UNROLL, THREAD, GROUP, GROUPTOP: marks that renderers read; the AST is unchanged.
ScheduledKernel marker_opt(const ScheduledKernel& kernel, const Opt& opt) {
  ScheduledKernel out = kernel;
  const UOp& end = kernel.ast.src(0);
  const size_t loops = end.num_srcs() - 1;
  switch (opt.op) {
    case OptOp::NoLocals:
      check(opt.axis == 0 && opt.amount == 0 && !has_local(kernel) && kernel.group == 0,
            "NOLOCALS(0, 0): the kernel already has LOCAL or GROUP");
      out.no_locals = true;
      return out;
    case OptOp::Unroll: {
      const std::vector<UOp> reduce_loops = reduction_loops(kernel);
      check(opt.axis >= 0 && size_t(opt.axis) < reduce_loops.size(), [&] {
        return opt.str() + ": the kernel has " + std::to_string(reduce_loops.size()) + " reduction loops";
      });
      const UOp& r = reduce_loops[size_t(opt.axis)];
      const int64_t id = *r.arg().as_int(), n = r.src(0).ival();
      check(opt.amount > 1 && n % opt.amount == 0, [&] {
        return opt.str() + ": " + std::to_string(opt.amount) + " does not divide the loop of " + std::to_string(n);
      });
      for (const auto& [rid, f] : kernel.unroll) check(rid != id, [&] { return opt.str() + ": the loop is already unrolled"; });
      out.unroll.push_back({id, opt.amount});
      return out;
    }
    case OptOp::Thread:
      check(opt.axis >= 0 && size_t(opt.axis) < loops && opt.amount >= 1 && kernel.thread_range < 0, [&] {
        return opt.str() + ": needs an output loop below " + std::to_string(loops) + ", at least one core, and no other THREAD";
      });
      out.thread_range = *end.src(size_t(opt.axis) + 1).arg().as_int();
      out.thread_cores = opt.amount;
      return out;
    default: {  // GROUP, GROUPTOP
      check(opt.axis == 0 && opt.amount >= 2 && opt.amount <= 1024 && (opt.amount & (opt.amount - 1)) == 0 &&
                !reduction_loops(kernel).empty() && !has_local(kernel) && kernel.group == 0,
            [&] {
              return opt.str() + ": needs a kernel with a reduction, no LOCAL or other GROUP, and a power of two from 2 "
                                 "to 1024 threads";
            });
      out.group = opt.amount;
      out.group_top = opt.op == OptOp::GroupTop;
      return out;
    }
  }
}

// UPCAST, PADTO, SWAP, LOCAL: the loop nest (and the LOCAL sizes that follow its loops).
ScheduledKernel loop_opt(const ScheduledKernel& kernel, const Opt& opt) {
  ScheduledKernel out = kernel;
  const UOp& end = kernel.ast.src(0);
  const size_t loops = end.num_srcs() - 1;
  if (out.local.empty()) out.local.assign(loops, 1);
  switch (opt.op) {
    case OptOp::Upcast: {
      out.ast = upcast(kernel.ast, opt.axis, opt.amount);
      const int64_t n = end.src(size_t(opt.axis) + 1).src(0).ival();
      check(out.local[size_t(opt.axis)] == 1 || (n / opt.amount) % out.local[size_t(opt.axis)] == 0,
            "UPCAST: the loop's LOCAL size would no longer divide it");
      if (out.ast.src(0).num_srcs() - 1 < loops) out.local.erase(out.local.begin() + opt.axis);  // a whole loop
      return out;
    }
    case OptOp::PadTo:
      out.ast = pad_to(kernel.ast, opt.axis, opt.amount);
      check(out.local[size_t(opt.axis)] == 1, "PADTO: pad a loop before giving it LOCAL threads");
      return out;
    case OptOp::Swap:
      out.ast = swap(kernel.ast, opt.axis, int(opt.amount));
      std::swap(out.local[size_t(opt.axis)], out.local[size_t(opt.amount)]);
      return out;
    default: {  // LOCAL
      check(kernel.group == 0, "LOCAL: a GROUP kernel's block already belongs to one output");
      check(opt.axis >= 0 && size_t(opt.axis) < loops, [&] {
        return "LOCAL: axis " + std::to_string(opt.axis) + " out of range (the kernel has " + std::to_string(loops) +
               " output loops)";
      });
      const int64_t n = end.src(size_t(opt.axis) + 1).src(0).ival();
      int64_t threads = opt.amount;
      for (int64_t l : out.local) threads *= l;
      check(opt.amount > 1 && (n / out.local[size_t(opt.axis)]) % opt.amount == 0, [&] {
        return "LOCAL: amount " + std::to_string(opt.amount) + " does not divide loop " + std::to_string(opt.axis) +
               " of size " + std::to_string(n);
      });
      check(threads <= 1024, "LOCAL: more than 1024 threads in a block");
      out.local[size_t(opt.axis)] *= opt.amount;
      return out;
    }
  }
}

}  // namespace

std::vector<UOp> reduction_loops(const ScheduledKernel& kernel) {
  std::vector<UOp> out;
  for (const UOp& u : toposort(kernel.ast))
    if (u.is(Ops::REDUCE))
      for (size_t i = 1; i < u.num_srcs(); ++i)
        if (std::find(out.begin(), out.end(), u.src(i)) == out.end()) out.push_back(u.src(i));
  return out;
}

ScheduledKernel apply_opt(const ScheduledKernel& kernel, const Opt& opt) {
  check(!kernel.tensor_core && kernel.stage == 0 && kernel.simd == 0, "a TC, STAGE or SIMD kernel takes no further opts");
  const bool cooperative = opt.op == OptOp::Local || opt.op == OptOp::Group || opt.op == OptOp::GroupTop ||
                           opt.op == OptOp::Stage || opt.op == OptOp::TensorCore;
  check(!(kernel.no_locals && cooperative), [&] { return opt.str() + ": the kernel is marked NOLOCALS"; });
  switch (opt.op) {
    case OptOp::TensorCore:
    case OptOp::Stage:
    case OptOp::Simd: return whole_kernel_opt(kernel, opt);
    case OptOp::NoLocals:
    case OptOp::Unroll:
    case OptOp::Thread:
    case OptOp::Group:
    case OptOp::GroupTop: return marker_opt(kernel, opt);
    case OptOp::Upcast:
    case OptOp::PadTo:
    case OptOp::Swap:
    case OptOp::Local: return loop_opt(kernel, opt);
  }
  throw Error("unknown opt " + opt.str());
}

bool reorders_sums(const std::vector<Opt>& opts) {
  for (const Opt& o : opts)
    if (o.op == OptOp::TensorCore || o.op == OptOp::Group || o.op == OptOp::GroupTop) return true;
  return false;
}

ScheduledKernel optimize(const ScheduledKernel& kernel, const std::string& device, std::vector<Opt>* applied) {
  ScheduledKernel k = kernel;
  for (const Opt& o : hand_coded_opts(kernel, device)) {
    k = apply_opt(k, o);
    if (applied) applied->push_back(o);
  }
  return k;
}

}  // namespace anneal
