// realize: schedule the requested tensors together, run the schedule (the engine), and point each
// tensor at its new buffer.
#include "anneal/engine/engine.h"
#include "anneal/rewrite/pass_trace.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/host_memory.h"
#include "anneal/schedule/schedule.h"
#include "anneal/tensor/tensor.h"
#include "anneal/tensor/jit.h"
#include "jit_recorder.h"
#include "tensor_internal.h"

namespace anneal {

size_t kernels_run() { return kernels_launched(); }

void realize(std::vector<Tensor*> tensors) {
  PassScope stage("realize");
  std::vector<UOp> outs;
  for (Tensor* t : tensors) {
    check(t && bool(t->uop()), "realize: uninitialised tensor");
    outs.push_back(t->uop());
  }
  Schedule s = create_schedule(outs);
  run_schedule(s);  // a JIT capture records the launches (engine/launch_capture.h)
  for (size_t i = 0; i < tensors.size(); ++i) {
    Tensor::State& state = *tensors[i]->s_;
    if (!state.requires_grad) remember_realized_graph(tensors[i]->s_, state.uop, s.outputs[i]);  // parameters are leaves
    state.set_uop(s.outputs[i]);
  }
  if (jit_detail::Recorder* r = jit_detail::active_recorder())
    for (Tensor* t : tensors) r->realized.push_back({std::static_pointer_cast<void>(t->s_), t->s_->uop});
}

const UOp& Tensor::uop() const {
  static const UOp none;
  return s_ ? s_->uop : none;
}

Tensor& Tensor::realize() {
  anneal::realize({this});
  return *this;
}

std::vector<uint8_t> Tensor::host_bytes() const {
  Tensor handle = *this;
  handle.realize();  // a realized value is a buffer seen through reshapes: contiguous
  const UOp b = view_buffer(handle.uop());
  check(b.is(Ops::BUFFER), "host_bytes: tensor is not realized into a buffer");
  std::vector<uint8_t> bytes = download(b);
  bytes.resize(size_t(bound_numel(shape_of(handle.uop()))) * size_t(b.dtype().itemsize()));  // a symbolic value: its bound size
  return bytes;
}

std::vector<double> read_realized(const UOp& view) {
  const UOp b = view_buffer(view);
  check(b.is(Ops::BUFFER), "read: tensor is not realized into a buffer");
  const std::vector<uint8_t> bytes = download(b);
  const int64_t n = view == b ? b.arg().as<BufferArg>()->size : bound_numel(shape_of(view));
  return read_elements(bytes.data(), b.dtype(), size_t(n));
}

}  // namespace anneal
