// Host copies of a BUFFER node's storage, on whatever device it lives.
#pragma once
#include <cstdint>
#include <vector>

#include "anneal/uop/uop.h"

namespace anneal {

// The node under a chain of RESHAPEs: the BUFFER when `view` is a realized, contiguous tensor.
// A symbolic value's view is RESHAPE(SHRINK(BUFFER, 0..n)): the front of a buffer sized for the maxima.
inline UOp view_buffer(UOp view) {
  while (view.is(Ops::RESHAPE)) view = view.src(0);
  if (view.is(Ops::SHRINK) && view.src(0).is(Ops::BUFFER) && view.arg().as_tuple() == nullptr) view = view.src(0);
  return view;
}

// All of the buffer's bytes.
std::vector<uint8_t> download(const UOp& buffer);
// Overwrites all of the buffer's bytes from `host`.
void upload(const UOp& buffer, const void* host);

}  // namespace anneal
