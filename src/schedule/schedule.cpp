#include "anneal/schedule/schedule.h"

#include <unordered_map>
#include <unordered_set>

#include "anneal/runtime/device.h"
#include "anneal/uop/graph.h"
#include "lower.h"
#include "../tensor/tensor_internal.h"

namespace anneal {
namespace {

bool is_movement(const UOp& u) { return groups::movement().contains(u.op()); }

UOp strip_movement(UOp u) {
  while (is_movement(u)) u = u.src(0);
  return u;
}

// A buffer seen through RESHAPEs only is already a contiguous value of its shape.
bool is_buffer_view(const UOp& u) {
  UOp x = u;
  while (x.is(Ops::RESHAPE)) x = x.src(0);
  return x.is(Ops::BUFFER);
}

// Which values get a buffer. Outputs and CONTIGUOUS do; so does a value with a reduction inside
// that is broadcast (EXPAND) by a consumer — otherwise the reduction would be recomputed for every
// broadcast element — and a reduction read by several consumers.
std::unordered_set<const void*> realize_decisions(const std::vector<UOp>& order, std::span<const UOp> outputs) {
  std::unordered_set<const void*> realized;
  std::unordered_map<const void*, int> consumers;
  for (const UOp& u : order)
    for (const UOp& s : u.srcs()) ++consumers[s.get()];
  for (const UOp& o : outputs)
    if (!is_buffer_view(o)) realized.insert(o.get());
  for (const UOp& u : order) {
    if (u.is(Ops::CONTIGUOUS)) realized.insert(u.get());
    if (u.is(Ops::REDUCE) && consumers[u.get()] > 1) realized.insert(u.get());
  }
  for (bool changed = true; changed;) {
    changed = false;
    std::unordered_map<const void*, bool> has_reduce;
    for (const UOp& u : order) {
      bool r = u.is(Ops::REDUCE);
      for (const UOp& s : u.srcs()) r |= !realized.count(s.get()) && has_reduce[s.get()];
      has_reduce[u.get()] = r;
      if (!u.is(Ops::EXPAND)) continue;
      const UOp base = strip_movement(u.src(0));
      if (has_reduce[base.get()] && !realized.count(base.get())) {
        realized.insert(base.get());
        changed = true;
      }
    }
  }
  return realized;
}

std::string kernel_name(const ScheduledKernel& k, std::unordered_map<std::string, int>& used) {
  bool reduces = has_op(k.ast, Ops::REDUCE);
  std::string name = reduces ? "r" : "E";
  for (int64_t d : k.shape) name += "_" + std::to_string(d);
  if (k.shape.empty()) name += "_1";
  int n = used[name]++;
  return n ? name + "n" + std::to_string(n) : name;
}

// Gives every buffer the scheduler made its storage. Outputs get their own; an intermediate reuses
// the block of an intermediate whose last reader has already run (best fit by size).
void plan_memory(Schedule& sched) {
  std::unordered_set<const void*> outputs;
  for (const UOp& o : sched.outputs) {
    UOp b = o;
    while (b.is(Ops::RESHAPE)) b = b.src(0);
    outputs.insert(b.get());
  }
  std::unordered_map<const void*, size_t> last_use;
  for (size_t i = 0; i < sched.kernels.size(); ++i)
    for (const UOp& b : sched.kernels[i].buffers) last_use[b.get()] = i;
  struct Block {
    std::shared_ptr<void> storage;
    size_t bytes;
  };
  std::vector<Block> free_blocks;
  std::vector<std::pair<size_t, Block>> in_use;  // (last kernel reading it, block)
  for (size_t i = 0; i < sched.kernels.size(); ++i) {
    const UOp& out = sched.kernels[i].buffers[0];
    const auto* arg = out.arg().as<BufferArg>();
    const size_t bytes = size_t(arg->size) * size_t(out.dtype().itemsize());
    if (outputs.count(out.get())) {
      arg->storage = allocate(arg->device, bytes);
    } else {
      sched.intermediate_bytes += bytes;
      auto best = free_blocks.end();
      for (auto it = free_blocks.begin(); it != free_blocks.end(); ++it)
        if (it->bytes >= bytes && (best == free_blocks.end() || it->bytes < best->bytes)) best = it;
      Block block;
      if (best != free_blocks.end()) {
        block = *best;
        free_blocks.erase(best);
      } else {
        block = Block{allocate(arg->device, bytes), bytes};
        sched.planned_bytes += bytes;
      }
      arg->storage = block.storage;
      in_use.push_back({last_use[out.get()], block});
    }
    // Blocks whose last reader is kernel i become free for kernel i+1 on.
    for (auto it = in_use.begin(); it != in_use.end();) {
      if (it->first <= i) {
        free_blocks.push_back(it->second);
        it = in_use.erase(it);
      } else {
        ++it;
      }
    }
  }
}

}  // namespace

Schedule create_schedule(std::span<const UOp> outputs) {
  Schedule sched;
  if (outputs.empty()) return sched;
  const UOp sink = UOp::make(Ops::SINK, dtypes::void_, outputs);
  const std::vector<UOp> order = toposort(sink, [](const UOp& u) { return u.is(Ops::BUFFER); });
  const std::unordered_set<const void*> realized = realize_decisions(order, outputs);

  std::unordered_map<const void*, UOp> buffers;  // realized node -> its BUFFER
  std::unordered_map<std::string, int> names;
  for (const UOp& u : order) {
    if (!realized.count(u.get())) continue;
    const Shape& shape = shape_of(u);
    UOp buf = new_buffer("CPU", numel(shape), u.dtype().strong(), /*allocate=*/false);
    buffers.emplace(u.get(), buf);
    ScheduledKernel k;
    k.shape = shape;
    KernelLowerer lowerer(buffers, u);
    k.ast = lowerer.lower_kernel(buf, k.buffers);
    k.name = kernel_name(k, names);
    sched.kernels.push_back(std::move(k));
  }
  for (const UOp& o : outputs) {
    auto it = buffers.find(o.get());
    sched.outputs.push_back(it == buffers.end() ? o : view_as(it->second, shape_of(o)));
  }
  plan_memory(sched);
  return sched;
}

}  // namespace anneal
