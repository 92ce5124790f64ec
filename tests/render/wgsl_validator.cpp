#include "wgsl_validator.h"

#define WGPU_SKIP_DECLARATIONS 1
#include <dlfcn.h>

#include <cinttypes>
#include <stdexcept>

#include "webgpu.h"

namespace anneal::testing {
namespace {

#define ANNEAL_WGPU_FUNCTIONS(X)                                                                              \
  X(CreateInstance) X(InstanceRequestAdapter) X(InstanceWaitAny) X(InstanceRelease) X(AdapterRequestDevice) \
  X(AdapterRelease) X(DeviceCreateShaderModule) X(DeviceCreateComputePipeline) X(DevicePushErrorScope)      \
  X(DevicePopErrorScope) X(DeviceRelease) X(ShaderModuleGetCompilationInfo) X(ShaderModuleRelease)          \
  X(ComputePipelineRelease)

std::string text(WGPUStringView v) {
  if (!v.data) return "";
  return v.length == WGPU_STRLEN ? std::string(v.data) : std::string(v.data, v.length);
}
WGPUStringView view(const std::string& s) { return WGPUStringView{s.data(), s.size()}; }

}  // namespace

struct WgslValidator::State {
  void* library = nullptr;
#define ANNEAL_DECLARE(n) WGPUProc##n n = nullptr;
  ANNEAL_WGPU_FUNCTIONS(ANNEAL_DECLARE)
#undef ANNEAL_DECLARE
  WGPUInstance instance = nullptr;
  WGPUAdapter adapter = nullptr;
  WGPUDevice device = nullptr;

  // Blocks until the future's callback has run (the instance allows timed waits).
  void wait(WGPUFuture f) const {
    WGPUFutureWaitInfo info{f, 0};
    const WGPUWaitStatus status = InstanceWaitAny(instance, 1, &info, UINT64_MAX);
    if (status != WGPUWaitStatus_Success || !info.completed) throw std::runtime_error("Dawn: waiting for a callback failed");
  }
};

WgslValidator::WgslValidator(const std::string& library) : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.library = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!s.library) throw std::runtime_error("cannot load Dawn (" + library + "): " + dlerror() + "; run `make deps`");
#define ANNEAL_LOAD(n)                                                                   \
  s.n = reinterpret_cast<WGPUProc##n>(dlsym(s.library, "wgpu" #n));                       \
  if (!s.n) throw std::runtime_error("Dawn library " + library + " has no wgpu" #n);
  ANNEAL_WGPU_FUNCTIONS(ANNEAL_LOAD)
#undef ANNEAL_LOAD
  WGPUInstanceDescriptor instance = WGPU_INSTANCE_DESCRIPTOR_INIT;
  instance.capabilities.timedWaitAnyEnable = 1;
  instance.capabilities.timedWaitAnyMaxCount = 1;
  s.instance = s.CreateInstance(&instance);
  if (!s.instance) throw std::runtime_error("Dawn: no instance");

  WGPURequestAdapterOptions options = WGPU_REQUEST_ADAPTER_OPTIONS_INIT;
  options.featureLevel = WGPUFeatureLevel_Core;
  options.backendType = WGPUBackendType_Null;
  WGPURequestAdapterCallbackInfo adapter_cb = WGPU_REQUEST_ADAPTER_CALLBACK_INFO_INIT;
  adapter_cb.mode = WGPUCallbackMode_WaitAnyOnly;
  adapter_cb.callback = [](WGPURequestAdapterStatus, WGPUAdapter a, WGPUStringView, void* u, void*) {
    *static_cast<WGPUAdapter*>(u) = a;
  };
  adapter_cb.userdata1 = &s.adapter;
  s.wait(s.InstanceRequestAdapter(s.instance, &options, adapter_cb));
  if (!s.adapter) throw std::runtime_error("Dawn: no Null-backend adapter");

  WGPUDeviceDescriptor device = WGPU_DEVICE_DESCRIPTOR_INIT;
  WGPURequestDeviceCallbackInfo device_cb = WGPU_REQUEST_DEVICE_CALLBACK_INFO_INIT;
  device_cb.mode = WGPUCallbackMode_WaitAnyOnly;
  device_cb.callback = [](WGPURequestDeviceStatus, WGPUDevice d, WGPUStringView, void* u, void*) {
    *static_cast<WGPUDevice*>(u) = d;
  };
  device_cb.userdata1 = &s.device;
  s.wait(s.AdapterRequestDevice(s.adapter, &device, device_cb));
  if (!s.device) throw std::runtime_error("Dawn: no Null-backend device");
}

WgslValidator::~WgslValidator() {
  if (s_->device) s_->DeviceRelease(s_->device);
  if (s_->adapter) s_->AdapterRelease(s_->adapter);
  if (s_->instance) s_->InstanceRelease(s_->instance);
  // The library stays loaded: Dawn keeps threads that must not lose their code.
}

std::string WgslValidator::check(const std::string& code, const std::string& entry) const {
  const State& s = *s_;
  std::string messages;
  s.DevicePushErrorScope(s.device, WGPUErrorFilter_Validation);
  WGPUShaderSourceWGSL source = WGPU_SHADER_SOURCE_WGSL_INIT;
  source.code = view(code);
  WGPUShaderModuleDescriptor module_desc = WGPU_SHADER_MODULE_DESCRIPTOR_INIT;
  module_desc.nextInChain = &source.chain;
  WGPUShaderModule module = s.DeviceCreateShaderModule(s.device, &module_desc);
  WGPUCompilationInfoCallbackInfo info_cb = WGPU_COMPILATION_INFO_CALLBACK_INFO_INIT;
  info_cb.mode = WGPUCallbackMode_WaitAnyOnly;
  info_cb.callback = [](WGPUCompilationInfoRequestStatus, const WGPUCompilationInfo* info, void* u, void*) {
    if (!info) return;
    for (size_t i = 0; i < info->messageCount; ++i) {
      const WGPUCompilationMessage& m = info->messages[i];
      if (m.type != WGPUCompilationMessageType_Error) continue;
      *static_cast<std::string*>(u) += "line " + std::to_string(m.lineNum) + ":" + std::to_string(m.linePos) + ": " +
                                       text(m.message) + "\n";
    }
  };
  info_cb.userdata1 = &messages;
  s.wait(s.ShaderModuleGetCompilationInfo(module, info_cb));
  WGPUComputePipelineDescriptor pipeline_desc = WGPU_COMPUTE_PIPELINE_DESCRIPTOR_INIT;
  pipeline_desc.compute.module = module;
  pipeline_desc.compute.entryPoint = view(entry);
  WGPUComputePipeline pipeline = s.DeviceCreateComputePipeline(s.device, &pipeline_desc);
  WGPUPopErrorScopeCallbackInfo scope_cb = WGPU_POP_ERROR_SCOPE_CALLBACK_INFO_INIT;
  scope_cb.mode = WGPUCallbackMode_WaitAnyOnly;
  scope_cb.callback = [](WGPUPopErrorScopeStatus, WGPUErrorType type, WGPUStringView m, void* u, void*) {
    if (type != WGPUErrorType_NoError) *static_cast<std::string*>(u) += text(m) + "\n";
  };
  std::string scope_errors;
  scope_cb.userdata1 = &scope_errors;
  s.wait(s.DevicePopErrorScope(s.device, scope_cb));
  if (pipeline) s.ComputePipelineRelease(pipeline);
  if (module) s.ShaderModuleRelease(module);
  return messages.empty() ? scope_errors : messages;
}

}  // namespace anneal::testing
