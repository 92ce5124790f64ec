// What a Jit capture records of the tensors while the step function runs (internal); the launches
// are the engine's LaunchCapture.
#pragma once
#include <memory>
#include <unordered_map>
#include <vector>

#include "anneal/engine/launch_capture.h"
#include "anneal/uop/uop.h"

namespace anneal::jit_detail {

struct Recorder {
  LaunchCapture launches;
  // Tensor states assigned during the capture, with their value before the first assign.
  std::unordered_map<const void*, UOp> before_assign;
  // Tensor states realize() re-pointed, in order, with the buffer view they got.
  std::vector<std::pair<std::shared_ptr<void>, UOp>> realized;
};

void set_active_recorder(Recorder* r);

}  // namespace anneal::jit_detail
