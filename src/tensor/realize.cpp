// realize: schedule the requested tensors together, compile the kernels in one translation unit,
// run them in order, and point each tensor at its new buffer.
#include <atomic>
#include <map>
#include <mutex>
#include <unordered_set>

#include "anneal/codegen/beam.h"
#include "anneal/codegen/opt.h"
#include "anneal/render/renderer.h"
#include "anneal/runtime/device.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/host_memory.h"
#include "anneal/runtime/profile.h"
#include "anneal/schedule/schedule.h"
#include "anneal/support/hash.h"
#include "anneal/tensor/tensor.h"
#include "anneal/tensor/jit.h"
#include "jit_recorder.h"
#include "tensor_internal.h"

namespace anneal {

namespace {
std::atomic<size_t> kernel_counter{0};
}  // namespace

size_t kernels_run() { return kernel_counter.load(); }
void note_kernels_run(size_t n) { kernel_counter += n; }

namespace {

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

std::vector<std::shared_ptr<const Kernel>> render_and_compile(const std::vector<ScheduledKernel>& kernels,
                                                             const std::string& device) {
  const ProgramSource program = render_program(kernels, device);
  dump_program(program);
  return get_device(device).compile(program);
}

std::vector<std::shared_ptr<const Kernel>> compile_for(const std::string& device, std::vector<ScheduledKernel> kernels) {
  Hasher h;
  h.bytes(device);
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
  for (ScheduledKernel& k : kernels) k = optimize(k, device);
  p.kernels = render_and_compile(kernels, device);
  std::lock_guard<std::mutex> lock(compiled_mu);
  if (compiled_programs().size() >= 4096) compiled_programs().clear();  // bound memory in programs that never repeat
  return compiled_programs().emplace(key, std::move(p)).first->second.kernels;
}

// With ANNEAL_BEAM=N each kernel is searched once per process, on the values it is about to read
// (later processes read the winner from the BEAM cache), and compiled on its own.
std::shared_ptr<const Kernel> beam_kernel(const ScheduledKernel& k, const std::string& device, void* const* bufs) {
  static auto& memo = *new std::map<std::pair<const void*, std::string>, std::pair<UOp, std::shared_ptr<const Kernel>>>();
  std::lock_guard<std::mutex> lock(compiled_mu);
  const auto key = std::make_pair(static_cast<const void*>(k.ast.get()), device);
  if (auto it = memo.find(key); it != memo.end()) return it->second.second;
  ScheduledKernel tuned = k;
  for (const Opt& o : beam_search(k, device, bufs, beam_width())) tuned = apply_opt(tuned, o);
  auto kernel = render_and_compile({tuned}, device)[0];
  memo.emplace(key, std::make_pair(k.ast, kernel));
  return kernel;
}

}  // namespace

// Compiles the kernels of each device as one program (one compiler run per schedule and device, and
// none at all when the program was seen before), then launches every kernel in schedule order.
std::vector<std::shared_ptr<const Kernel>> run_schedule(const Schedule& s) {
  std::vector<std::shared_ptr<const Kernel>> compiled(s.kernels.size());
  std::map<std::string, std::vector<size_t>> by_device;
  for (size_t i = 0; i < s.kernels.size(); ++i)
    by_device[s.kernels[i].buffers[0].arg().as<BufferArg>()->device].push_back(i);
  for (const auto& [device, indices] : by_device) {
    std::vector<ScheduledKernel> kernels;
    for (size_t i : indices) kernels.push_back(s.kernels[i]);
    const auto fns = compile_for(device, std::move(kernels));
    for (size_t j = 0; j < indices.size(); ++j) compiled[indices[j]] = fns[j];
  }
  std::vector<void*> ptrs;
  const bool beam = beam_width() > 0;
  for (size_t i = 0; i < s.kernels.size(); ++i) {
    ptrs.clear();
    for (const UOp& b : s.kernels[i].buffers) ptrs.push_back(b.arg().as<BufferArg>()->storage.get());
    if (beam) compiled[i] = beam_kernel(s.kernels[i], s.kernels[i].buffers[0].arg().as<BufferArg>()->device, ptrs.data());
    compiled[i]->launch(ptrs.data());
    ++kernel_counter;
  }
  return compiled;
}

void realize(std::vector<Tensor*> tensors) {
  std::vector<UOp> outs;
  for (Tensor* t : tensors) {
    check(t && bool(t->uop()), "realize: uninitialised tensor");
    outs.push_back(t->uop());
  }
  const Schedule s = create_schedule(outs);
  const auto fns = run_schedule(s);
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i]->s_->set_uop(s.outputs[i]);
  if (jit_detail::Recorder* r = jit_detail::active_recorder()) {
    for (size_t i = 0; i < fns.size(); ++i) r->launches.push_back({fns[i], s.kernels[i].buffers});
    for (Tensor* t : tensors) r->realized.push_back({std::static_pointer_cast<void>(t->s_), t->s_->uop});
  }
}

const UOp& Tensor::uop() const {
  static const UOp none;
  return s_ ? s_->uop : none;
}

Tensor& Tensor::realize() {
  anneal::realize({this});
  return *this;
}

std::vector<double> read_realized(const UOp& view) {
  const UOp b = view_buffer(view);
  check(b.is(Ops::BUFFER), "read: tensor is not realized into a buffer");
  const std::vector<uint8_t> bytes = download(b);
  return read_elements(bytes.data(), b.dtype(), size_t(b.arg().as<BufferArg>()->size));
}

}  // namespace anneal
