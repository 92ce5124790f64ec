#pragma once
#include <memory>

#include "anneal/runtime/device.h"

namespace anneal {
std::unique_ptr<Device> open_cpu_device();
}  // namespace anneal
