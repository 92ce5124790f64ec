#pragma once
#include <memory>

#include "anneal/runtime/device.h"

namespace anneal {
// Opens the WebGPU device (the first adapter Dawn offers); an anneal::Error says why when it cannot.
std::unique_ptr<Device> open_webgpu_device();
}  // namespace anneal
