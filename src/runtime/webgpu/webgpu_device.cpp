// The WebGPU device: one Dawn device and its queue. Kernels are WGSL compute pipelines; launches are
// recorded into one compute pass and submitted together when the host needs a result (a readback,
// a write, synchronize) or the batch is long, which is what makes small kernels affordable.
// Storage is a WGPUBuffer handle: a buffer is always bound whole, never at an offset.
#include "webgpu_device.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include "anneal/runtime/webgpu_probe.h"
#include "anneal/support/error.h"
#include "anneal/support/hash.h"
#include "webgpu_api.h"

namespace anneal {
namespace {

using namespace webgpu;

constexpr WGPUBufferUsage kStorageUsage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst;
// Launches recorded before a submit is forced: bounds how much work waits unsubmitted.
constexpr size_t kMaxBatch = 1024;

size_t round_up(size_t n, size_t m) { return (n + m - 1) / m * m; }

// Sizes are rounded so that freed blocks fit later requests, and to WebGPU's 4-byte copy unit.
size_t block_bytes(size_t bytes) {
  const size_t granule = bytes < (size_t(1) << 20) ? 256 : (size_t(1) << 20);
  return std::max(granule, round_up(bytes, granule));
}

WGPUBuffer handle(const void* p) { return static_cast<WGPUBuffer>(const_cast<void*>(p)); }

class WebGpuDevice;

class WebGpuKernel final : public Kernel {
 public:
  WebGpuKernel(WebGpuDevice& device, WGPUComputePipeline pipeline, WGPUBindGroupLayout layout, KernelEntry entry);
  WGPUComputePipeline pipeline;
  WGPUBindGroupLayout layout;
  KernelEntry entry;

 protected:
  void run(void* const* bufs) const override;
};

class WebGpuDevice final : public Device {
 public:
  explicit WebGpuDevice(Context& c) : Device("WEBGPU"), c_(c), w_(c.w) {}

  Target target() const override { return webgpu_target(); }
  std::string fingerprint() const override { return "WEBGPU " + c_.facts.device + " (" + c_.facts.backend + ")"; }

  std::shared_ptr<void> allocate(size_t bytes) override {
    bool fresh = false;
    std::shared_ptr<void> p = take_block(bytes, &fresh);
    if (!fresh) {  // new buffers are zeroed by WebGPU; reused ones are cleared in queue order
      const std::lock_guard<std::mutex> lock(mu_);
      end_pass();
      w_.CommandEncoderClearBuffer(encoder(), handle(p.get()), 0, block_bytes(bytes));
    }
    return p;
  }
  std::shared_ptr<void> allocate_uninitialized(size_t bytes) override {
    bool fresh = false;
    return take_block(bytes, &fresh);
  }

  void copy_from_host(void* dst, const void* host, size_t bytes) override {
    if (!bytes) return;
    const std::lock_guard<std::mutex> lock(mu_);
    flush();  // queue writes run at once: recorded launches that read the old contents go first
    if (bytes % 4 == 0) return w_.QueueWriteBuffer(c_.queue, handle(dst), 0, host, bytes);
    std::vector<unsigned char> padded(round_up(bytes, 4), 0);  // the tail lies in the block's rounding
    std::memcpy(padded.data(), host, bytes);
    w_.QueueWriteBuffer(c_.queue, handle(dst), 0, padded.data(), padded.size());
  }

  void copy_to_host(void* host, const void* src, size_t bytes) override {
    if (!bytes) return;
    const std::lock_guard<std::mutex> lock(mu_);
    const size_t size = round_up(bytes, 4);
    if (staging_bytes_ < size) {
      if (staging_) w_.BufferRelease(staging_);
      staging_bytes_ = block_bytes(size);
      WGPUBufferDescriptor desc = WGPU_BUFFER_DESCRIPTOR_INIT;
      desc.usage = WGPUBufferUsage_MapRead | WGPUBufferUsage_CopyDst;
      desc.size = staging_bytes_;
      staging_ = w_.DeviceCreateBuffer(c_.device, &desc);
      check(staging_ != nullptr, [&] { return "WEBGPU: no readback buffer of " + std::to_string(size) + " bytes"; });
    }
    end_pass();
    w_.CommandEncoderCopyBufferToBuffer(encoder(), handle(src), 0, staging_, 0, size);
    flush();
    WGPUMapAsyncStatus status = WGPUMapAsyncStatus_Error;
    WGPUBufferMapCallbackInfo cb = WGPU_BUFFER_MAP_CALLBACK_INFO_INIT;
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPUMapAsyncStatus s, WGPUStringView, void* u, void*) { *static_cast<WGPUMapAsyncStatus*>(u) = s; };
    cb.userdata1 = &status;
    c_.wait(w_.BufferMapAsync(staging_, WGPUMapMode_Read, 0, size, cb));
    raise_errors("reading a buffer back");
    check(status == WGPUMapAsyncStatus_Success, [] { return std::string("WEBGPU: mapping the readback buffer failed"); });
    std::memcpy(host, w_.BufferGetConstMappedRange(staging_, 0, size), bytes);
    w_.BufferUnmap(staging_);
  }

