// anneal::Tensor — a lazy handle over a UOp graph. Nothing computes until realize() or a read.
//
// Elementwise ops broadcast like numpy and promote dtypes through the lattice of dtype.h; scalar
// operands are weak (they adopt the tensor's dtype). Movement ops never copy: they become index
// arithmetic when the scheduler lowers the graph. Misuse raises anneal::Error naming the op and shapes.
#pragma once
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "anneal/uop/shape.h"
#include "anneal/uop/uop.h"

namespace anneal {

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(UOp u) : s_(std::make_shared<State>(std::move(u))) {}

  // ---- creation (device "" is the default device: see runtime/device.h) -------------------------------
  template <class T>
  static Tensor from_vector(const std::vector<T>& data, Shape shape, const std::string& device = "");
  static Tensor of(std::initializer_list<float> data, Shape shape) { return from_vector(std::vector<float>(data), std::move(shape)); }
  // Copies `count` elements of `dtype` from host memory.
  static Tensor from_blob(const void* data, Shape shape, DType dtype, const std::string& device = "");
  static Tensor full(Shape shape, double value, DType dtype = dtypes::float32);
  static Tensor zeros(Shape shape, DType dtype = dtypes::float32) { return full(std::move(shape), 0.0, dtype); }
  static Tensor ones(Shape shape, DType dtype = dtypes::float32) { return full(std::move(shape), 1.0, dtype); }
  static Tensor empty(Shape shape, DType dtype = dtypes::float32, const std::string& device = "");
  // A realized buffer of `value` everywhere, written from the host: no kernel is compiled for it (how
  // parameters that start constant and optimizer state begin; `full(...).realize()` compiles a fill).
  static Tensor filled(Shape shape, double value, DType dtype = dtypes::float32, const std::string& device = "");
  static Tensor arange(int64_t stop, DType dtype = dtypes::int32) { return arange(0, stop, 1, dtype); }
  static Tensor arange(int64_t start, int64_t stop, int64_t step, DType dtype = dtypes::int32);
  // 0, 1, ... stop - 1 for a symbolic stop: the first values of arange(its maximum).
  static Tensor arange(const Dim& stop, DType dtype = dtypes::int32);
  static Tensor eye(int64_t n, DType dtype = dtypes::float32);
  // A dimension's value as a scalar; a symbolic one takes its bound value at realize.
  static Tensor scalar(const Dim& d, DType dtype = dtypes::float32);
  // Seeded with manual_seed (random.h); every call is a new draw.
  static Tensor rand(Shape shape, DType dtype = dtypes::float32);   // uniform [0, 1)
  static Tensor randn(Shape shape, DType dtype = dtypes::float32);  // standard normal
  static Tensor randint(Shape shape, int64_t low, int64_t high, DType dtype = dtypes::int32);  // [low, high)

  // ---- properties ------------------------------------------------------------------------------------
  // A Tensor is a handle: copies share the value, the gradient and the requires_grad flag, and
  // realize() re-points every copy at the new buffer.
  const UOp& uop() const;
  bool defined() const { return s_ && bool(s_->uop); }
  const Shape& shape() const { return shape_of(uop()); }
  DType dtype() const { return uop().dtype(); }
  std::string device() const;  // of the buffers it reads; constants belong to the default device
  // A copy on `device` ("CPU", "CUDA", "auto"...): realizes this tensor, then copies its buffer (this
  // tensor itself if it is already there). Not differentiable: move parameters before training.
  Tensor to(const std::string& device) const;
  // Re-points this tensor (and every handle sharing it) at its copy on `device`; for parameters.
  void move_to(const std::string& device);
  int64_t ndim() const { return int64_t(shape().size()); }
  int64_t numel() const { return anneal::numel(shape()); }

  // ---- elementwise -----------------------------------------------------------------------------------
  Tensor operator-() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor exp2() const;
  Tensor log2() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor reciprocal() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor gelu() const;  // tanh approximation
  Tensor abs() const;
  Tensor pow(const Tensor& e) const;
  Tensor pow(double e) const;
  Tensor maximum(const Tensor& o) const;
  Tensor minimum(const Tensor& o) const;
  Tensor lt(const Tensor& o) const;
  Tensor gt(const Tensor& o) const;
  Tensor le(const Tensor& o) const;
  Tensor ge(const Tensor& o) const;
  Tensor eq(const Tensor& o) const;
  Tensor ne(const Tensor& o) const;
  Tensor logical_not() const;
  Tensor where(const Tensor& t, const Tensor& f) const;  // *this is the condition
  Tensor cast(DType d) const;
  Tensor scalar_like(double v) const;  // a weak scalar adopting this tensor's dtype, broadcastable

