#include "anneal/engine/launch_capture.h"

#include "anneal/engine/engine.h"

namespace anneal {
namespace {
thread_local LaunchCapture* innermost = nullptr;
}  // namespace

LaunchCapture::LaunchCapture() : outer_(innermost) { innermost = this; }
LaunchCapture::~LaunchCapture() { innermost = outer_; }
LaunchCapture* LaunchCapture::active() { return innermost; }

void replay_launch(const Kernel& kernel, void* const* bufs) {
  kernel.launch(bufs);
  note_kernels_launched(1);
}

}  // namespace anneal
