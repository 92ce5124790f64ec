#include "webgpu_api.h"

#include <dlfcn.h>

#include <utility>
#include <vector>

#include "anneal/support/error.h"
#include "anneal/support/settings.h"

namespace anneal::webgpu {
namespace {

std::unique_ptr<Api> load(std::string* problem) {
  std::vector<std::string> candidates;
  if (const std::string env = settings::webgpu_lib.get(); !env.empty()) {
    candidates = {env};  // asked for by name: no fallback that would hide a wrong path
  } else {
#ifdef ANNEAL_DAWN_LIBRARY
    candidates.push_back(ANNEAL_DAWN_LIBRARY);
#endif
    candidates.push_back("libwebgpu_dawn.so");
  }
  std::string tried;
  for (const std::string& path : candidates) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      tried += (tried.empty() ? "" : "; ") + std::string(dlerror());
      continue;
    }
    auto a = std::make_unique<Api>();
    a->library = lib;
    a->path = path;
    std::string missing;
#define ANNEAL_LOAD(n)                                                 \
  a->n = reinterpret_cast<WGPUProc##n>(dlsym(lib, "wgpu" #n));         \
  if (!a->n) missing += std::string(missing.empty() ? "" : ", ") + "wgpu" #n;
    ANNEAL_WGPU_FUNCTIONS(ANNEAL_LOAD)
#undef ANNEAL_LOAD
    if (!missing.empty()) {
      // The library stays loaded: unloading code that may have started threads is not safe.
      tried += (tried.empty() ? "" : "; ") + path + " lacks " + missing + " (not the Dawn revision of third_party/dawn/webgpu.h)";
      continue;
    }
    return a;
  }
  if (problem) *problem = "no WebGPU library (" + tried + "); run `make deps` or set ANNEAL_WEBGPU_LIB";
  return nullptr;
}

const char* backend_name(WGPUBackendType b) {
  switch (b) {
    case WGPUBackendType_Null: return "Null";
    case WGPUBackendType_Vulkan: return "Vulkan";
    case WGPUBackendType_Metal: return "Metal";
    case WGPUBackendType_D3D12: return "D3D12";
    case WGPUBackendType_D3D11: return "D3D11";
    case WGPUBackendType_OpenGL: return "OpenGL";
    case WGPUBackendType_OpenGLES: return "OpenGLES";
    default: return "other";
  }
}

const char* adapter_type_name(WGPUAdapterType t) {
  switch (t) {
    case WGPUAdapterType_DiscreteGPU: return "discrete GPU";
    case WGPUAdapterType_IntegratedGPU: return "integrated GPU";
    case WGPUAdapterType_CPU: return "CPU";
    default: return "unknown";
  }
}

}  // namespace

const Api* api(std::string* problem) {
  static std::string why;
  static const std::unique_ptr<Api> loaded = load(&why);
  if (!loaded && problem) *problem = why;
  return loaded.get();
}

std::string text(WGPUStringView v) {
  if (!v.data) return "";
  return v.length == WGPU_STRLEN ? std::string(v.data) : std::string(v.data, v.length);
}

WGPUStringView view(const std::string& s) { return WGPUStringView{s.data(), s.size()}; }

