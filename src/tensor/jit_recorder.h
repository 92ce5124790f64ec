// What a Jit capture records while the step function runs (internal).
#pragma once
#include <memory>
#include <unordered_map>
#include <vector>

#include "anneal/runtime/device.h"
#include "anneal/uop/uop.h"

namespace anneal::jit_detail {

struct Launch {
  std::shared_ptr<const Kernel> kernel;
  std::vector<UOp> buffers;  // BUFFER nodes by PARAM slot
};

struct Recorder {
  std::vector<Launch> launches;
  // Tensor states assigned during the capture, with their value before the first assign.
  std::unordered_map<const void*, UOp> before_assign;
  // Tensor states realize() re-pointed, in order, with the buffer view they got.
  std::vector<std::pair<std::shared_ptr<void>, UOp>> realized;
};

void set_active_recorder(Recorder* r);

}  // namespace anneal::jit_detail
