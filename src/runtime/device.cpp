#include "anneal/runtime/device.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <new>

#include "anneal/support/error.h"

namespace anneal {

std::string canonical_device(const std::string& name) {
  std::string upper;
  for (char c : name) upper += char(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "CPU" || upper == "CPU:0") return "CPU";
  throw Error("unknown device '" + name + "' (available: CPU)");
}

std::shared_ptr<void> allocate(const std::string& device, size_t bytes) {
  canonical_device(device);
  const size_t rounded = ((bytes + 63) / 64) * 64 + 64;  // never zero; room for vector over-reads
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw Error("allocate: out of memory for " + std::to_string(bytes) + " bytes on " + device);
  std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace anneal
