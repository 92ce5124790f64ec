// Launch capture: what the JIT records of a step. While a LaunchCapture is alive on a thread, every
// kernel run_schedule launches on that thread is appended to it with the buffers it was given; the
// JIT (tensor/jit.h) later launches the same kernels again on other buffers, with no graph, schedule
// or codegen. Captures nest: an inner one records only what runs while it is the innermost.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "anneal/runtime/device.h"
#include "anneal/uop/uop.h"

namespace anneal {

struct RecordedLaunch {
  std::shared_ptr<const Kernel> kernel;
  std::vector<UOp> buffers;  // the BUFFER bound to each PARAM slot
  std::vector<int64_t> vars;  // the values of the kernel's variables (symbolic shapes), after the buffers
  std::vector<UOp> var_nodes;  // those variables
};

class LaunchCapture {
 public:
  LaunchCapture();
  ~LaunchCapture();
  LaunchCapture(const LaunchCapture&) = delete;
  LaunchCapture& operator=(const LaunchCapture&) = delete;

  const std::vector<RecordedLaunch>& launches() const { return launches_; }
  // The innermost capture of this thread, or null (run_schedule's hook).
  static LaunchCapture* active();
  void record(RecordedLaunch launch) { launches_.push_back(std::move(launch)); }

 private:
  std::vector<RecordedLaunch> launches_;
  LaunchCapture* outer_;
};

// Launches `kernel` on `bufs` as a replay of a recorded launch (counted in kernels_launched()).
void replay_launch(const Kernel& kernel, void* const* bufs);

}  // namespace anneal
