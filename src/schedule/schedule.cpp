#include "anneal/schedule/schedule.h"

#include <algorithm>
#include <cstdint>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "anneal/rewrite/pass_trace.h"
#include "anneal/support/error.h"
#include "anneal/support/settings.h"
#include "anneal/uop/graph.h"
#include "lower.h"
#include "split_reduce.h"
#include "unbind.h"

namespace anneal {
namespace {

constexpr int kMaxFusedDepth = 512;

bool is_movement(const UOp& u) { return groups::movement().contains(u.op()); }

UOp strip_movement(UOp u) {
  while (is_movement(u)) u = u.src(0);
  return u;
}

// A buffer seen through RESHAPEs only is already a contiguous value of its shape.
bool is_buffer_view(const UOp& u) {
  UOp x = u;
  while (x.is(Ops::RESHAPE)) x = x.src(0);
  if (x.is(Ops::SHRINK) && x.src(0).is(Ops::BUFFER) && movement_dims(x)[0] == 0 && movement_dims(x)[1].is_symbolic())
    x = x.src(0);  // a symbolic value's view of the front of its buffer
  return x.is(Ops::BUFFER);
}


// Which values get a buffer. Outputs and CONTIGUOUS do; so does a value with a reduction inside
// that is broadcast (EXPAND, WINDOW) or padded to twice its size (PAD) by a consumer — otherwise the
// reduction would be recomputed for every broadcast element, or run over the padding — and a
// reduction, or a value with one inside, read by several consumers.
std::unordered_set<const void*> realize_decisions(const std::vector<UOp>& order, std::span<const UOp> outputs) {
  std::unordered_set<const void*> realized;
  // Consumers are counted through movement ops: a reduction reshaped and then read twice is read twice.
  std::unordered_map<const void*, int> consumers;
  for (const UOp& u : order) {
    if (is_movement(u)) continue;
    for (const UOp& s : u.srcs()) ++consumers[strip_movement(s).get()];
  }
  for (const UOp& o : outputs)
    if (!is_buffer_view(o)) realized.insert(o.get());
  for (const UOp& u : order) {
    if (u.is(Ops::CONTIGUOUS)) realized.insert(u.get());
    if (u.is(Ops::REDUCE) && consumers[u.get()] > 1) realized.insert(u.get());
  }
  // Two rules to a fixpoint; the shared-value rule only runs once the broadcast rule is settled, so
  // that it sees which reductions already have buffers.
  for (bool changed = true; changed;) {
    changed = false;
    for (bool shared_rule : {false, true}) {
      std::unordered_map<const void*, bool> has_reduce;
      for (const UOp& u : order) {
        bool r = u.is(Ops::REDUCE);
        for (const UOp& s : u.srcs()) r |= !realized.count(s.get()) && has_reduce[s.get()];
        has_reduce[u.get()] = r;
        if (shared_rule) {
          // A value with a reduction inside that several consumers read is computed once: otherwise
          // each consumer's kernel would redo the reduction (a matmul plus bias read by max, exp, gather).
          if (r && !u.is(Ops::REDUCE) && !is_movement(u) && consumers[u.get()] > 1 && !realized.count(u.get())) {
            realized.insert(u.get());
            changed = true;
          }
          continue;
        }
        // Broadcasting a reduction would recompute it per broadcast element; padding one to twice its
        // size or more would run its loops (gated to zero) mostly over the padding — a concatenation
        // of three matmuls as one kernel that runs all three reductions for every element. (Thin
        // borders, as in convolution gradients, stay fused.)
        const bool wide_pad = u.is(Ops::PAD) && max_numel(shape_of(u)) >= 2 * max_numel(shape_of(u.src(0)));
        if (!u.is(Ops::EXPAND) && !u.is(Ops::WINDOW) && !wide_pad) continue;  // WINDOW reads each element k times
        const UOp base = strip_movement(u.src(0));
        if (has_reduce[base.get()] && !realized.count(base.get())) {
          realized.insert(base.get());
          changed = true;
        }
      }
      if (changed) break;
    }
  }
  // Bound the depth of what one kernel fuses: very long chains are split into several kernels, which
  // keeps lowering and rendering (and the C compiler) within bounded depth.
  std::unordered_map<const void*, int> depth;
  for (const UOp& u : order) {
    int d = 0;
    for (const UOp& s : u.srcs())
      if (!realized.count(s.get())) d = std::max(d, depth[s.get()]);
    depth[u.get()] = d + 1;
    if (d + 1 >= kMaxFusedDepth && !u.is(Ops::CONST) && !is_movement(u)) {
      realized.insert(u.get());
      depth[u.get()] = 0;
    }
  }
  return realized;
}

// Buffers one kernel may bind, its output included. WebGPU guarantees 8 storage buffers to a shader
// stage (Dawn offers no more than 10 on the adapters we have met), one of which a symbolic kernel's
// variables take; elsewhere there is no limit.
size_t max_kernel_buffers(const std::string& device, bool symbolic) {
  return device == "WEBGPU" ? (symbolic ? 7 : 8) : SIZE_MAX;
}

// Where a device bounds the buffers a kernel binds, a value whose fused sources would read more
// gets the sources that read the most realized, until it fits (an optimizer step over many
// parameters, a norm of every gradient). A value that still reads too many buffers directly is left
// for the renderer to refuse by name.
void limit_kernel_buffers(const std::vector<UOp>& order, const std::unordered_map<const void*, const std::string*>& devices,
                          const std::string& default_device, std::unordered_set<const void*>& realized) {
  // (Conservatively, every kernel of a graph with variables may take them.)
  const bool symbolic = std::any_of(order.begin(), order.end(), [](const UOp& u) { return u.is(Ops::PARAM); });
  std::unordered_map<const void*, std::unordered_set<const void*>> fused_reads;  // unrealized non-movement values
  std::function<std::unordered_set<const void*>(const UOp&)> reads = [&](const UOp& x) -> std::unordered_set<const void*> {
    if (realized.count(x.get()) || x.is(Ops::BUFFER)) return {x.get()};
    if (is_movement(x)) return reads(x.src(0));  // not cached: what lies below may be realized later
    auto it = fused_reads.find(x.get());
    return it == fused_reads.end() ? std::unordered_set<const void*>{} : it->second;
  };
  for (const UOp& u : order) {
    if (is_movement(u) || u.is(Ops::BUFFER) || realized.count(u.get())) continue;
    const std::string* d = devices.at(u.get());
    const size_t limit = max_kernel_buffers(d ? *d : default_device, symbolic);
    // Unlimited devices need no bookkeeping (a kernel's operands share its device, so a limited
    // value's fused sources are limited ones too).
    if (limit == SIZE_MAX) continue;
    auto gather = [&] {
      std::unordered_set<const void*> all;
      for (const UOp& s : u.srcs())
        for (const void* b : reads(s)) all.insert(b);
      return all;
    };
    std::unordered_set<const void*> all = gather();
    if (all.size() + 1 > limit) {
      std::vector<std::pair<size_t, UOp>> candidates;  // (buffers it reads, source)
      for (const UOp& s : u.srcs()) {
        const UOp base = strip_movement(s);
        if (!base.is(Ops::BUFFER) && !realized.count(base.get()) && reads(base).size() > 1)
          candidates.push_back({reads(base).size(), base});
      }
      std::stable_sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      for (const auto& [count, base] : candidates) {
        if (all.size() + 1 <= limit) break;
        realized.insert(base.get());
        all = gather();
      }
    }
    fused_reads[u.get()] = std::move(all);
  }
}

std::string kernel_name(const ScheduledKernel& k, std::unordered_map<std::string, int>& used) {
  bool reduces = has_op(k.ast, Ops::REDUCE);
  std::string name = reduces ? "r" : "E";
  for (const Dim& d : k.shape) {
    std::string s = d.str();  // a symbolic size names its variables: E_B_784, r_T_T
    for (char& c : s)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    name += "_" + s;
  }
  if (k.shape.empty()) name += "_1";
  int n = used[name]++;
  return n ? name + "n" + std::to_string(n) : name;
}

// Where a kernel's buffer comes from when a cached schedule is instantiated again.
struct BufferRef {
  bool input;    // an input buffer of the graph (by order of appearance), else the output of kernel #index
  size_t index;
};
struct CachedKernel {
  std::string name;
  std::string device;
  UOp ast;
  Shape shape;
  DType dtype;
  std::vector<BufferRef> refs;
  std::vector<size_t> fused;  // positions in the graph's toposort
  std::vector<UOp> vars;
};
struct CachedSchedule {
  std::vector<CachedKernel> kernels;
  std::vector<std::optional<size_t>> outputs;  // kernel whose buffer is output i, or none (already a buffer)
};

// The structural key of the outputs' graph with every BUFFER replaced by (position, dtype, size), and
// bound variables by their variables.
Key128 structure_key(const std::vector<UOp>& order, std::vector<UOp>& inputs, const std::string& default_device) {
  std::unordered_map<const void*, Key128> keys;
  for (const UOp& u : order) {
    Hasher h;
    h.word(uint64_t(u.op()));
    h.word(uint64_t(u.dtype().scalar()));
    if (const auto* b = u.arg().as<BufferArg>()) {
      h.word(inputs.size());
      h.word(uint64_t(b->size));
      h.bytes(b->device);
      inputs.push_back(u);
    } else {
      hash_arg_unbound(u.arg(), h);
    }
    // A bound variable is keyed as its variable: the value is not structure.
    for (const UOp& s : u.is(Ops::BIND) ? u.srcs().first(1) : u.srcs()) h.key(keys.at(s.get()));
    keys.emplace(u.get(), h.finish());
  }
  // Constants-only kernels go to the default device, which can change between calls.
  Hasher h;
  h.key(keys.at(order.back().get()));
  h.bytes(default_device);
  return h.finish();
}

std::mutex cache_mu;
std::map<Key128, CachedSchedule>& cache = *new std::map<Key128, CachedSchedule>();  // immortal: holds UOps
ScheduleCacheStats stats;

bool cache_enabled() { return settings::schedule_cache.get(); }

Schedule instantiate(const CachedSchedule& c, const std::vector<UOp>& order, const std::vector<UOp>& inputs,
                     std::span<const UOp> outputs) {
  PassScope stage("instantiate");
  stage.count("kernels", c.kernels.size());
  Schedule sched;
  std::vector<UOp> made;
  for (const CachedKernel& ck : c.kernels) {
    made.push_back(UOp::buffer(ck.device, max_numel(ck.shape), ck.dtype));
    ScheduledKernel k;
    k.name = ck.name;
    k.ast = ck.ast;
    k.shape = ck.shape;
    k.vars = ck.vars;
    for (const BufferRef& r : ck.refs) k.buffers.push_back(r.input ? inputs[r.index] : made[r.index]);
    for (size_t pos : ck.fused) k.fused.push_back(order[pos]);
    sched.kernels.push_back(std::move(k));
  }
  for (size_t i = 0; i < outputs.size(); ++i)
    sched.outputs.push_back(c.outputs[i] ? made[*c.outputs[i]].view_as(shape_of(outputs[i])) : outputs[i]);
  return sched;
}

// The device each value is computed on: that of the buffers it reads (null for constants, which go to
// the default device). Reading buffers of two devices in one value is an error: copies are explicit.
std::unordered_map<const void*, const std::string*> devices_of(const std::vector<UOp>& order) {
  std::unordered_map<const void*, const std::string*> dev;
  for (const UOp& u : order) {
    const std::string* d = nullptr;
    if (const auto* b = u.arg().as<BufferArg>()) d = &b->device;
    for (const UOp& s : u.srcs()) {
      const std::string* sd = dev.at(s.get());
      if (sd && d && *sd != *d)
        throw Error(std::string(op_name(u.op())) + ": operands are on different devices (" + *d + " and " + *sd +
                    "); move one with Tensor::to()");
      if (sd) d = sd;
    }
    dev.emplace(u.get(), d);
  }
  return dev;
}

// `positions`: where the caller's graph has each node of `graph_order` (for reports), when they differ.
CachedSchedule build(std::span<const UOp> graph_outputs, const std::vector<UOp>& graph_order, const std::vector<UOp>& inputs,
                     const std::string& default_device, const std::unordered_map<const void*, size_t>* positions = nullptr) {
  // Long GPU sums get two stages first (split_reduce.h); the rest of the scheduler sees the result.
  std::vector<UOp> outputs(graph_outputs.begin(), graph_outputs.end());
  std::vector<UOp> order = graph_order;
  auto devices = devices_of(graph_order);
  auto sink_of = [](std::span<const UOp> us) { return UOp::make(Ops::SINK, dtypes::void_, std::vector<UOp>(us.begin(), us.end())); };
  PassScope split_stage("split_reduce");
  if (split_stage.recording()) split_stage.input(sink_of(outputs));
  if (split_long_reductions(outputs, graph_order, devices, default_device)) {
    order = toposort(sink_of(outputs));
    devices = devices_of(order);
  }
  if (split_stage.recording()) split_stage.result(sink_of(outputs));
  split_stage.end();
  PassScope decide_stage("realize_decisions");
  std::unordered_set<const void*> realized = realize_decisions(order, outputs);
  limit_kernel_buffers(order, devices, default_device, realized);
  decide_stage.count("nodes", order.size());
  decide_stage.count("buffers", realized.size());
  decide_stage.end();
  PassScope lower_stage("lower");
  if (lower_stage.recording()) lower_stage.input(sink_of(outputs));
  std::unordered_map<const void*, UOp> buffers;  // realized node -> its BUFFER
  std::unordered_map<const void*, size_t> input_pos, kernel_of;
  for (size_t i = 0; i < inputs.size(); ++i) input_pos.emplace(inputs[i].get(), i);
  std::unordered_map<std::string, int> names;
  // Provenance refers to the caller's graph: nodes the split made are not in it.
  std::unordered_map<const void*, size_t> own_positions;
  if (!positions)
    for (size_t i = 0; i < graph_order.size(); ++i) own_positions.emplace(graph_order[i].get(), i);
  const std::unordered_map<const void*, size_t>& position = positions ? *positions : own_positions;
  CachedSchedule c;
  for (const UOp& u : order) {
    if (!realized.count(u.get())) continue;
    const Shape& shape = shape_of(u);
    const std::string* dev = devices.at(u.get());
    const std::string device = dev ? *dev : default_device;
    UOp buf = UOp::buffer(device, max_numel(shape), u.dtype());
    buffers.emplace(u.get(), buf);
    kernel_of.emplace(buf.get(), c.kernels.size());
    ScheduledKernel k;
    k.shape = shape;
    KernelLowerer lowerer(buffers, u);
    k.ast = lowerer.lower_kernel(buf, k.buffers);
    CachedKernel ck{kernel_name(k, names), device, k.ast, shape, u.dtype(), {}, {}, kernel_variables(k.ast)};
    for (const UOp& f : lowerer.fused())
      if (auto it = position.find(f.get()); it != position.end()) ck.fused.push_back(it->second);
    for (const UOp& b : k.buffers) {
      auto in = input_pos.find(b.get());
      ck.refs.push_back(in != input_pos.end() ? BufferRef{true, in->second} : BufferRef{false, kernel_of.at(b.get())});
    }
    c.kernels.push_back(std::move(ck));
    lower_stage.count("kernels", 1);
  }
  if (lower_stage.recording()) {  // the graph after: every kernel's AST
    std::vector<UOp> asts;
    for (const CachedKernel& k : c.kernels) asts.push_back(k.ast);
    lower_stage.result(sink_of(asts));
  }
  for (const UOp& o : outputs) {
    auto it = buffers.find(o.get());
    c.outputs.push_back(it == buffers.end() ? std::nullopt : std::optional<size_t>(kernel_of.at(it->second.get())));
  }
  return c;
}

// The schedule of the outputs' graph with its bound values stripped (unbind.h): lowered once for
// every value. Its fused nodes are reported at their places in the caller's graph `order`.
CachedSchedule build_bare(std::span<const UOp> outputs, const std::vector<UOp>& order, const std::vector<UOp>& inputs,
                          const std::string& default_device) {
  const Unbound bare = unbind(outputs, order);
  if (bare.bound_of.empty()) return build(outputs, order, inputs, default_device);
  std::unordered_map<const void*, size_t> at_caller, positions;
  for (size_t i = 0; i < order.size(); ++i) at_caller.emplace(order[i].get(), i);
  for (const auto& [node, bound] : bare.bound_of) positions.emplace(node, at_caller.at(bound.get()));
  return build(bare.outputs, toposort(UOp::make(Ops::SINK, dtypes::void_, bare.outputs)), inputs, default_device, &positions);
}

}  // namespace

ScheduleCacheStats schedule_cache_stats() {
  std::lock_guard<std::mutex> lock(cache_mu);
  return stats;
}

Schedule create_schedule(std::span<const UOp> outputs, const std::string& default_device) {
  // Realizing what is already a buffer costs nothing (and does not touch the cache).
  if (std::all_of(outputs.begin(), outputs.end(), is_buffer_view)) {
    Schedule done;
    done.outputs.assign(outputs.begin(), outputs.end());
    return done;
  }
  PassScope stage("schedule");
  PassScope key_stage("structure_key");
  const std::vector<UOp> order = toposort(UOp::make(Ops::SINK, dtypes::void_, outputs));
  std::vector<UOp> inputs;
  // Bound values are not part of the key: one schedule serves every value of the variables.
  const Key128 key = structure_key(order, inputs, default_device);
  const std::vector<std::pair<UOp, int64_t>> values = bound_values(order);
  key_stage.count("nodes", order.size());
  key_stage.end();
  auto with_values = [&](Schedule s) {
    s.var_vals = values;
    return s;
  };
  if (!cache_enabled()) return with_values(instantiate(build_bare(outputs, order, inputs, default_device), order, inputs, outputs));
  {
    std::lock_guard<std::mutex> lock(cache_mu);
    if (auto it = cache.find(key); it != cache.end()) {
      ++stats.hits;
      stage.count("cache hits", 1);
      return with_values(instantiate(it->second, order, inputs, outputs));
    }
  }
  CachedSchedule built = build_bare(outputs, order, inputs, default_device);
  std::lock_guard<std::mutex> lock(cache_mu);
  ++stats.misses;
  if (cache.size() >= 4096) cache.clear();  // bound memory in programs that never repeat a graph
  return with_values(instantiate(cache.emplace(key, std::move(built)).first->second, order, inputs, outputs));
}

}  // namespace anneal
