// run_schedule: opts, render and compile (one program per schedule and device, cached), launch.
#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

#include "anneal/engine/beam.h"
#include "anneal/engine/engine.h"
#include "anneal/engine/launch_capture.h"
#include "anneal/render/renderer.h"
#include "anneal/rewrite/pass_trace.h"
#include "anneal/runtime/profile.h"
#include "anneal/support/hash.h"

namespace anneal {
namespace {

std::atomic<size_t> launched{0};
std::mutex stats_mu;
CompileStats stats;

// The compiled kernels of the schedules run so far, keyed on their device, names and ASTs. An entry
// holds its ASTs, so their (interned) addresses cannot be reused by other nodes while it exists. A
// repeated training step skips rendering and the compiler's source hashing altogether.
struct CompiledProgram {
  std::vector<UOp> asts;
  std::vector<std::shared_ptr<const Kernel>> kernels;
};
std::mutex compiled_mu;
std::map<Key128, CompiledProgram>& compiled_programs() {
  static auto& m = *new std::map<Key128, CompiledProgram>();  // immortal: kernels outlive main's objects
  return m;
}

std::vector<std::shared_ptr<const Kernel>> render_and_compile(const std::vector<ScheduledKernel>& kernels, Device& device) {
  PassScope render_stage("render");
  render_stage.count("kernels", kernels.size());
  const ProgramSource program = render_program(kernels, device.target());
  render_stage.end();
  dump_program(program);
  PassScope compile_stage("compile");
  return device.compile(program);
}

std::vector<std::shared_ptr<const Kernel>> compile_for(Device& device, std::vector<ScheduledKernel> kernels) {
  Hasher h;
  h.bytes(device.name());
  for (const ScheduledKernel& k : kernels) {
    h.word(uint64_t(reinterpret_cast<uintptr_t>(k.ast.get())));
    h.bytes(k.name);
  }
  const Key128 key = h.finish();
  {
    std::lock_guard<std::mutex> lock(compiled_mu);
    if (auto it = compiled_programs().find(key); it != compiled_programs().end()) return it->second.kernels;
  }
  CompiledProgram p;
  for (const ScheduledKernel& k : kernels) p.asts.push_back(k.ast);
  // Kernels whose ASTs are one node (a model's repeated layers, the optimizer's update of every
  // parameter of one shape) are the same code: each is optimized, rendered and compiled once, under its
  // first occurrence's name, and launched with each kernel's own buffers.
  std::vector<ScheduledKernel> unique;
  std::vector<size_t> unique_of(kernels.size());
  std::unordered_map<const void*, size_t> first;
  for (size_t i = 0; i < kernels.size(); ++i) {
    const auto [it, fresh] = first.emplace(kernels[i].ast.get(), unique.size());
    if (fresh) unique.push_back(kernels[i]);
    unique_of[i] = it->second;
  }
  const Target target = device.target();
  PassScope optimize_stage("optimize");
  optimize_stage.count("kernels", unique.size());
  for (ScheduledKernel& k : unique) k = optimize(k, target);
  optimize_stage.end();
  const std::vector<std::shared_ptr<const Kernel>> compiled = render_and_compile(unique, device);
  for (size_t i = 0; i < kernels.size(); ++i) p.kernels.push_back(compiled[unique_of[i]]);
  {
    std::lock_guard<std::mutex> lock(stats_mu);
    ++stats.programs;
    stats.kernels += kernels.size();
    stats.compiled_kernels += unique.size();
  }
  std::lock_guard<std::mutex> lock(compiled_mu);
  if (compiled_programs().size() >= 4096) compiled_programs().clear();  // bound memory in programs that never repeat
  return compiled_programs().emplace(key, std::move(p)).first->second.kernels;
}

// With ANNEAL_BEAM=N each kernel is searched once per process, on the values it is about to read
// (later processes read the winner from the BEAM cache), and compiled on its own.
std::shared_ptr<const Kernel> beam_kernel(const ScheduledKernel& k, Device& device, void* const* bufs) {
  static auto& memo = *new std::map<std::pair<const void*, std::string>, std::pair<UOp, std::shared_ptr<const Kernel>>>();
  std::lock_guard<std::mutex> lock(compiled_mu);
  const auto key = std::make_pair(static_cast<const void*>(k.ast.get()), device.name());
  if (auto it = memo.find(key); it != memo.end()) return it->second.second;
  ScheduledKernel tuned = k;
  for (const Opt& o : beam_search(k, device, bufs, beam_width())) tuned = apply_opt(tuned, o);
  auto kernel = render_and_compile({tuned}, device)[0];
  memo.emplace(key, std::make_pair(k.ast, kernel));
  return kernel;
}

Device& device_of(const ScheduledKernel& k) { return get_device(k.buffers[0].arg().as<BufferArg>()->device); }

// The values of a kernel's variables in this schedule, in the kernel's argument order.
std::vector<int64_t> variable_values(const Schedule& s, const ScheduledKernel& k) {
  std::vector<int64_t> out;
  for (const UOp& v : k.vars) {
    auto it = std::find_if(s.var_vals.begin(), s.var_vals.end(), [&](const auto& p) { return p.first == v; });
    check(it != s.var_vals.end(), [&] {
      return "kernel " + k.name + ": variable '" + v.arg().as<ParamArg>()->name + "' has no value in this schedule";
    });
    out.push_back(it->second);
  }
  return out;
}

}  // namespace

Schedule create_schedule(std::span<const UOp> outputs) { return create_schedule(outputs, default_device()); }

size_t kernels_launched() { return launched.load(); }

CompileStats compile_stats() {
  std::lock_guard<std::mutex> lock(stats_mu);
  return stats;
}
void note_kernels_launched(size_t n) { launched += n; }

// Compiles the kernels of each device as one program (one compiler run per schedule and device, and
// none at all when the program was seen before), then launches every kernel in schedule order.
std::vector<std::shared_ptr<const Kernel>> run_schedule(Schedule& s) {
  plan_memory(s);
  std::vector<std::shared_ptr<const Kernel>> compiled(s.kernels.size());
  std::map<Device*, std::vector<size_t>> by_device;
  for (size_t i = 0; i < s.kernels.size(); ++i) by_device[&device_of(s.kernels[i])].push_back(i);
  for (const auto& [device, indices] : by_device) {
    std::vector<ScheduledKernel> kernels;
    for (size_t i : indices) kernels.push_back(s.kernels[i]);
    const auto fns = compile_for(*device, std::move(kernels));
    for (size_t j = 0; j < indices.size(); ++j) compiled[indices[j]] = fns[j];
  }
  PassScope run_stage("run");
  run_stage.count("kernels", s.kernels.size());
  std::vector<void*> ptrs;
  std::vector<int64_t> values;
  const bool beam = beam_width() > 0;
  for (size_t i = 0; i < s.kernels.size(); ++i) {
    ptrs.clear();
    for (const UOp& b : s.kernels[i].buffers) ptrs.push_back(b.arg().as<BufferArg>()->storage.get());
    // Variables follow the buffers, each as the address of its 64-bit value.
    values = variable_values(s, s.kernels[i]);
    for (int64_t& v : values) ptrs.push_back(&v);
    if (beam) compiled[i] = beam_kernel(s.kernels[i], device_of(s.kernels[i]), ptrs.data());
    compiled[i]->launch(ptrs.data());
    ++launched;
    if (LaunchCapture* capture = LaunchCapture::active()) capture->record({compiled[i], s.kernels[i].buffers, values, s.kernels[i].vars});
  }
  return compiled;
}

std::vector<PreparedKernel> prepare_kernels(const Schedule& s) {
  PassScope stage("prepare");
  stage.count("kernels", s.kernels.size());
  std::vector<PreparedKernel> out;
  // The kernels' ASTs, for the stages' before and after graphs (a PassRecorder's timeline).
  auto asts = [&out] {
    std::vector<UOp> a;
    for (const PreparedKernel& p : out) a.push_back(p.kernel.ast);
    return UOp::make(Ops::SINK, dtypes::void_, a);
  };
  PassScope opts_stage("opts");
  for (const ScheduledKernel& k : s.kernels) {
    PreparedKernel p;
    Device& device = device_of(k);
    std::optional<std::vector<Opt>> cached = beam_width() > 0 ? beam_cached(k, device) : std::nullopt;
    p.origin = cached ? "beam" : "heuristic";
    p.opts = cached ? *cached : hand_coded_opts(k, device.target());
    p.kernel = k;
    out.push_back(std::move(p));
  }
  if (opts_stage.recording()) opts_stage.input(asts());
  for (PreparedKernel& p : out) {
    for (const Opt& o : p.opts) p.kernel = apply_opt(p.kernel, o);
    opts_stage.count("opts", p.opts.size());
  }
  if (opts_stage.recording()) opts_stage.result(asts());
  opts_stage.end();
  PassScope render_stage("render");
  for (PreparedKernel& p : out) {
    const ProgramSource one = render_program(std::span<const ScheduledKernel>(&p.kernel, 1), device_of(p.kernel).target());
    p.entry = one.kernels.front();
    p.prelude = one.prelude;
  }
  render_stage.count("kernels", out.size());
  return out;
}

}  // namespace anneal
