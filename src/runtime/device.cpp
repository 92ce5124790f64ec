#include "anneal/runtime/device.h"

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>

#include "anneal/runtime/profile.h"
#include "anneal/support/error.h"
#include "anneal/support/settings.h"
#include "device_registry.h"

namespace anneal {
namespace {

std::string upper(const std::string& s) {
  std::string u;
  for (char c : s) u += char(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

}  // namespace

void Kernel::launch(void* const* bufs) const {
  if (!profiling()) return run(bufs);
  const double ms = device_->time_ms([&] { run(bufs); });
  record_kernel_time(device_->name(), name_, ms);
}

double Device::time_ms(FunctionRef<void()> work) {
  synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  work();
  synchronize();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

std::string canonical_device(const std::string& name) {
  if (name.empty()) return default_device();
  const std::string u = upper(name);
  if (u == "CPU" || u == "CPU:0") return "CPU";
  if (u == "AUTO") return cuda_usable() ? "CUDA" : "CPU";
  if (u == "CUDA" || u == "CUDA:0" || u == "GPU") return "CUDA";
  if (u == "WEBGPU" || u == "WEBGPU:0") return "WEBGPU";
  if (u.rfind("CUDA:", 0) == 0 && u.size() > 5 && u.find_first_not_of("0123456789", 5) == std::string::npos &&
      u.size() < 9)
    return "CUDA:" + std::to_string(std::stoi(u.substr(5)));
  throw Error("unknown device '" + name + "' (available: CPU, CUDA, CUDA:N, WEBGPU, auto)");
}

namespace {
std::mutex default_mu;
std::string& default_name() {
  static std::string name = [] {
    const std::string env = settings::device.get();
    try {
      return canonical_device(env);
    } catch (const Error& e) {
      throw Error(std::string("ANNEAL_DEVICE: ") + e.what());
    }
  }();
  return name;
}
}  // namespace

std::string default_device() {
  std::lock_guard<std::mutex> lock(default_mu);
  return default_name();
}

void set_default_device(const std::string& name) {
  Device& d = get_device(name);  // fails here, with the reason, if it is not usable
  std::lock_guard<std::mutex> lock(default_mu);
  default_name() = d.name();
}

Device& get_device(const std::string& name) {
  static std::mutex mu;
  static auto& devices = *new std::map<std::string, std::unique_ptr<Device>>();  // immortal: buffers outlive main
  const std::string canonical = canonical_device(name);
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<Device>& d = devices[canonical];
  if (!d) d = open_device(canonical);
  return *d;
}

void copy_between(const std::string& dst_device, void* dst, const std::string& src_device, const void* src,
                  size_t bytes) {
  if (bytes == 0) return;
  Device& to = get_device(dst_device);
  Device& from = get_device(src_device);
  if (&to == &from) return to.copy_on_device(dst, src, bytes);
  if (to.name() == "CPU") return from.copy_to_host(dst, src, bytes);
  if (from.name() == "CPU") return to.copy_from_host(dst, src, bytes);
  std::vector<unsigned char> staging(bytes);
  from.copy_to_host(staging.data(), src, bytes);
  to.copy_from_host(dst, staging.data(), bytes);
}

}  // namespace anneal
