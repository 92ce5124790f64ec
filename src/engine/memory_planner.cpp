// The memory planner: storage for the buffers a schedule made, reusing intermediates' memory.
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "anneal/engine/engine.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/rewrite/pass_trace.h"

namespace anneal {

void plan_memory(Schedule& sched) {
  bool planned = true;  // run_schedule may be handed a schedule planned before
  for (const ScheduledKernel& k : sched.kernels) planned = planned && bool(k.buffers[0].arg().as<BufferArg>()->storage);
  if (planned) return;  // (a schedule run before: its inputs got memory then)
  PassScope stage("plan_memory");
  // An input with no memory yet (a SkipInit placeholder read before a value was assigned) reads zeros,
  // like any new buffer.
  std::unordered_set<const void*> written;
  for (const ScheduledKernel& k : sched.kernels) written.insert(k.buffers[0].get());
  for (const ScheduledKernel& k : sched.kernels)
    for (const UOp& b : k.buffers) {
      const BufferArg* arg = b.arg().as<BufferArg>();
      if (!arg->storage && !written.count(b.get()))
        arg->storage = get_device(arg->device).allocate(size_t(arg->size) * size_t(b.dtype().itemsize()));
    }
  std::unordered_set<const void*> outputs;
  for (const UOp& o : sched.outputs) {
    outputs.insert(view_buffer(o).get());
  }
  std::unordered_map<const void*, size_t> last_use;
  for (size_t i = 0; i < sched.kernels.size(); ++i)
    for (const UOp& b : sched.kernels[i].buffers) last_use[b.get()] = i;
  struct Block {
    std::shared_ptr<void> storage;
    size_t bytes;
    std::string device;
  };
  std::vector<Block> free_blocks;
  std::vector<std::pair<size_t, Block>> in_use;  // (last kernel reading it, block)
  for (size_t i = 0; i < sched.kernels.size(); ++i) {
    const UOp& out = sched.kernels[i].buffers[0];
    const auto* arg = out.arg().as<BufferArg>();
    const size_t bytes = size_t(arg->size) * size_t(out.dtype().itemsize());
    if (outputs.count(out.get())) {
      arg->storage = get_device(arg->device).allocate_uninitialized(bytes);
    } else {
      sched.intermediate_bytes += bytes;
      auto best = free_blocks.end();
      for (auto it = free_blocks.begin(); it != free_blocks.end(); ++it)
        if (it->device == arg->device && it->bytes >= bytes && (best == free_blocks.end() || it->bytes < best->bytes))
          best = it;
      Block block;
      if (best != free_blocks.end()) {
        block = *best;
        free_blocks.erase(best);
      } else {
        block = Block{get_device(arg->device).allocate_uninitialized(bytes), bytes, arg->device};
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

}  // namespace anneal
