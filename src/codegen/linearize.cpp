// The linearizer (codegen/linearize.h): walks the kernel from its stores and writes each value as a
// statement once, at the outermost point where every loop it depends on is open.
#include "anneal/codegen/linearize.h"

#include <algorithm>
#include <array>
#include <bit>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "anneal/codegen/gemm.h"
#include "anneal/rewrite/pass_trace.h"
#include "anneal/support/error.h"
#include "anneal/uop/axis.h"
#include "anneal/uop/graph.h"
#include "lower_gpu_dims.h"
#include "vector_access.h"

namespace anneal {
namespace {

UOp statement(Ops op, std::initializer_list<UOp> srcs, DType d = dtypes::void_, Arg arg = {}) {
  return UOp::make(op, d, srcs, std::move(arg));
}

UOp index_into(const UOp& buffer, const UOp& offset) { return statement(Ops::INDEX, {buffer, offset}, buffer.dtype()); }

class Linearizer {
 public:
  Linearizer(const ScheduledKernel& k, const Target& t) : k_(k), target_(t) {}
  LinearKernel run();

 private:
  // The lowered form of kernel node `u`, writing the statements that compute it first.
  UOp emit(const UOp& u);
  // Writes value `s` as a statement unless it is spelled inline or already written.
  UOp state(const UOp& s);
  // Writes a statement with an effect (a loop, a store, a barrier...).
  UOp push(const UOp& s) {
    out_.push_back(s);
    written_.insert(s);
    return s;
  }
  // Writes the statements of an expression the linearizer built over lowered operands.
  UOp state_tree(const UOp& e);
  void open_loop(const UOp& r, const UOp& lowered);
  void close_loop(const UOp& r);
  void open_output_loops(const std::vector<UOp>& outputs);
  void emit_reduce(const UOp& r);
  void emit_vector_loads(const std::vector<UOp>& roots);
  void emit_stores(const std::vector<UOp>& stores);
  UOp combine(const UOp& acc, Ops op);
  bool in_scope(const UOp& u) const;

