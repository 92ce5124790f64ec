#pragma once
#include <memory>
#include <string>

#include "anneal/runtime/device.h"

namespace anneal {
// Opens CUDA device `ordinal` under the name `name`; an anneal::Error says why when it cannot.
std::unique_ptr<Device> open_cuda_device(int ordinal, const std::string& name);
}  // namespace anneal
