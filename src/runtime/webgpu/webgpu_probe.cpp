#include "anneal/runtime/webgpu_probe.h"

#include <mutex>

#include "anneal/support/error.h"
#include "webgpu_api.h"

namespace anneal {

webgpu::Context* webgpu::shared_context(std::string* problem) {
  static std::string why;
  static Context* const context = Context::open(WGPUBackendType_Undefined, &why).release();
  if (!context && problem) *problem = why;
  return context;
}

WebGpuInfo probe_webgpu() {
  WebGpuInfo info;
  if (const webgpu::Api* a = webgpu::api(&info.problem)) info.library = a->path;
  const webgpu::Context* c = webgpu::shared_context(&info.problem);
  if (!c) return info;
  info.usable = true;
  info.vendor = c->facts.vendor;
  info.device = c->facts.device;
  info.architecture = c->facts.architecture;
  info.backend = c->facts.backend;
  info.adapter_type = c->facts.type;
  info.shader_f16 = c->facts.shader_f16;
  info.max_buffer_bytes = c->limits.maxBufferSize;
  info.max_binding_bytes = c->limits.maxStorageBufferBindingSize;
  info.max_workgroup_threads = c->limits.maxComputeInvocationsPerWorkgroup;
  info.max_workgroup_bytes = c->limits.maxComputeWorkgroupStorageSize;
  info.max_storage_buffers = c->limits.maxStorageBuffersPerShaderStage;
  return info;
}

std::string validate_wgsl(const std::string& code, const std::string& entry) {
  static std::mutex mu;
  static std::string why;
  static webgpu::Context* const context = webgpu::Context::open(WGPUBackendType_Null, &why).release();
  if (!context) throw Error("cannot validate WGSL: " + why);
  const std::lock_guard<std::mutex> lock(mu);
  std::string errors;
  WGPUComputePipeline pipeline = context->pipeline(code, entry, nullptr, &errors);
  if (pipeline) context->w.ComputePipelineRelease(pipeline);
  return errors;
}

}  // namespace anneal
