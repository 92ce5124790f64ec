#include "lower_gpu_dims.h"

#include <algorithm>
#include <string>

#include "anneal/uop/axis.h"
#include "anneal/uop/graph.h"

namespace anneal {
namespace {

// Threads per block of a plain kernel: enough for the outputs in whole warps, at most 256.
constexpr int64_t kThreadsPerBlock = 256;

UOp special(const std::string& name, int64_t bound) {
  return UOp::make(Ops::SPECIAL, dtypes::weakint, {UOp::int_const(bound)}, Arg(name));
}
// A symbolic bound: the grid is planned for its maximum and the threads past it return.
UOp special(const std::string& name, const UOp& bound) { return UOp::make(Ops::SPECIAL, dtypes::weakint, {bound}, Arg(name)); }

UOp div(const UOp& x, int64_t d) { return d == 1 ? x : x.floordiv(d); }

}  // namespace

GpuDims lower_gpu_dims(const UOp& ast, const Target& target) {
  const UOp& end = ast.src(0);
  const std::vector<UOp> loops(end.srcs().begin() + 1, end.srcs().end());
  int64_t n = 1, local = 1, group = 0;
  UOp outputs = UOp::int_const(1);  // the number of outputs; symbolic where a loop is
  for (const UOp& l : loops) {
    n *= int64_t(l.src(0).vmax());
    outputs = outputs * l.src(0);
    if (const RangeInfo info = range_info(l); info.type == AxisType::Local) local *= info.amount;
  }
  for (const UOp& u : toposort(ast))
    if (u.is(Ops::RANGE) && is_group_axis(axis_type(u))) group = range_info(u).amount;
  GpuDims g;
  g.grouped = group > 0;
  const int64_t most = std::min(kThreadsPerBlock, target.max_block_threads);
  if (local > 1) g.threads = local;
  else if (g.grouped) g.threads = group;
  else g.threads = loops.empty() ? 1 : std::min(most, std::max<int64_t>(32, (n + 31) / 32 * 32));
  g.blocks = g.grouped ? n : (n + g.threads - 1) / g.threads;  // LOCAL sizes divide n exactly
  if (local > 1 || g.grouped) g.lane = special("lid", g.threads);
  g.outputs.resize(loops.size());
  const bool symbolic_outputs = std::any_of(loops.begin(), loops.end(), [](const UOp& l) { return !l.src(0).is_const(); });
  if (!loops.empty() && local > 1) {
    // Blocks walk the tiles of every loop (a LOCAL loop's size is constant, the others may be symbolic:
    // then the grid covers their maxima and blocks past the bound tiles return, all threads at once).
    std::vector<UOp> tiles(loops.size());
    UOp total = UOp::int_const(1);
    for (size_t i = 0; i < loops.size(); ++i) {
      const RangeInfo info = range_info(loops[i]);
      const int64_t l = info.type == AxisType::Local ? info.amount : 1;
      tiles[i] = l == 1 ? loops[i].src(0) : UOp::int_const(loops[i].src(0).ival() / l);
      total = total * tiles[i];
    }
    const UOp bid = symbolic_outputs ? special("bid", total) : special("bid", g.blocks);
    g.specials = {bid, g.lane};
    UOp block_stride = UOp::int_const(1);
    int64_t lane_stride = 1;
    for (size_t i = loops.size(); i-- > 0;) {
      const RangeInfo info = range_info(loops[i]);
      const int64_t l = info.type == AxisType::Local ? info.amount : 1;
      UOp tile = block_stride.is_const_int(1) ? bid : bid.floordiv(block_stride);
      if (i != 0) tile = tile % tiles[i];
      g.outputs[i] = l == 1 ? tile : tile * l + div(g.lane, lane_stride) % l;
      block_stride = block_stride * tiles[i];
      lane_stride *= l;
    }
    return g;
  }
  if (g.lane) g.specials.push_back(g.lane);
  if (loops.empty()) return g;
  if (symbolic_outputs) {  // a thread per output, or with GROUP a block per output; those past the bound return
    const UOp gid = g.grouped ? special("bid", outputs) : special("gid", outputs);
    g.specials.insert(g.specials.begin(), gid);
    UOp stride = UOp::int_const(1);
    for (size_t i = loops.size(); i-- > 0;) {
      const UOp& size = loops[i].src(0);
      const UOp v = stride.is_const_int(1) ? gid : gid.floordiv(stride);
      g.outputs[i] = i == 0 ? v : v % size;
      stride = stride * size;
    }
    return g;
  }
  const UOp gid = g.grouped ? special("bid", n) : special("gid", n);
  g.specials.insert(g.specials.begin(), gid);
  int64_t stride = 1;
  for (size_t i = loops.size(); i-- > 0;) {
    const int64_t size = loops[i].src(0).ival();
    g.outputs[i] = i == 0 ? div(gid, stride) : div(gid, stride) % size;
    stride *= size;
  }
  return g;
}

}  // namespace anneal
