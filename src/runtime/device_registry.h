// Which devices this build can open (internal to runtime). The native build opens the CPU (a C
// compiler), CUDA GPUs (NVRTC) and WebGPU (Dawn); the WASM build, host-memory devices whose kernels
// the page runs itself (native_devices.cpp or browser_devices.cpp, chosen by CMake).
#pragma once
#include <memory>
#include <string>

#include "anneal/runtime/device.h"

namespace anneal {

// Opens the device of a canonical name; an anneal::Error says why when it cannot.
std::unique_ptr<Device> open_device(const std::string& canonical);
// Whether "auto" picks CUDA.
bool cuda_usable();

}  // namespace anneal
