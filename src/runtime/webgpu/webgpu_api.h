// The WebGPU C API as Dawn exports it, resolved with dlopen/dlsym at run time (the binary never links
// against a WebGPU library), and a Context: one instance, adapter and device with their queue.
// Declarations come from Dawn's own generated webgpu.h of the library's revision (third_party/dawn):
// Dawn's ABI moves between revisions and a wrong callback signature fails silently, so the header
// and the pinned library travel together.
#pragma once
#define WGPU_SKIP_DECLARATIONS 1
#include <memory>
#include <mutex>
#include <string>

#include "webgpu.h"

namespace anneal::webgpu {

// Every wgpu* function anneal calls; all must be exported by the library, checked when it loads.
#define ANNEAL_WGPU_FUNCTIONS(X)                                                                              \
  X(CreateInstance) X(InstanceRequestAdapter) X(InstanceWaitAny) X(InstanceRelease) X(AdapterRequestDevice) \
  X(AdapterGetInfo) X(AdapterInfoFreeMembers) X(AdapterGetLimits) X(AdapterHasFeature) X(AdapterRelease)    \
  X(DeviceGetQueue) X(DeviceCreateBuffer) X(DeviceCreateShaderModule) X(DeviceCreateComputePipeline)        \
  X(DeviceCreateBindGroupLayout) X(DeviceCreatePipelineLayout) X(DeviceCreateBindGroup)                     \
  X(DeviceCreateCommandEncoder) X(DevicePushErrorScope) X(DevicePopErrorScope) X(DeviceRelease)             \
  X(ShaderModuleGetCompilationInfo) X(ShaderModuleRelease) X(ComputePipelineRelease)                        \
  X(BindGroupLayoutRelease) X(PipelineLayoutRelease) X(BindGroupRelease) X(BufferRelease) X(BufferMapAsync) \
  X(BufferGetConstMappedRange) X(BufferGetMappedRange) X(BufferUnmap) X(CommandEncoderBeginComputePass)                             \
  X(CommandEncoderCopyBufferToBuffer) X(CommandEncoderClearBuffer) X(CommandEncoderFinish)                  \
  X(CommandEncoderRelease) X(CommandBufferRelease) X(ComputePassEncoderSetPipeline)                         \
  X(ComputePassEncoderSetBindGroup) X(ComputePassEncoderDispatchWorkgroups) X(ComputePassEncoderEnd)        \
  X(ComputePassEncoderRelease) X(QueueSubmit) X(QueueWriteBuffer) X(QueueOnSubmittedWorkDone) X(QueueRelease)

struct Api {
  void* library = nullptr;
  std::string path;
#define ANNEAL_DECLARE(n) WGPUProc##n n = nullptr;
  ANNEAL_WGPU_FUNCTIONS(ANNEAL_DECLARE)
#undef ANNEAL_DECLARE
};

// The loaded library, or nullptr with `problem` saying why. Tried in order: ANNEAL_WEBGPU_LIB, the
// npm package `make deps` fetched into the source tree, then the system's libwebgpu_dawn.so.
const Api* api(std::string* problem = nullptr);

std::string text(WGPUStringView v);
WGPUStringView view(const std::string& s);

struct AdapterFacts {
  std::string vendor, device, architecture, backend, type;
  bool shader_f16 = false;
};

// An instance, an adapter of one backend (Null: accepts work and never runs it, for compiling only)
// and a device asking for the adapter's own limits (the defaults are small: 256 threads a
// workgroup, 16 KiB of workgroup memory, 128 MiB a storage binding). Not thread-safe: callers lock.
class Context {
 public:
  // nullptr with `problem` saying why when no adapter or device comes.
  static std::unique_ptr<Context> open(WGPUBackendType backend, std::string* problem);
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const Api& w;
  WGPUInstance instance = nullptr;
  WGPUAdapter adapter = nullptr;
  WGPUDevice device = nullptr;
  WGPUQueue queue = nullptr;
  WGPULimits limits = WGPU_LIMITS_INIT;
  AdapterFacts facts;

  // Blocks until the future's callback has run.
  void wait(WGPUFuture f) const;
  // A pipeline for `entry` of a WGSL module under `layout` (nullptr: derived from the shader), or
  // nullptr with the compiler's and validator's messages in `errors`.
  WGPUComputePipeline pipeline(const std::string& code, const std::string& entry, WGPUPipelineLayout layout,
                               std::string* errors) const;
  // Errors nobody caught (validation of submitted work, a lost device) since the last call.
  std::string take_errors();

 private:
  explicit Context(const Api& api) : w(api) {}
  std::mutex errors_mu_;  // the uncaptured-error callback may run on Dawn's threads
  std::string errors_;
};

// The process's context for running kernels (the WEBGPU device and probe_webgpu share it), opened
// on first use and never closed (buffers outlive main); nullptr with `problem` saying why.
Context* shared_context(std::string* problem);

}  // namespace anneal::webgpu