std::unique_ptr<Context> Context::open(WGPUBackendType backend, std::string* problem) {
  const Api* a = api(problem);
  if (!a) return nullptr;
  std::unique_ptr<Context> c(new Context(*a));
  const Api& w = *a;
  WGPUInstanceDescriptor instance = WGPU_INSTANCE_DESCRIPTOR_INIT;
  instance.capabilities.timedWaitAnyEnable = 1;
  instance.capabilities.timedWaitAnyMaxCount = 1;
  c->instance = w.CreateInstance(&instance);
  if (!c->instance) {
    *problem = "Dawn made no instance";
    return nullptr;
  }

  struct Reply {
    void* object = nullptr;
    std::string message;
  };
  Reply adapter_reply;
  WGPURequestAdapterOptions options = WGPU_REQUEST_ADAPTER_OPTIONS_INIT;
  options.featureLevel = WGPUFeatureLevel_Core;
  options.powerPreference = WGPUPowerPreference_HighPerformance;
  options.backendType = backend;
  WGPURequestAdapterCallbackInfo adapter_cb = WGPU_REQUEST_ADAPTER_CALLBACK_INFO_INIT;
  adapter_cb.mode = WGPUCallbackMode_WaitAnyOnly;
  adapter_cb.callback = [](WGPURequestAdapterStatus, WGPUAdapter got, WGPUStringView message, void* u, void*) {
    static_cast<Reply*>(u)->object = got;
    static_cast<Reply*>(u)->message = text(message);
  };
  adapter_cb.userdata1 = &adapter_reply;
  c->wait(w.InstanceRequestAdapter(c->instance, &options, adapter_cb));
  c->adapter = static_cast<WGPUAdapter>(adapter_reply.object);
  if (!c->adapter) {
    *problem = "no WebGPU adapter (" + adapter_reply.message + "); a Vulkan driver is needed (Debian: mesa-vulkan-drivers from bookworm-backports)";
    return nullptr;
  }

  WGPUAdapterInfo info = WGPU_ADAPTER_INFO_INIT;
  if (w.AdapterGetInfo(c->adapter, &info) == WGPUStatus_Success) {
    c->facts.vendor = text(info.vendor);
    c->facts.device = text(info.device);
    c->facts.architecture = text(info.architecture);
    c->facts.backend = backend_name(info.backendType);
    c->facts.type = adapter_type_name(info.adapterType);
    w.AdapterInfoFreeMembers(info);
  }
  // Asked for a real backend, Dawn falls back to its Null one when no driver works: that adapter
  // accepts work and never runs it, so it is no device at all.
  if (backend != WGPUBackendType_Null && c->facts.backend == "Null") {
    *problem = "no WebGPU adapter runs kernels here (Dawn offers only its Null backend: no working Vulkan driver; "
               "Debian: mesa-vulkan-drivers from bookworm-backports)";
    return nullptr;
  }
  c->facts.shader_f16 = w.AdapterHasFeature(c->adapter, WGPUFeatureName_ShaderF16);
  WGPULimits adapter_limits = WGPU_LIMITS_INIT;
  if (w.AdapterGetLimits(c->adapter, &adapter_limits) != WGPUStatus_Success) adapter_limits = WGPU_LIMITS_INIT;

  Reply device_reply;
  WGPUDeviceDescriptor device = WGPU_DEVICE_DESCRIPTOR_INIT;
  device.requiredLimits = &adapter_limits;
  device.deviceLostCallbackInfo.mode = WGPUCallbackMode_AllowSpontaneous;
  device.deviceLostCallbackInfo.callback = [](WGPUDevice const*, WGPUDeviceLostReason reason, WGPUStringView message,
                                              void* u, void*) {
    if (reason == WGPUDeviceLostReason_Destroyed || reason == WGPUDeviceLostReason_CallbackCancelled) return;
    Context* self = static_cast<Context*>(u);
    const std::lock_guard<std::mutex> lock(self->errors_mu_);
    self->errors_ += "device lost: " + text(message) + "\n";
  };
  device.deviceLostCallbackInfo.userdata1 = c.get();
  device.uncapturedErrorCallbackInfo.callback = [](WGPUDevice const*, WGPUErrorType, WGPUStringView message, void* u,
                                                   void*) {
    Context* self = static_cast<Context*>(u);
    const std::lock_guard<std::mutex> lock(self->errors_mu_);
    self->errors_ += text(message) + "\n";
  };
  device.uncapturedErrorCallbackInfo.userdata1 = c.get();
  WGPURequestDeviceCallbackInfo device_cb = WGPU_REQUEST_DEVICE_CALLBACK_INFO_INIT;
  device_cb.mode = WGPUCallbackMode_WaitAnyOnly;
  device_cb.callback = [](WGPURequestDeviceStatus, WGPUDevice got, WGPUStringView message, void* u, void*) {
    static_cast<Reply*>(u)->object = got;
    static_cast<Reply*>(u)->message = text(message);
  };
  device_cb.userdata1 = &device_reply;
  c->wait(w.AdapterRequestDevice(c->adapter, &device, device_cb));
  c->device = static_cast<WGPUDevice>(device_reply.object);
  if (!c->device) {
    *problem = "the WebGPU adapter " + c->facts.device + " gave no device: " + device_reply.message;
    return nullptr;
  }
  c->limits = adapter_limits;
  c->queue = w.DeviceGetQueue(c->device);
  return c;
}