  void copy_on_device(void* dst, const void* src, size_t bytes) override {
    if (!bytes) return;
    const std::lock_guard<std::mutex> lock(mu_);
    end_pass();
    w_.CommandEncoderCopyBufferToBuffer(encoder(), handle(src), 0, handle(dst), 0, round_up(bytes, 4));
  }

  std::vector<std::shared_ptr<const Kernel>> compile(const ProgramSource& program) override {
    check(program.language == "wgsl", [&] { return name() + ": cannot compile " + program.language + " kernels"; });
    const std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::shared_ptr<const Kernel>> out;
    for (const KernelEntry& k : program.kernels) {
      Hasher h;
      h.bytes(program.prelude);
      h.bytes(k.source);
      const Key128 key = h.finish();
      auto it = pipelines_.find(key);
      if (it == pipelines_.end()) it = pipelines_.emplace(key, build_pipeline(program.prelude + "\n" + k.source, k)).first;
      out.push_back(std::make_shared<WebGpuKernel>(*this, it->second.pipeline, it->second.layout, k));
    }
    return out;
  }

  void synchronize() override {
    const std::lock_guard<std::mutex> lock(mu_);
    flush();
    WGPUQueueWorkDoneCallbackInfo cb = WGPU_QUEUE_WORK_DONE_CALLBACK_INFO_INIT;
    cb.mode = WGPUCallbackMode_WaitAnyOnly;
    cb.callback = [](WGPUQueueWorkDoneStatus, WGPUStringView, void*, void*) {};
    c_.wait(w_.QueueOnSubmittedWorkDone(c_.queue, cb));
    raise_errors("synchronize");
  }

  // Records one launch of `k` into the open compute pass.
  void dispatch(const WebGpuKernel& k, void* const* bufs) {
    const KernelEntry& e = k.entry;
    if (e.global[0] * e.global[1] * e.global[2] == 0) return;  // an empty tensor
    // WebGPU refuses a writable binding that aliases another binding of the same dispatch.
    for (size_t i = 1; i < e.buffers; ++i)
      check(bufs[i] != bufs[0], [&] {
        return "WEBGPU: kernel " + e.name + " reads the buffer it writes (slot " + std::to_string(i) +
               "), which WebGPU does not allow";
      });
    const std::lock_guard<std::mutex> lock(mu_);
    std::vector<WGPUBindGroupEntry> entries(e.buffers + (e.vars ? 1 : 0), WGPU_BIND_GROUP_ENTRY_INIT);
    for (size_t i = 0; i < e.buffers; ++i) {
      entries[i].binding = uint32_t(i);
      entries[i].buffer = handle(bufs[i]);
    }
    // The variables' values: a small buffer of this launch's own (the pass runs later, so launches in
    // one batch must not share one), released once the bind group holds it.
    WGPUBuffer values = e.vars ? variable_buffer(e, bufs + e.buffers) : nullptr;
    if (values) {
      entries.back().binding = uint32_t(e.buffers);
      entries.back().buffer = values;
    }
    WGPUBindGroupDescriptor desc = WGPU_BIND_GROUP_DESCRIPTOR_INIT;
    desc.layout = k.layout;
    desc.entryCount = entries.size();
    desc.entries = entries.data();
    WGPUBindGroup group = w_.DeviceCreateBindGroup(c_.device, &desc);
    WGPUComputePassEncoder p = pass();
    w_.ComputePassEncoderSetPipeline(p, k.pipeline);
    w_.ComputePassEncoderSetBindGroup(p, 0, group, 0, nullptr);
    w_.ComputePassEncoderDispatchWorkgroups(p, uint32_t(e.global[0]), uint32_t(e.global[1]), uint32_t(e.global[2]));
    w_.BindGroupRelease(group);  // the pass holds it until the work is done
    if (values) w_.BufferRelease(values);
    batch_.push_back(e.name);
    if (batch_.size() >= kMaxBatch) flush();
  }

