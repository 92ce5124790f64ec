// realize: schedule the requested tensors together, compile the kernels in one translation unit,
// run them in order, and point each tensor at its new buffer.
#include <atomic>
#include <unordered_set>

#include "anneal/render/c_renderer.h"
#include "anneal/runtime/cpu_compiler.h"
#include "anneal/runtime/host_memory.h"
#include "anneal/schedule/schedule.h"
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

std::vector<KernelFn> run_schedule(const Schedule& s) {
  if (s.kernels.empty()) return {};
  std::string source = c_prelude();
  std::vector<std::string> names;
  for (const ScheduledKernel& k : s.kernels) {
    source += "\n" + render_c(k);
    names.push_back(k.name);
  }
  const std::vector<KernelFn> fns = CpuCompiler::instance().load(source, names);
  for (size_t i = 0; i < s.kernels.size(); ++i) {
    std::vector<void*> ptrs;
    for (const UOp& b : s.kernels[i].buffers) ptrs.push_back(b.arg().as<BufferArg>()->storage.get());
    launch_on_cpu(fns[i], ptrs.data());
    ++kernel_counter;
  }
  return fns;
}

void realize(std::vector<Tensor*> tensors) {
  std::vector<UOp> outs;
  for (Tensor* t : tensors) {
    check(t && bool(t->uop()), "realize: uninitialised tensor");
    outs.push_back(t->uop());
  }
  const Schedule s = create_schedule(outs);
  const std::vector<KernelFn> fns = run_schedule(s);
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i]->s_->uop = s.outputs[i];
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
  UOp b = view;
  while (b.is(Ops::RESHAPE)) b = b.src(0);
  check(b.is(Ops::BUFFER), "read: tensor is not realized into a buffer");
  const auto* arg = b.arg().as<BufferArg>();
  return read_elements(arg->storage.get(), b.dtype(), size_t(arg->size));
}

}  // namespace anneal
