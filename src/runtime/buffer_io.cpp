#include "anneal/runtime/buffer_io.h"

#include "anneal/runtime/device.h"

namespace anneal {

std::vector<uint8_t> download(const UOp& buffer) {
  const auto* arg = buffer.arg().as<BufferArg>();
  std::vector<uint8_t> bytes(size_t(arg->size) * size_t(buffer.dtype().itemsize()));
  if (!arg->storage) return bytes;  // no memory yet (a placeholder): zeros, as a new buffer holds
  get_device(arg->device).copy_to_host(bytes.data(), arg->storage.get(), bytes.size());
  return bytes;
}

void upload(const UOp& buffer, const void* host) {
  const auto* arg = buffer.arg().as<BufferArg>();
  if (!arg->storage) arg->storage = get_device(arg->device).allocate(size_t(arg->size) * size_t(buffer.dtype().itemsize()));
  get_device(arg->device).copy_from_host(arg->storage.get(), host, size_t(arg->size) * size_t(buffer.dtype().itemsize()));
}

}  // namespace anneal