 private:
  struct Pipeline {
    WGPUComputePipeline pipeline;
    WGPUBindGroupLayout layout;
  };

  // Slot 0 is the buffer a kernel writes; every other slot is only read (the WGSL renderer's
  // declarations say the same, and the layout must match them).
  Pipeline build_pipeline(const std::string& code, const KernelEntry& k) {
    check(k.buffers <= c_.limits.maxStorageBuffersPerShaderStage, [&] {
      return "WEBGPU: kernel " + k.name + " binds " + std::to_string(k.buffers) + " buffers; this adapter allows " +
             std::to_string(c_.limits.maxStorageBuffersPerShaderStage);
    });
    // Slot `buffers` (after the buffers) holds a symbolic kernel's variables.
    std::vector<WGPUBindGroupLayoutEntry> entries(k.buffers + (k.vars ? 1 : 0), WGPU_BIND_GROUP_LAYOUT_ENTRY_INIT);
    for (size_t i = 0; i < entries.size(); ++i) {
      entries[i].binding = uint32_t(i);
      entries[i].visibility = WGPUShaderStage_Compute;
      entries[i].buffer.type = i == 0 ? WGPUBufferBindingType_Storage : WGPUBufferBindingType_ReadOnlyStorage;
    }
    WGPUBindGroupLayoutDescriptor group_desc = WGPU_BIND_GROUP_LAYOUT_DESCRIPTOR_INIT;
    group_desc.entryCount = entries.size();
    group_desc.entries = entries.data();
    WGPUBindGroupLayout group = w_.DeviceCreateBindGroupLayout(c_.device, &group_desc);
    WGPUPipelineLayoutDescriptor layout_desc = WGPU_PIPELINE_LAYOUT_DESCRIPTOR_INIT;
    layout_desc.bindGroupLayoutCount = 1;
    layout_desc.bindGroupLayouts = &group;
    WGPUPipelineLayout layout = w_.DeviceCreatePipelineLayout(c_.device, &layout_desc);
    std::string errors;
    WGPUComputePipeline pipeline = c_.pipeline(code, k.name, layout, &errors);
    w_.PipelineLayoutRelease(layout);
    if (!pipeline) {
      w_.BindGroupLayoutRelease(group);
      throw Error("WEBGPU: kernel " + k.name + " does not compile:\n" + errors);
    }
    return Pipeline{pipeline, group};
  }

  // A storage buffer holding the launch's variable values as i32s (WGSL has no 64-bit integers).
  WGPUBuffer variable_buffer(const KernelEntry& e, void* const* values) {
    std::vector<int32_t> v(std::max<size_t>(e.vars, 4), 0);  // at least 16 bytes
    for (size_t j = 0; j < e.vars; ++j) {
      const int64_t x = *static_cast<const int64_t*>(values[j]);
      check(x >= INT32_MIN && x <= INT32_MAX, [&] { return "WEBGPU: kernel " + e.name + ": a variable's value " + std::to_string(x) + " needs 64 bits"; });
      v[j] = int32_t(x);
    }
    WGPUBufferDescriptor desc = WGPU_BUFFER_DESCRIPTOR_INIT;
    desc.usage = WGPUBufferUsage_Storage;
    desc.size = v.size() * sizeof(int32_t);
    desc.mappedAtCreation = true;
    WGPUBuffer b = w_.DeviceCreateBuffer(c_.device, &desc);
    std::memcpy(w_.BufferGetMappedRange(b, 0, desc.size), v.data(), desc.size);
    w_.BufferUnmap(b);
    return b;
  }

