// Host copies of a BUFFER node's storage, on whatever device it lives.
#pragma once
#include <cstdint>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

// All of the buffer's bytes.
std::vector<uint8_t> download(const UOp& buffer);
// Overwrites all of the buffer's bytes from `host`.
void upload(const UOp& buffer, const void* host);

}  // namespace anneal
