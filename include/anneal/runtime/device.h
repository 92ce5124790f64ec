// Devices and their memory. Only the CPU device exists so far; names are checked here so that every
// entry point reports an unknown device the same way.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

namespace anneal {

// "CPU" (case-insensitive, with an optional ":0") -> "CPU"; anything else is an anneal::Error.
std::string canonical_device(const std::string& name);

// Zero-initialised, 64-byte aligned device memory, freed when the last owner lets go.
std::shared_ptr<void> allocate(const std::string& device, size_t bytes);

}  // namespace anneal
