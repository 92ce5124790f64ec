// Tensor creation: host data becomes a realized BUFFER; constants stay lazy broadcasts.
#include <atomic>
#include <cstring>

#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/device.h"
#include "anneal/runtime/host_memory.h"
#include "anneal/tensor/tensor.h"
#include "anneal/uop/graph.h"
#include "tensor_internal.h"

namespace anneal {
namespace {

template <class T>
DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return dtypes::float32;
  else if constexpr (std::is_same_v<T, double>) return dtypes::float64;
  else if constexpr (std::is_same_v<T, int32_t>) return dtypes::int32;
  else if constexpr (std::is_same_v<T, int64_t>) return dtypes::int64;
  else if constexpr (std::is_same_v<T, uint8_t>) return dtypes::uint8;
  else return dtypes::bool_;
}

}  // namespace

void check_shape(const Shape& shape, const char* op) {
  for (const Dim& d : shape)
    check(d.vmin() >= 0, [&] { return std::string(op) + ": negative dimension in shape " + shape_str(shape); });
}

// Host data for a shape: a symbolic one holds its bound values' elements, stored at the front of a
// buffer sized for the variables' maxima (so that every value shares one graph structure).
UOp host_buffer(const void* data, const Shape& shape, DType dtype, const std::string& device, const char* op) {
  check_shape(shape, op);
  const int64_t n = bound_numel(shape), capacity = max_numel(shape);
  check(data != nullptr || n == 0, std::string(op) + ": null data pointer");
  UOp buf = new_buffer(device, capacity, dtype);
  if (n == capacity) {
    upload(buf, data);
  } else {
    std::vector<uint8_t> staging(size_t(capacity) * size_t(dtype.itemsize()), 0);
    if (n > 0) std::memcpy(staging.data(), data, size_t(n) * size_t(dtype.itemsize()));
    upload(buf, staging.data());
  }
  return buf.view_as(shape);
}

UOp new_buffer(const std::string& device, int64_t size, DType dtype) {
  check(cpu_supports(dtype), [&] { return "dtype " + std::string(dtype.name()) + " cannot be stored in a buffer yet"; });
  UOp buffer = UOp::buffer(canonical_device(device), size, dtype);
  const BufferArg* arg = buffer.arg().as<BufferArg>();
  arg->storage = allocate(arg->device, size_t(size) * size_t(dtype.itemsize()));
  return buffer;
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& data, Shape shape, const std::string& device) {
  check_shape(shape, "from_vector");
  check(int64_t(data.size()) == bound_numel(shape), [&] {
    return "from_vector: " + std::to_string(data.size()) + " values do not fill shape " + shape_str(shape);
  });
  const DType dt = dtype_of<T>();
  std::vector<uint8_t> staging(data.size() * size_t(dt.itemsize()));
  if constexpr (std::is_same_v<T, bool>) {
    std::vector<uint8_t> bytes(data.begin(), data.end());
    write_elements(staging.data(), dt, bytes.data(), bytes.size());
  } else {
    write_elements(staging.data(), dt, data.data(), data.size());
  }
  return Tensor(host_buffer(staging.data(), shape, dt, device, "from_vector"));
}
template Tensor Tensor::from_vector<float>(const std::vector<float>&, Shape, const std::string&);
template Tensor Tensor::from_vector<double>(const std::vector<double>&, Shape, const std::string&);
template Tensor Tensor::from_vector<int32_t>(const std::vector<int32_t>&, Shape, const std::string&);
template Tensor Tensor::from_vector<int64_t>(const std::vector<int64_t>&, Shape, const std::string&);
template Tensor Tensor::from_vector<uint8_t>(const std::vector<uint8_t>&, Shape, const std::string&);
template Tensor Tensor::from_vector<bool>(const std::vector<bool>&, Shape, const std::string&);

Tensor Tensor::from_blob(const void* data, Shape shape, DType dtype, const std::string& device) {
  return Tensor(host_buffer(data, shape, dtype, device, "from_blob"));
}

Tensor Tensor::empty(Shape shape, DType dtype, const std::string& device) {
  check_shape(shape, "empty");
  return Tensor(new_buffer(device, max_numel(shape), dtype).view_as(shape));
}

