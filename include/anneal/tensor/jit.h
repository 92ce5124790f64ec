// Jit: capture the kernels a step function runs and replay them with new inputs.
//
// Call 1 runs the function normally (it schedules and compiles). Call 2 runs it again and records
// every kernel launched, with its buffers. Later calls with inputs of the same shapes and dtypes do
// not run the function at all: they launch the recorded kernels on the new inputs — no graph, no
// scheduling, no codegen. A call whose inputs differ in shape or dtype runs the function normally
// and starts capturing again (the guard). Symbolic sizes are part of the guard by structure, not by
// value: inputs of shape (B, 784) replay for every value of B, passing each call's value to the
// kernels (a step that uses a variable neither its inputs nor the call's bound dims bind is never
// replayed).
//
// Tensors the function updates (parameters and optimizer state, through assign + realize) alternate
// between two buffers on replay, and their handles are re-pointed as realize would. Outputs are
// copied into fresh buffers, so a returned tensor is never overwritten by a later replay. Tensors
// that still hold an older value of an updated tensor share its buffers and are overwritten.
//
// A Jit may be shared between threads: its calls take turns (the plan and the buffers it alternates
// between belong to one call at a time).
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "anneal/tensor/tensor.h"

namespace anneal {

class Jit {
 public:
  using Fn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;
  explicit Jit(Fn fn);
  ~Jit();
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs);
  // The same, with variables the step uses but its inputs' shapes do not carry (a decoding position):
  // each is a bound dimension (Variable::bind). They are part of the guard by structure, and a replay
  // passes their values to the kernels as it does for the inputs' symbolic sizes.
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs, const std::vector<Dim>& bound);
  size_t captures() const { return captures_; }
  size_t replays() const { return replays_; }

  struct Plan;  // the recorded launches (internal)

 private:
  Fn fn_;
  std::mutex mu_;
  std::unique_ptr<Plan> plan_;
  std::vector<std::pair<Shape, DType>> signature_;  // inputs, then bound dims (as 1-d shapes)
  int calls_with_signature_ = 0;
  bool replayable_ = true;  // false: the captured step used a variable its inputs do not bind
  size_t captures_ = 0, replays_ = 0;
};

namespace jit_detail {
// Hooks called by realize() and Tensor::assign() while a capture is active.
struct Recorder;
Recorder* active_recorder();
}  // namespace jit_detail

}  // namespace anneal
