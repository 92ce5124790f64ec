// Devices: memory, copies, compiled kernels. A device is named "CPU", "CUDA" (= "CUDA:0"), "CUDA:1"...;
// "auto" picks CUDA when it is usable, else the CPU; "" means the default device (ANNEAL_DEVICE, else
// CPU). Buffer storage is type-erased: on the CPU it is host memory, on CUDA a device address.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "anneal/codegen/target.h"
#include "anneal/render/program.h"
#include "anneal/support/function_ref.h"

namespace anneal {

class Device;

// A compiled kernel; `bufs` holds the storage bound to each PARAM slot.
class Kernel {
 public:
  Kernel(std::string name, Device& device) : name_(std::move(name)), device_(&device) {}
  virtual ~Kernel() = default;
  // Queues the kernel; with ANNEAL_PROFILE=1 it also waits for it and records its time (profile.h).
  void launch(void* const* bufs) const;
  const std::string& name() const { return name_; }
  Device& device() const { return *device_; }

 protected:
  virtual void run(void* const* bufs) const = 0;

 private:
  std::string name_;
  Device* device_;
};

class Device {
 public:
  explicit Device(std::string name) : name_(std::move(name)) {}
  virtual ~Device() = default;
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& name() const { return name_; }
  // What code generation targets: the kernel language and the hardware's opts.
  virtual Target target() const = 0;
  // What tuned results depend on: the hardware model (and compiler), not just the name.
  virtual std::string fingerprint() const { return name_; }
  // Zero-filled memory, returned to the device when the last owner lets go; never null.
  virtual std::shared_ptr<void> allocate(size_t bytes) = 0;
  // Memory a kernel is about to overwrite entirely (the scheduler's outputs and intermediates): the
  // device may skip zeroing it (a 64 MiB memset costs a 4096 fp16 matmul 4% on an H200).
  virtual std::shared_ptr<void> allocate_uninitialized(size_t bytes) { return allocate(bytes); }
  virtual void copy_from_host(void* dst, const void* host, size_t bytes) = 0;
  virtual void copy_to_host(void* host, const void* src, size_t bytes) = 0;
  virtual void copy_on_device(void* dst, const void* src, size_t bytes) = 0;
  // Compiles every kernel of `program` (cached in memory and on disk); results in program order.
  virtual std::vector<std::shared_ptr<const Kernel>> compile(const ProgramSource& program) = 0;
  // Waits for all queued work.
  virtual void synchronize() {}
  // Milliseconds `work` takes on the device, queued work included (GPU events on CUDA).
  virtual double time_ms(FunctionRef<void()> work);

 private:
  std::string name_;
};

// The canonical name of a device ("cuda" -> "CUDA", "CPU:0" -> "CPU", "auto" -> what it picks); an
// unknown name is an anneal::Error. Does not check that the device works.
std::string canonical_device(const std::string& name);
// Where tensors are created when no device is named: set_default_device, else ANNEAL_DEVICE, else CPU.
std::string default_device();
// Opens `name` (an anneal::Error says why when it is not usable) and makes it the default.
void set_default_device(const std::string& name);
// The device, opened on first use; an anneal::Error says why when it is not usable.
Device& get_device(const std::string& name);

inline std::shared_ptr<void> allocate(const std::string& device, size_t bytes) {
  return get_device(device).allocate(bytes);
}
// Copies between any two devices (through the host when they differ).
void copy_between(const std::string& dst_device, void* dst, const std::string& src_device, const void* src,
                  size_t bytes);

}  // namespace anneal