  std::shared_ptr<void> take_block(size_t bytes, bool* fresh) {
    const size_t size = block_bytes(bytes);
    WGPUBuffer b = nullptr;
    {
      const std::lock_guard<std::mutex> lock(free_mu_);
      if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
        b = it->second.back();
        it->second.pop_back();
      }
    }
    *fresh = !b;
    if (!b) {
      check(size <= c_.limits.maxStorageBufferBindingSize && size <= c_.limits.maxBufferSize, [&] {
        return "WEBGPU: a buffer of " + std::to_string(bytes >> 20) + " MiB is larger than this adapter binds (" +
               std::to_string(std::min(c_.limits.maxStorageBufferBindingSize, c_.limits.maxBufferSize) >> 20) + " MiB)";
      });
      WGPUBufferDescriptor desc = WGPU_BUFFER_DESCRIPTOR_INIT;
      desc.usage = kStorageUsage;
      desc.size = size;
      {
        const std::lock_guard<std::mutex> lock(mu_);
        b = w_.DeviceCreateBuffer(c_.device, &desc);
      }
      check(b != nullptr, [&] { return "WEBGPU: out of memory allocating " + std::to_string(size >> 20) + " MiB"; });
    }
    // Reuse needs no fence: every launch and copy runs on the one queue, in order.
    return std::shared_ptr<void>(b, [this, size](void* q) {
      const std::lock_guard<std::mutex> lock(free_mu_);
      free_[size].push_back(handle(q));
    });
  }

  WGPUCommandEncoder encoder() {
    if (!encoder_) {
      WGPUCommandEncoderDescriptor desc = WGPU_COMMAND_ENCODER_DESCRIPTOR_INIT;
      encoder_ = w_.DeviceCreateCommandEncoder(c_.device, &desc);
    }
    return encoder_;
  }
  WGPUComputePassEncoder pass() {
    if (!pass_) {
      WGPUComputePassDescriptor desc = WGPU_COMPUTE_PASS_DESCRIPTOR_INIT;
      pass_ = w_.CommandEncoderBeginComputePass(encoder(), &desc);
    }
    return pass_;
  }
  void end_pass() {
    if (!pass_) return;
    w_.ComputePassEncoderEnd(pass_);
    w_.ComputePassEncoderRelease(pass_);
    pass_ = nullptr;
  }
  // Submits what was recorded.
  void flush() {
    if (!encoder_) return;
    end_pass();
    WGPUCommandBufferDescriptor desc = WGPU_COMMAND_BUFFER_DESCRIPTOR_INIT;
    WGPUCommandBuffer commands = w_.CommandEncoderFinish(encoder_, &desc);
    w_.CommandEncoderRelease(encoder_);
    encoder_ = nullptr;
    w_.QueueSubmit(c_.queue, 1, &commands);
    w_.CommandBufferRelease(commands);
    raise_errors("submitting work");
    batch_.clear();
  }
  // Turns errors Dawn reported on its own into an anneal::Error naming the kernels involved.
  void raise_errors(const char* during) {
    const std::string errors = c_.take_errors();
    if (errors.empty()) return;
    std::string kernels;
    for (size_t i = 0; i < batch_.size() && i < 8; ++i) kernels += (i ? ", " : "") + batch_[i];
    if (batch_.size() > 8) kernels += ", ...";
    batch_.clear();
    throw Error("WEBGPU: " + errors + "(while " + during + (kernels.empty() ? "" : "; kernels: " + kernels) + ")");
  }

  Context& c_;
  const Api& w_;
  std::mutex mu_;  // Dawn's objects are not thread-safe; everything below is guarded
  WGPUCommandEncoder encoder_ = nullptr;
  WGPUComputePassEncoder pass_ = nullptr;
  std::vector<std::string> batch_;  // kernels recorded since the last submit, for error messages
  WGPUBuffer staging_ = nullptr;
  size_t staging_bytes_ = 0;
  std::map<Key128, Pipeline> pipelines_;
  std::mutex free_mu_;  // blocks come back from any thread, whenever their last owner lets go
  std::map<size_t, std::vector<WGPUBuffer>> free_;
};

WebGpuKernel::WebGpuKernel(WebGpuDevice& device, WGPUComputePipeline p, WGPUBindGroupLayout l, KernelEntry e)
    : Kernel(e.name, device), pipeline(p), layout(l), entry(std::move(e)) {}

void WebGpuKernel::run(void* const* bufs) const { static_cast<WebGpuDevice&>(device()).dispatch(*this, bufs); }

}  // namespace

std::unique_ptr<Device> open_webgpu_device() {
  std::string problem;
  Context* c = webgpu::shared_context(&problem);
  if (!c) throw Error("device WEBGPU is not usable: " + problem);
  return std::make_unique<WebGpuDevice>(*c);
}

}  // namespace anneal
