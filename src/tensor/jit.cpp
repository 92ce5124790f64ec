#include "anneal/tensor/jit.h"

#include <algorithm>
#include <unordered_map>

#include "anneal/engine/engine.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/device.h"
#include "jit_recorder.h"
#include "tensor_internal.h"

namespace anneal {
namespace jit_detail {
namespace {
thread_local Recorder* active = nullptr;
}  // namespace
Recorder* active_recorder() { return active; }
void set_active_recorder(Recorder* r) { active = r; }
}  // namespace jit_detail

namespace {

void* storage_of(const UOp& buffer) { return buffer.arg().as<BufferArg>()->storage.get(); }

// `s` with its variables bound to this call's values.
Shape rebound(const Shape& s, const std::vector<std::pair<UOp, int64_t>>& values) {
  Shape out;
  for (const Dim& d : s) out.push_back(d.rebound(values));
  return out;
}

// Ends the capture even if the step function throws.
struct CaptureScope {
  explicit CaptureScope(jit_detail::Recorder* r) { jit_detail::set_active_recorder(r); }
  ~CaptureScope() { jit_detail::set_active_recorder(nullptr); }
};

}  // namespace

struct Jit::Plan {
  enum class Kind : uint8_t { Fixed, Input, PairCurrent, PairNext, Variable };
  struct Slot {
    Kind kind;
    size_t index;
    void* fixed;
  };
  struct Pair {
    std::weak_ptr<void> state;  // Tensor::State
    UOp buffers[2];             // [0] the value before the capture call, [1] the value after it
    Shape shape;
  };
  std::vector<std::pair<std::shared_ptr<const Kernel>, std::vector<Slot>>> launches;
  std::vector<Pair> pairs;
  struct Output {
    Slot slot;
    Shape shape;
    DType dtype;
    std::string device;
  };
  std::vector<Output> outputs;
  std::vector<UOp> keep;  // every buffer the launches use stays alive with the plan
  // Variables of symbolic shapes, bound by the inputs: a replay passes the values of its own inputs.
  std::vector<UOp> vars;
  int current = 1;        // which of each pair's buffers holds the current value
};

Jit::Jit(Fn fn) : fn_(std::move(fn)) {}
Jit::~Jit() = default;

std::vector<Tensor> Jit::operator()(const std::vector<Tensor>& inputs) { return (*this)(inputs, {}); }

std::vector<Tensor> Jit::operator()(const std::vector<Tensor>& inputs_in, const std::vector<Dim>& bound_dims) {
  std::lock_guard<std::mutex> turn(mu_);
  std::vector<Tensor> inputs = inputs_in;
  std::vector<std::pair<Shape, DType>> sig;
  std::vector<std::pair<UOp, int64_t>> bound;  // the values the inputs' symbolic shapes bind
  for (Tensor& t : inputs) {
    check(t.defined(), "jit: uninitialised input");
    t.realize();  // inputs are contiguous buffers (a view is copied once)
    // The guard is the shapes' structure: a symbolic size may take another value on every call.
    Shape bare;
    for (const Dim& d : t.shape()) bare.push_back(d.unbound());
    sig.push_back({bare, t.dtype()});
    bindings_of(t.shape(), bound);
  }
  for (const Dim& d : bound_dims) {
    check(d.is_symbolic(), "jit: a bound dim must hold a variable (Variable::bind), got " + d.str());
    sig.push_back({Shape{d.unbound()}, dtypes::int64});
    bindings_of({d}, bound);
  }
  if (sig != signature_) {  // the guard: another input signature starts over
    signature_ = sig;
    calls_with_signature_ = 0;
    replayable_ = true;
    plan_.reset();
  }
  if (!replayable_) return fn_(inputs);
  std::vector<void*> input_ptrs;
  for (const Tensor& t : inputs) input_ptrs.push_back(storage_of(view_buffer(t.uop())));

  if (plan_) {
    Plan& p = *plan_;
    std::vector<int64_t> values;
    for (const UOp& v : p.vars) {
      auto it = std::find_if(bound.begin(), bound.end(), [&](const auto& b) { return b.first == v; });
      values.push_back(it->second);  // the signature holds the same variables
    }
    std::vector<void*> ptrs;
    auto resolve = [&](const Plan::Slot& s) -> void* {
      switch (s.kind) {
        case Plan::Kind::Input: return input_ptrs[s.index];
        case Plan::Kind::PairCurrent: return storage_of(p.pairs[s.index].buffers[p.current]);
        case Plan::Kind::PairNext: return storage_of(p.pairs[s.index].buffers[1 - p.current]);
        case Plan::Kind::Variable: return &values[s.index];
        default: return s.fixed;
      }
    };
    for (const auto& [kernel, slots] : p.launches) {
      ptrs.clear();
      for (const Plan::Slot& s : slots) ptrs.push_back(resolve(s));
      replay_launch(*kernel, ptrs.data());
    }
    std::vector<Tensor> outs;
    for (const Plan::Output& o : p.outputs) {
      const UOp buf = new_buffer(o.device, max_numel(o.shape), o.dtype);
      get_device(o.device).copy_on_device(storage_of(buf), resolve(o.slot), size_t(max_numel(o.shape)) * size_t(o.dtype.itemsize()));
      outs.push_back(Tensor(buf.view_as(rebound(o.shape, bound))));
    }
    p.current = 1 - p.current;
    for (Plan::Pair& pair : p.pairs)
      if (auto state = std::static_pointer_cast<Tensor::State>(pair.state.lock()))
        state->set_uop(pair.buffers[p.current].view_as(rebound(pair.shape, bound)));
    ++replays_;
    return outs;
  }

  if (++calls_with_signature_ == 1) return fn_(inputs);  // warm-up: schedule and compile

  jit_detail::Recorder rec;
  std::vector<Tensor> outs;
  {
    CaptureScope scope(&rec);
    outs = fn_(inputs);
    for (Tensor& o : outs) o.realize();
  }
  auto plan = std::make_unique<Plan>();
  std::unordered_map<const void*, Plan::Slot> slots;
  for (size_t i = 0; i < inputs.size(); ++i) slots[view_buffer(inputs[i].uop()).get()] = {Plan::Kind::Input, i, nullptr};
  for (const auto& [state, after] : rec.realized) {
    auto before = rec.before_assign.find(state.get());
    if (before == rec.before_assign.end()) continue;
    const UOp old_buf = view_buffer(before->second), new_buf = view_buffer(after);
    if (!old_buf.is(Ops::BUFFER) || !new_buf.is(Ops::BUFFER) || old_buf == new_buf) continue;
    slots[old_buf.get()] = {Plan::Kind::PairCurrent, plan->pairs.size(), nullptr};
    slots[new_buf.get()] = {Plan::Kind::PairNext, plan->pairs.size(), nullptr};
    plan->pairs.push_back({state, {old_buf, new_buf}, shape_of(after)});
  }
  auto slot_of = [&](const UOp& buf) {
    auto it = slots.find(buf.get());
    if (it != slots.end()) return it->second;
    plan->keep.push_back(buf);
    return Plan::Slot{Plan::Kind::Fixed, 0, storage_of(buf)};
  };
  for (const RecordedLaunch& l : rec.launches.launches()) {
    std::vector<Plan::Slot> ls;
    for (const UOp& b : l.buffers) ls.push_back(slot_of(b));
    for (const UOp& v : l.var_nodes) {
      // A variable the function binds from something other than its inputs could take another value
      // next call, unseen by the guard: such a step is not replayed (it runs normally every call).
      if (std::none_of(bound.begin(), bound.end(), [&](const auto& b) { return b.first == v; })) {
        replayable_ = false;
        return outs;
      }
      auto at = std::find(plan->vars.begin(), plan->vars.end(), v);
      if (at == plan->vars.end()) at = plan->vars.insert(plan->vars.end(), v);
      ls.push_back({Plan::Kind::Variable, size_t(at - plan->vars.begin()), nullptr});
    }
    plan->launches.push_back({l.kernel, std::move(ls)});
  }
  // The pairs' "current" buffers are the ones the capture call left the tensors on (index 1), but the
  // launches were recorded reading index 0: the first replay reads [1] and writes [0], and so on.
  for (const Tensor& o : outs) {
    const UOp buf = view_buffer(o.uop());
    check(buf.is(Ops::BUFFER), "jit: an output is not a realized buffer");
    plan->outputs.push_back({slot_of(buf), o.shape(), o.dtype(), buf.arg().as<BufferArg>()->device});
  }
  for (Plan::Pair& pair : plan->pairs) plan->keep.insert(plan->keep.end(), {pair.buffers[0], pair.buffers[1]});
  plan_ = std::move(plan);
  ++captures_;
  return outs;
}

}  // namespace anneal
