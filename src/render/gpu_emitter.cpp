#include "gpu_emitter.h"

#include <algorithm>
#include <climits>

#include "anneal/support/error.h"
#include "anneal/uop/graph.h"

namespace anneal {

GpuEmitter::GpuEmitter(const ScheduledKernel& k, KernelEntry* entry, const LanguageTable& lang)
    : CStyleEmitter(k, lang), entry_(entry) {
  const UOp& end = k.ast.src(0);
  for (size_t i = 1; i < end.num_srcs(); ++i) {
    outputs_ *= end.src(i).src(0).ival();
    if (const RangeInfo info = range_info(end.src(i)); info.type == AxisType::Local) local_threads_ *= info.amount;
  }
  // GROUP: one block per output, its threads share the reductions' group-axis loops.
  int64_t group = 0;
  for (const UOp& u : toposort(k.ast))
    if (u.is(Ops::RANGE) && is_group_axis(axis_type(u))) group = range_info(u).amount;
  grouped_ = group > 0;
  if (local_threads_ > 1) threads_ = local_threads_;
  else if (grouped_) threads_ = group;
  else threads_ = end.num_srcs() < 2 ? 1 : std::min(kThreadsPerBlock, std::max<int64_t>(32, (outputs_ + 31) / 32 * 32));
}

std::string GpuEmitter::render_generic() {
  check(!find_wmma(k_.ast), [&] { return std::string(lang_.name) + " renderer: kernel " + k_.name + " claims a matmul form it has no code for"; });
  const std::string body = run();
  return module_ + body;
}

std::string GpuEmitter::block_index() const { return lang_.gpu.block; }

void GpuEmitter::open_signature(int64_t threads, int64_t blocks) {
  const int64_t max_x = lang_.gpu.max_grid_x;
  if (entry_) {
    entry_->name = k_.name;
    entry_->local = {threads, 1, 1};
    entry_->global = {std::min(blocks, max_x), (blocks + max_x - 1) / max_x, 1};
    entry_->buffers = k_.buffers.size();
  }
  std::vector<LanguageTable::Buffer> buffers;
  for (size_t i = 0; i < k_.buffers.size(); ++i) buffers.push_back({buffer_type(k_.buffers[i].dtype()), i == 0});
  out_ << lang_.gpu.signature(k_.name, threads, buffers) << "\n";
  indent_ = 1;
  // A 2-D grid that does not divide evenly has blocks past the last.
  if (blocks > max_x && blocks % max_x != 0) line(lang_.when(block_index() + " >= " + std::to_string(blocks) + "u", "return;"));
}

void GpuEmitter::open_kernel(const UOp& end) {
  const int64_t n = outputs_, threads = threads_;
  open_signature(threads, grouped_ ? n : (n + threads - 1) / threads);  // LOCAL sizes divide n exactly
  if (end.num_srcs() < 2) return;
  const bool narrow = n + threads <= INT32_MAX;
  if (local_threads_ > 1) return open_tiled(end, narrow);
  const std::string index = lang_.index(!narrow), block = block_index(), thread = lang_.gpu.thread;
  if (grouped_) line(lang_.constant(index, "gid", lang_.cast(index, block)));  // one block per output, no stragglers
  else if (narrow)
    line(lang_.constant(index, "gid", lang_.cast(index, "(" + block + " * " + std::to_string(threads) + "u + " + thread + ")")));
  else line(lang_.constant(index, "gid", lang_.cast(index, block) + " * " + std::to_string(threads) + " + " + thread));
  if (!grouped_) line(lang_.when("gid >= " + lang_.index_literal(n, !narrow), "return;"));
  int64_t stride = 1;
  for (size_t i = end.num_srcs(); i-- > 1;) {
    const int64_t size = end.src(i).src(0).ival();
    std::string v = stride == 1 ? "gid" : "gid / " + std::to_string(stride);
    if (i != 1) v = "(" + v + ") % " + std::to_string(size);
    declare_range(end.src(i), v);
    stride *= size;
  }
}

// LOCAL: the block index walks the tiles, the thread index the positions inside one; each loop
// variable is tile * local + position (innermost loop fastest in both, for coalesced accesses).
void GpuEmitter::open_tiled(const UOp& end, bool narrow) {
  const std::string t = lang_.index(!narrow), lane_type = lang_.index(false);
  line(lang_.constant(t, "bid", lang_.cast(t, block_index())));
  line(lang_.constant(lane_type, "lid", lang_.cast(lane_type, lang_.gpu.thread)));
  int64_t block_stride = 1, lane_stride = 1;
  for (size_t i = end.num_srcs(); i-- > 1;) {
    const RangeInfo info = range_info(end.src(i));
    const int64_t n = end.src(i).src(0).ival(), l = info.type == AxisType::Local ? info.amount : 1, tiles = n / l;
    std::string tile = block_stride == 1 ? "bid" : "bid / " + std::to_string(block_stride);
    if (i != 1) tile = "(" + tile + ") % " + std::to_string(tiles);
    std::string v = l == 1 ? "(" + tile + ")" : "(" + tile + ") * " + std::to_string(l);
    if (l > 1) v += " + (" + (lane_stride == 1 ? std::string("lid") : "lid / " + std::to_string(lane_stride)) + ") % " + std::to_string(l);
    declare_range(end.src(i), v);
    block_stride *= tiles;
    lane_stride *= l;
  }
}

// A tree reduction in shared memory; every thread reads the total.
// One shared array per value type serves every combine of the kernel (a kernel may combine dozens of
// reductions: a gradient norm over every parameter), so each ends with a barrier before the next reuse.
void GpuEmitter::combine(const std::string& acc, Ops op, DType d) {
  const LanguageTable::Gpu& gpu = lang_.gpu;
  const std::string t = type_name(d);
  // Module-scope arrays are shared by every kernel of a program: each kernel names its own.
  const std::string sm = (gpu.shared_at_module_scope ? k_.name + "_" : std::string()) + "shared_" + std::string(d.name());
  const std::string a = sm + "[" + gpu.thread + "]", b = sm + "[" + gpu.thread + " + s]";
  const std::string merged =
      op == Ops::ADD ? a + " + " + b : op == Ops::MUL ? a + " * " + b : "(" + lang_.select(b + " > " + a, b, a) + ")";
  if (shared_declared_.insert(sm).second) {
    if (gpu.shared_at_module_scope) module_ += gpu.shared(t, sm, threads_) + "\n";
    else line(gpu.shared(t, sm, threads_));
  }
  line(a + " = " + acc + ";");
  line(gpu.barrier);
  std::string loop = gpu.halving_loop;
  loop.replace(loop.find('%'), 1, std::to_string(threads_ / 2));
  line(loop);
  line("  " + lang_.when(gpu.thread + " < s", a + " = " + merged + ";"));
  line("  " + gpu.barrier);
  line("}");
  line(acc + " = " + sm + "[0];");
  line(gpu.barrier);
}

}  // namespace anneal