  const ScheduledKernel& k_;
  const Target& target_;
  LinearKernel result_;
  GpuDims gpu_;
  std::vector<UOp> out_;
  std::unordered_set<UOp> written_;
  std::unordered_map<const void*, UOp> lowered_;  // kernel node -> its lowered form
  std::unordered_map<const void*, std::unordered_set<const void*>> deps_;  // loop variables each node needs
  std::unordered_set<const void*> open_;  // loops in scope
  std::vector<UOp> reduces_;              // every REDUCE of the kernel, in dependency order
  std::map<std::string, UOp> shared_;  // per value type, the block-shared array combines use
  int64_t next_range_id_ = 0;
  int64_t next_acc_ = 0;
};

UOp Linearizer::state(const UOp& s) {
  static const OpSet inline_ops{Ops::CONST, Ops::PARAM, Ops::INDEX, Ops::DEFINE_REG, Ops::AFTER, Ops::GETTUPLE};
  if (!inline_ops.contains(s.op()) && written_.insert(s).second) out_.push_back(s);
  return s;
}

UOp Linearizer::state_tree(const UOp& e) {
  if (written_.count(e)) return e;
  for (const UOp& s : e.srcs()) state_tree(s);
  return state(e);
}

UOp Linearizer::emit(const UOp& u) {
  if (const auto it = lowered_.find(u.get()); it != lowered_.end()) return it->second;
  if (u.is_const() || u.is(Ops::PARAM)) return u;
  if (u.is(Ops::REDUCE)) {
    emit_reduce(u);
    return lowered_.at(u.get());
  }
  check(!u.is(Ops::RANGE), [&] { return "linearize: kernel " + k_.name + " uses loop r" + std::to_string(range_id(u)) + " outside it"; });
  std::vector<UOp> srcs;
  // A load whose gate folded to true is a plain load.
  const size_t used = u.is(Ops::LOAD) && ungated(u) ? 1 : u.num_srcs();
  for (size_t i = 0; i < used; ++i) srcs.push_back(emit(u.src(i)));
  const UOp l = state(u.replace_srcs(srcs));
  lowered_[u.get()] = l;
  return l;
}

bool Linearizer::in_scope(const UOp& u) const {
  const auto it = deps_.find(u.get());
  return it == deps_.end() || std::all_of(it->second.begin(), it->second.end(), [&](const void* p) { return open_.count(p) > 0; });
}

void Linearizer::open_loop(const UOp& r, const UOp& lowered) {
  push(lowered);
  lowered_[r.get()] = lowered;
  open_.insert(r.get());
}

void Linearizer::close_loop(const UOp& r) {
  push(statement(Ops::END, {lowered_.at(r.get())}));
  open_.erase(r.get());
  lowered_.erase(r.get());
}

// CPU: the output loops stay loops. A Thread axis (THREAD) is split across cores; else the outermost
// loop is, across all of them (amount 0).
void Linearizer::open_output_loops(const std::vector<UOp>& outputs) {
  size_t split = 0;
  int64_t cores = 0;
  for (size_t i = 0; i < outputs.size(); ++i)
    if (const RangeInfo info = range_info(outputs[i]); info.type == AxisType::Thread) split = i, cores = info.amount;
  for (size_t i = 0; i < outputs.size(); ++i)
    open_loop(outputs[i], with_axis(outputs[i], i == split ? AxisType::Thread : AxisType::Loop, i == split ? cores : 0));
}

LinearKernel Linearizer::run() {
  const UOp& end = k_.ast.src(0);
  const UOp& body = end.src(0);  // one STORE, or a GROUP of them (an upcast kernel)
  const std::vector<UOp> stores = body.is(Ops::GROUP) ? std::vector<UOp>(body.srcs().begin(), body.srcs().end())
                                                      : std::vector<UOp>{body};
  const std::vector<UOp> outputs(end.srcs().begin() + 1, end.srcs().end());
  for (const UOp& u : toposort(k_.ast)) {
    std::unordered_set<const void*> d;
    if (u.is(Ops::RANGE)) {
      d.insert(u.get());
      next_range_id_ = std::max(next_range_id_, range_id(u) + 1);
    }
    for (const UOp& s : u.srcs()) d.insert(deps_[s.get()].begin(), deps_[s.get()].end());
    if (u.is(Ops::REDUCE)) {
      for (size_t i = 1; i < u.num_srcs(); ++i) d.erase(u.src(i).get());
      reduces_.push_back(u);
    }
    deps_[u.get()] = std::move(d);
  }
  if (target_.gpu) {
    PassScope pass("lower_gpu_dims", "pass");
    gpu_ = lower_gpu_dims(k_.ast, target_);
    pass.end();
    result_.threads = gpu_.threads;
    result_.blocks = gpu_.blocks;
    for (const UOp& s : gpu_.specials) state(s);
    for (size_t i = 0; i < outputs.size(); ++i) {
      lowered_[outputs[i].get()] = state_tree(gpu_.outputs[i]);
      open_.insert(outputs[i].get());
    }
  } else {
    open_output_loops(outputs);
  }
  for (const UOp& store : stores) {
    emit(store.src(1));
    emit(store.src(0).src(1));
    if (store.num_srcs() > 2) emit(store.src(2));  // PADTO's gate
  }
  emit_stores(stores);
  if (!target_.gpu)
    for (size_t i = outputs.size(); i-- > 0;) close_loop(outputs[i]);
  result_.program = UOp::make(Ops::LINEAR, dtypes::void_, out_);
  return result_;
}

// The float32 loads among `roots` that can be computed here, 4 neighbours at a time: one vector load
// each, its lanes the loads' values.
void Linearizer::emit_vector_loads(const std::vector<UOp>& roots) {
  if (target_.vector_width != 4) return;
  std::vector<UOp> loads;
  std::unordered_set<const void*> seen;
  for (const UOp& root : roots)
    for (const UOp& u : toposort(root))
      if (u.is(Ops::LOAD) && u.dtype() == dtypes::float32 && ungated(u) && !lowered_.count(u.get()) && in_scope(u) &&
          seen.insert(u.get()).second)
        loads.push_back(u);
  if (loads.size() < 4) return;
  std::vector<std::pair<UOp, UOp>> accesses;
  for (const UOp& l : loads) accesses.push_back({l.src(0).src(0), l.src(0).src(1)});
  for (const std::array<size_t, 4>& q : aligned_quads(accesses)) {
    const UOp vector = state(statement(Ops::LOAD, {emit(loads[q[0]].src(0))}, dtypes::float32, Arg(4)));
    for (size_t j = 0; j < 4; ++j)
      lowered_[loads[q[j]].get()] = statement(Ops::GETTUPLE, {vector}, dtypes::float32, Arg(int64_t(j)));
  }
}

// Emits `r` together with its siblings: the reductions over the same loops that can be computed here
// (an upcast kernel's copies). They share one loop nest, one accumulator each.
void Linearizer::emit_reduce(const UOp& r) {
  std::vector<UOp> group;
  for (const UOp& q : reduces_)
    if (q == r || (!lowered_.count(q.get()) && q.arg() == r.arg() && q.num_srcs() == r.num_srcs() &&
                   std::equal(q.srcs().begin() + 1, q.srcs().end(), r.srcs().begin() + 1) && in_scope(q)))
      group.push_back(q);
  std::vector<UOp> bodies;
  for (const UOp& g : group) bodies.push_back(g.src(0));
  // Hoist what the bodies compute with the loops already open (not their own, nor those of
  // reductions nested in them).
  emit_vector_loads(bodies);
  for (const UOp& g : group)
    for (const UOp& u : toposort(g.src(0)))
      if (in_scope(u)) emit(u);
  const Ops op = Ops(*r.arg().as_int());
  std::vector<UOp> accs;
  for (const UOp& g : group)
    accs.push_back(push(statement(Ops::DEFINE_REG, {UOp::reduce_identity(op, g.dtype())}, g.dtype(), Arg(next_acc_++))));
  // A grouped reduction (GROUP gave its largest loop a group axis) shares that loop among the block's
  // threads, as the outermost loop; on the CPU a group axis is an ordinary loop.
  std::vector<UOp> loops(r.srcs().begin() + 1, r.srcs().end());
  const bool grouped = target_.gpu && std::any_of(loops.begin(), loops.end(), [](const UOp& l) { return is_group_axis(axis_type(l)); });
  if (grouped)
    std::stable_sort(loops.begin(), loops.end(), [](const UOp& a, const UOp& b) { return a.src(0).vmax() > b.src(0).vmax(); });
  for (size_t i = 0; i < loops.size(); ++i) {
    const UOp& l = loops[i];
    const RangeInfo info = range_info(l);
    if (grouped && i == 0) {
      const AxisType shared = info.type == AxisType::GroupChunked ? AxisType::GroupChunked : AxisType::GroupStrided;
      const Arg arg(Arg::Tuple{info.id, int64_t(shared), gpu_.threads});
      open_loop(l, UOp::make(Ops::RANGE, dtypes::weakint, {l.src(0), gpu_.lane}, arg));
    } else {
      open_loop(l, is_group_axis(info.type) ? with_axis(l, AxisType::Loop, 0) : l);
    }
  }
  emit_vector_loads(bodies);
  for (size_t i = 0; i < group.size(); ++i) {
    const UOp& x = group[i].src(0);
    const UOp& acc = accs[i];
    UOp update;
    // A sum of products accumulates with fused multiply-adds (explicit, so every kernel that computes
    // the same value rounds it the same way).
    if (op == Ops::ADD && x.is(Ops::MUL) && x.dtype().is_float()) {
      const UOp a = emit(x.src(0)), b = emit(x.src(1));
      update = UOp::make(Ops::MULACC, acc.dtype(), {a, b, acc});
    } else {
      const UOp v = emit(x);
      update = op == Ops::MAX ? UOp::make(Ops::MAX, acc.dtype(), {v, acc}) : UOp::make(op, acc.dtype(), {acc, v});
    }
    push(statement(Ops::STORE, {acc, update}));
  }
  for (size_t i = loops.size(); i-- > 0;) close_loop(loops[i]);
  const UOp done = out_.back();  // the outermost loop's END
  for (size_t i = 0; i < group.size(); ++i) {
    const UOp after = grouped ? combine(accs[i], op) : done;
    lowered_[group[i].get()] = statement(Ops::AFTER, {accs[i], after}, accs[i].dtype());
  }
}

// A tree reduction in block-shared memory: every thread's partial result in, halves added until one
// is left, every thread reads the total. One shared array per value type serves every combine of
// the kernel (a kernel may combine dozens of reductions: a gradient norm over every parameter), so
// each ends with a barrier before the next reuse. Returns that barrier.
UOp Linearizer::combine(const UOp& acc, Ops op) {
  const DType d = acc.dtype();
  const UOp& lane = gpu_.lane;
  UOp& shared = shared_[std::string(d.name())];
  if (!shared)
    shared = push(UOp::make(Ops::DEFINE_LOCAL, d, {UOp::int_const(gpu_.threads)}, Arg("shared_" + std::string(d.name()))));
  const UOp mine = index_into(shared, lane);
  const UOp put = push(statement(Ops::STORE, {mine, acc}));
  push(statement(Ops::BARRIER, {put}));
  const UOp halving = push(make_range(std::bit_width(uint64_t(gpu_.threads)) - 1, next_range_id_++));
  const UOp stride = state_tree(UOp::make(Ops::SHR, dtypes::weakint, {UOp::int_const(gpu_.threads / 2), halving}));
  const UOp when = push(statement(Ops::IF, {state_tree(lane.lt(stride))}));
  const UOp view = statement(Ops::AFTER, {shared, halving}, d);
  const UOp a = state(statement(Ops::LOAD, {index_into(view, lane)}, d));
  const UOp b = state(statement(Ops::LOAD, {index_into(view, state_tree(lane + stride))}, d));
  const UOp merged = state(op == Ops::MAX ? UOp::make(Ops::MAX, d, {b, a}) : UOp::make(op, d, {a, b}));
  push(statement(Ops::STORE, {mine, merged}));
  const UOp closed = push(statement(Ops::ENDIF, {when}));
  push(statement(Ops::BARRIER, {closed}));
  const UOp end = push(statement(Ops::END, {halving}));
  const UOp total = state(statement(Ops::LOAD, {index_into(statement(Ops::AFTER, {shared, end}, d), UOp::int_const(0))}, d));
  const UOp got = push(statement(Ops::STORE, {acc, total}));
  return push(statement(Ops::BARRIER, {got}));
}

// The kernel's stores; in a grouped kernel only the block's first thread writes.
void Linearizer::emit_stores(const std::vector<UOp>& stores) {
  UOp when;
  if (gpu_.grouped) when = push(statement(Ops::IF, {state_tree(UOp::make(Ops::CMPEQ, dtypes::bool_, {gpu_.lane, UOp::int_const(0)}))}));
  std::vector<bool> done(stores.size(), false);
  if (target_.vector_width == 4 && k_.buffers[0].dtype() == dtypes::float32) {
    std::vector<std::pair<UOp, UOp>> accesses;
    for (const UOp& store : stores) accesses.push_back({store.src(0).src(0), store.src(0).src(1)});
    for (const std::array<size_t, 4>& q : aligned_quads(accesses)) {
      if (!std::all_of(q.begin(), q.end(), [&](size_t i) { return ungated(stores[i]) && !done[i]; })) continue;
      std::vector<UOp> values;
      for (size_t i : q) values.push_back(emit(stores[i].src(1)));
      const UOp packed = UOp::make(Ops::STACK, dtypes::float32, values);
      push(statement(Ops::STORE, {emit(stores[q[0]].src(0)), packed}));
      for (size_t i : q) done[i] = true;
    }
  }
  for (size_t i = 0; i < stores.size(); ++i) {
    if (done[i]) continue;
    const UOp& store = stores[i];
    const UOp target = emit(store.src(0)), value = emit(store.src(1));
    push(ungated(store) ? statement(Ops::STORE, {target, value}) : statement(Ops::STORE, {target, value, emit(store.src(2))}));
  }
  if (when) push(statement(Ops::ENDIF, {when}));
}

}  // namespace

LinearKernel linearize(const ScheduledKernel& k, const Target& target) {
  check(!find_wmma(k.ast), [&] { return "linearize: kernel " + k.name + " claims a matmul form, rendered from its plan"; });
  PassScope pass("linearize", "pass");
  LinearKernel l = Linearizer(k, target).run();
  if (pass.recording()) {
    pass.count("statements", l.program.num_srcs());
    pass.result(l.program);
  }
  return l;
}

}  // namespace anneal