Tensor Tensor::scalar(const Dim& d, DType dtype) {
  if (d.is_const()) return Tensor(broadcast_const(dtype, double(d.value()), {}));
  return Tensor(d.uop().cast(dtype));
}

Tensor Tensor::filled(Shape shape, double value, DType dtype, const std::string& device) {
  check_shape(shape, "filled");
  const size_t n = size_t(anneal::numel(shape)), item = size_t(dtype.itemsize());
  const UOp buf = new_buffer(device, int64_t(n), dtype);  // zeroed
  if (value != 0.0 && n > 0) {
    std::vector<uint8_t> bytes(n * item);
    write_elements(bytes.data(), dtype, &value, 1);
    for (size_t i = 1; i < n; ++i) std::memcpy(bytes.data() + i * item, bytes.data(), item);
    upload(buf, bytes.data());
  }
  return Tensor(buf.view_as(shape));
}

Tensor Tensor::full(Shape shape, double value, DType dtype) {
  check_shape(shape, "full");
  return Tensor(broadcast_const(dtype, value, shape));
}

Tensor Tensor::arange(const Dim& stop, DType dtype) {
  if (stop.is_const()) return arange(0, stop.value(), 1, dtype);
  return arange(0, stop.vmax(), 1, dtype).shrink({{0, stop}});
}

Tensor Tensor::arange(int64_t start, int64_t stop, int64_t step, DType dtype) {
  check(step != 0, "arange: step must not be zero");
  const int64_t n = std::max<int64_t>(0, (stop - start + step - (step > 0 ? 1 : -1)) / step);
  // ARANGE lowers to the loop index of its axis: no buffer, and a comparison against it (one_hot,
  // gather, an embedding) stays visible to the kernel rewrites, which turn such a sum into one load.
  Tensor t(UOp::make(Ops::ARANGE, dtype, {}, Arg(Arg::Tuple{n})));
  if (step != 1) t = t * Tensor::full({}, double(step), dtype);
  if (start != 0) t = t + Tensor::full({}, double(start), dtype);
  return t;
}

template <class T>
Tensor host_values(const std::vector<T>& values, Shape shape, DType dtype) {
  std::vector<uint8_t> bytes(values.size() * size_t(dtype.itemsize()));
  write_elements(bytes.data(), dtype, values.data(), values.size());
  return Tensor::from_blob(bytes.data(), std::move(shape), dtype);
}
template Tensor host_values<float>(const std::vector<float>&, Shape, DType);
template Tensor host_values<double>(const std::vector<double>&, Shape, DType);
template Tensor host_values<int64_t>(const std::vector<int64_t>&, Shape, DType);

Tensor Tensor::eye(int64_t n, DType dtype) {
  check(n >= 0, "eye: negative size");
  // Row i is 1 at column i: a (n, n+1) pattern [1, 0 x n] reshaped from a padded ones column.
  Tensor col = Tensor::ones({n, 1}, dtype).pad({{0, 0}, {0, n}});
  return col.reshape({n * (n + 1)}).shrink({{0, n * n}}).reshape({n, n});
}

std::string Tensor::device() const {
  for (const UOp& u : toposort(uop()))
    if (const auto* b = u.arg().as<BufferArg>()) return b->device;
  return default_device();  // constants are computed where they are used
}

Tensor Tensor::to(const std::string& device) const {
  const std::string target = canonical_device(device);
  if (this->device() == target) return *this;
  Tensor src = *this;
  src.realize();
  const UOp from = view_buffer(src.uop());
  const auto* arg = from.arg().as<BufferArg>();
  const UOp buf = new_buffer(target, arg->size, dtype());
  copy_between(target, buf.arg().as<BufferArg>()->storage.get(), arg->device, arg->storage.get(),
               size_t(arg->size) * size_t(dtype().itemsize()));
  return Tensor(buf.view_as(shape()));
}

void Tensor::move_to(const std::string& device) {
  check(defined(), "move_to: uninitialised tensor");
  s_->set_uop(to(device).uop());
}

}  // namespace anneal