Context::~Context() {
  if (queue) w.QueueRelease(queue);
  if (device) w.DeviceRelease(device);
  if (adapter) w.AdapterRelease(adapter);
  if (instance) w.InstanceRelease(instance);
}

void Context::wait(WGPUFuture f) const {
  WGPUFutureWaitInfo info{f, 0};
  const WGPUWaitStatus status = w.InstanceWaitAny(instance, 1, &info, UINT64_MAX);
  if (status != WGPUWaitStatus_Success || !info.completed) throw Error("WebGPU: waiting for Dawn's callback failed");
}

WGPUComputePipeline Context::pipeline(const std::string& code, const std::string& entry, WGPUPipelineLayout layout,
                                      std::string* errors) const {
  // Shader translation failures in the backend are internal errors, the WGSL's own are validation.
  w.DevicePushErrorScope(device, WGPUErrorFilter_Validation);
  w.DevicePushErrorScope(device, WGPUErrorFilter_Internal);
  WGPUShaderSourceWGSL source = WGPU_SHADER_SOURCE_WGSL_INIT;
  source.code = view(code);
  WGPUShaderModuleDescriptor module_desc = WGPU_SHADER_MODULE_DESCRIPTOR_INIT;
  module_desc.nextInChain = &source.chain;
  WGPUShaderModule module = w.DeviceCreateShaderModule(device, &module_desc);
  std::string messages;
  WGPUCompilationInfoCallbackInfo info_cb = WGPU_COMPILATION_INFO_CALLBACK_INFO_INIT;
  info_cb.mode = WGPUCallbackMode_WaitAnyOnly;
  info_cb.callback = [](WGPUCompilationInfoRequestStatus, const WGPUCompilationInfo* info, void* u, void*) {
    if (!info) return;
    for (size_t i = 0; i < info->messageCount; ++i) {
      const WGPUCompilationMessage& m = info->messages[i];
      if (m.type != WGPUCompilationMessageType_Error) continue;
      *static_cast<std::string*>(u) +=
          "line " + std::to_string(m.lineNum) + ":" + std::to_string(m.linePos) + ": " + text(m.message) + "\n";
    }
  };
  info_cb.userdata1 = &messages;
  wait(w.ShaderModuleGetCompilationInfo(module, info_cb));
  WGPUComputePipelineDescriptor pipeline_desc = WGPU_COMPUTE_PIPELINE_DESCRIPTOR_INIT;
  pipeline_desc.layout = layout;
  pipeline_desc.compute.module = module;
  pipeline_desc.compute.entryPoint = view(entry);
  WGPUComputePipeline pipeline = w.DeviceCreateComputePipeline(device, &pipeline_desc);
  std::string scoped;
  WGPUPopErrorScopeCallbackInfo scope_cb = WGPU_POP_ERROR_SCOPE_CALLBACK_INFO_INIT;
  scope_cb.mode = WGPUCallbackMode_WaitAnyOnly;
  scope_cb.callback = [](WGPUPopErrorScopeStatus, WGPUErrorType type, WGPUStringView m, void* u, void*) {
    if (type != WGPUErrorType_NoError) *static_cast<std::string*>(u) += text(m) + "\n";
  };
  scope_cb.userdata1 = &scoped;
  wait(w.DevicePopErrorScope(device, scope_cb));
  wait(w.DevicePopErrorScope(device, scope_cb));
  if (module) w.ShaderModuleRelease(module);
  if (messages.empty() && scoped.empty() && pipeline) return pipeline;
  if (pipeline) w.ComputePipelineRelease(pipeline);
  *errors = messages.empty() ? scoped : messages;
  if (errors->empty()) *errors = "Dawn made no pipeline and said nothing\n";
  return nullptr;
}

std::string Context::take_errors() {
  const std::lock_guard<std::mutex> lock(errors_mu_);
  return std::exchange(errors_, std::string());
}

}  // namespace anneal::webgpu