  // ---- movement --------------------------------------------------------------------------------------
  Tensor reshape(Shape shape) const;                 // one -1 is inferred
  Tensor permute(std::vector<int64_t> order) const;
  Tensor transpose(int64_t a = -2, int64_t b = -1) const;
  Tensor expand(Shape shape) const;                  // -1 keeps a dim
  Tensor pad(std::vector<std::pair<Dim, Dim>> padding, double value = 0.0) const;
  Tensor shrink(std::vector<std::pair<Dim, Dim>> ranges) const;  // [start, end) per axis
  Tensor slice(int64_t axis, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor flip(std::vector<int64_t> axes) const;
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor unsqueeze(int64_t axis) const;
  Tensor squeeze(int64_t axis) const;
  static Tensor cat(const std::vector<Tensor>& ts, int64_t axis = 0);
  static Tensor stack(const std::vector<Tensor>& ts, int64_t axis = 0);
  Tensor contiguous() const;

  // ---- reductions ------------------------------------------------------------------------------------
  Tensor sum(std::vector<int64_t> axes = {}, bool keepdim = false) const;  // {} = all axes
  Tensor max(std::vector<int64_t> axes = {}, bool keepdim = false) const;
  Tensor min(std::vector<int64_t> axes = {}, bool keepdim = false) const;
  Tensor mean(std::vector<int64_t> axes = {}, bool keepdim = false) const;
  Tensor softmax(int64_t axis = -1) const;
  Tensor log_softmax(int64_t axis = -1) const;
  Tensor matmul(const Tensor& o) const;
  Tensor var(std::vector<int64_t> axes = {}, bool keepdim = false, int64_t correction = 1) const;
  Tensor argmax(int64_t axis, bool keepdim = false) const;  // int32, first maximum
  Tensor cumsum(int64_t axis) const;

  // ---- windows and indexing ----------------------------------------------------------------------
  // x (N, C, H, W), weight (O, C/groups, KH, KW), bias (O) or an empty Tensor.
  Tensor conv2d(const Tensor& weight, const Tensor& bias = Tensor(), std::pair<int64_t, int64_t> stride = {1, 1},
                std::pair<int64_t, int64_t> padding = {0, 0}, std::pair<int64_t, int64_t> dilation = {1, 1},
                int64_t groups = 1) const;
  Tensor max_pool2d(std::pair<int64_t, int64_t> kernel, std::pair<int64_t, int64_t> stride = {0, 0},
                    std::pair<int64_t, int64_t> padding = {0, 0}) const;  // stride {0,0} = kernel
  Tensor avg_pool2d(std::pair<int64_t, int64_t> kernel, std::pair<int64_t, int64_t> stride = {0, 0},
                    std::pair<int64_t, int64_t> padding = {0, 0}) const;
  // out[..., j, ...] = self[..., index[..., j, ...], ...] along `axis`; index is an integer tensor.
  Tensor gather(int64_t axis, const Tensor& index) const;
  Tensor one_hot(int64_t num_classes) const;  // int32
  // The sliding windows of one axis: that axis becomes the output positions and a new last axis
  // holds the kernel offsets. Pure movement ops: no copy.
  Tensor windows(int64_t axis, int64_t kernel, int64_t stride, int64_t dilation) const;

  // ---- autodiff (gradient.h has the rules) -------------------------------------------------------
  Tensor& requires_grad(bool on = true);  // marks a parameter: backward() fills its grad()
  bool requires_grad_enabled() const { return s_ && s_->requires_grad; }
  Tensor grad() const;                     // empty (defined() == false) until backward() ran
  void zero_grad();
  // d(this)/d(every requires_grad tensor in this graph), accumulated into their grad(). `this` must
  // hold one element.
  void backward();
  Tensor detach() const;  // the same value, through which no gradient flows
  // Gives this handle (and every copy of it) the value of `v`, lazily: the next realize computes it.
  // Shapes and dtypes must match. Optimizers update parameters this way.
  Tensor& assign(const Tensor& v);

  // ---- realization -----------------------------------------------------------------------------------
  Tensor& realize();
  // Reads realize first; a handle's value never changes by realizing, so reads are const.
  template <class T>
  std::vector<T> to_vector() const;
  template <class T>
  T item() const;
  // The value's bytes as stored, in its dtype, row-major (exact for every dtype: no conversion).
  std::vector<uint8_t> host_bytes() const;

 private:
  friend void realize(std::vector<Tensor*> tensors);
  friend class Jit;
  friend Tensor operator+(const Tensor& a, const Tensor& b);
  friend Tensor operator*(const Tensor& a, const Tensor& b);
  Tensor reduce(Ops op, std::vector<int64_t> axes, bool keepdim, const char* name) const;
  Tensor binary(Ops op, const Tensor& o, const char* name) const;
  // The map that reverses the order of the dtype's values exactly (min is max under it).
  Tensor order_reversed() const;
  friend class AutodiffRegistry;  // autodiff.cpp: the live parameters and realized graphs
  struct State {
    explicit State(UOp u) : node(u.get()), uop(std::move(u)) {}
    // Points this handle at a new value. backward() in any thread scans every parameter for those its
    // graph reaches, reading `node` and `requires_grad` (atomics) but never `uop`, which only the
    // tensor's own thread touches.
    void set_uop(UOp u) {
      node.store(u.get(), std::memory_order_release);
      uop = std::move(u);
    }
    std::atomic<const void*> node;
    UOp uop;
    std::shared_ptr<Tensor> grad;
    std::atomic<bool> requires_grad{false};
  };
  std::shared_ptr<State> s_;
};

// Operators broadcast and promote; scalars are weak.
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);

// d(loss)/d(param) for each param, as lazy tensors (loss must hold one element).
std::vector<Tensor> gradient(const Tensor& loss, const std::vector<Tensor>& params);

// Kernels run by this process so far (for reports such as kernels per training step).
size_t kernels_run();

// Realizes several tensors in one schedule.
void realize(std::vector<Tensor*> tensors);

// Host values of a realized, contiguous buffer graph, converted to double (used by to_vector).
std::vector<double> read_realized(const UOp& buffer_view);

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor handle = *this;  // shares this tensor's state, so the realization is shared too
  handle.realize();
  std::vector<double> v = read_realized(handle.uop());
  return std::vector<T>(v.begin(), v.end());
}

template <class T>
T Tensor::item() const {
  std::vector<T> v = to_vector<T>();
  if (v.size() != 1) throw Error("item: tensor of shape " + shape_str(shape()) + " has " + std::to_string(v.size()) + " elements");
  return v[0];
}

}  // namespace anneal
