// UOp: the one IR node of anneal — immutable, hash-consed, reference counted.
//
// A node is (op, dtype, srcs, arg, tag). Nodes are created only through the intern table, so two
// structurally equal nodes are the same object and equality is pointer identity. A `UOp` is a
// counted handle; when the last handle to a node goes, the node leaves the table and releases its
// sources (iteratively: dropping a million-node chain does not recurse).
//
// Every node carries a structural key: a 128-bit content hash of (op, dtype, arg, tag, source keys).
// It never depends on addresses or creation order, so it is identical in every process and keys
// the on-disk caches.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "anneal/support/error.h"
#include "anneal/support/hash.h"
#include "anneal/uop/arg.h"
#include "anneal/uop/dtype.h"
#include "anneal/uop/ops.h"

namespace anneal {

class UOp;
class Dim;
namespace detail {
class UOpNode;
void retain(const UOpNode* n) noexcept;
void release(const UOpNode* n) noexcept;
void delete_shape(const void* shape) noexcept;  // uop/shape.cpp: frees a cached Shape
}  // namespace detail

// Interval bounds of an integer or bool value (floats report their dtype's full range).
struct Bounds {
  i128 lo, hi;
};

class UOp {
 public:
  UOp() = default;
  UOp(const UOp& o) noexcept : n_(o.n_) {
    if (n_) detail::retain(n_);
  }
  UOp(UOp&& o) noexcept : n_(o.n_) { o.n_ = nullptr; }
  UOp& operator=(const UOp& o) noexcept {
    if (o.n_) detail::retain(o.n_);
    if (n_) detail::release(n_);
    n_ = o.n_;
    return *this;
  }
  UOp& operator=(UOp&& o) noexcept {
    if (this != &o) {
      if (n_) detail::release(n_);
      n_ = o.n_;
      o.n_ = nullptr;
    }
    return *this;
  }
  ~UOp() {
    if (n_) detail::release(n_);
  }

  explicit operator bool() const { return n_ != nullptr; }
  const detail::UOpNode* get() const { return n_; }
  friend bool operator==(const UOp& a, const UOp& b) { return a.n_ == b.n_; }
  friend bool operator!=(const UOp& a, const UOp& b) { return a.n_ != b.n_; }

  // ---- fields --------------------------------------------------------------------------------------
  Ops op() const;
  DType dtype() const;
  const Arg& arg() const;
  uint32_t tag() const;
  std::span<const UOp> srcs() const;
  const UOp& src(size_t i) const { return srcs()[i]; }
  size_t num_srcs() const { return srcs().size(); }
  const Key128& key() const;

  // ---- derived -------------------------------------------------------------------------------------
  bool is(Ops o) const { return op() == o; }
  bool is_const() const { return op() == Ops::CONST; }
  bool is_invalid() const { return is_const() && const_value().is_invalid(); }
  const ConstValue& const_value() const { return *arg().as_const(); }  // requires is_const()
  int64_t ival() const { return const_value().as_int(); }              // requires is_const()
  bool is_const_int(int64_t v) const { return is_const() && const_value() == ConstValue::integer(v); }

  // Interval bounds by interval arithmetic, cached per node; computed iteratively.
  Bounds bounds() const;
  i128 vmin() const { return bounds().lo; }
  i128 vmax() const { return bounds().hi; }

  // ---- construction --------------------------------------------------------------------------------
  // The single interning entry point: every node is made here.
  static UOp make(Ops op, DType dtype, std::span<const UOp> srcs = {}, Arg arg = {}, uint32_t tag = 0);
  static UOp make(Ops op, DType dtype, std::initializer_list<UOp> srcs, Arg arg = {}, uint32_t tag = 0) {
    return make(op, dtype, std::span<const UOp>(srcs.begin(), srcs.size()), std::move(arg), tag);
  }

  // A constant of `dtype`; the value is converted to the dtype (ints wrap, floats round).
  static UOp constant(DType dtype, ConstValue v);
  static UOp int_const(int64_t v, DType dtype = dtypes::weakint) { return constant(dtype, ConstValue::integer(v)); }
  static UOp bool_const(bool v) { return constant(dtypes::bool_, ConstValue::boolean(v)); }
  static UOp float_const(double v, DType dtype = dtypes::weakfloat) { return constant(dtype, ConstValue::floating(v)); }
  static UOp invalid();
  // The value a reduction by `op` (ADD, MUL, MAX) starts from: what it gives over no elements.
  static UOp reduce_identity(Ops op, DType dtype);
  // A symbolic integer `name` in [lo, hi].
  static UOp variable(const std::string& name, int64_t lo, int64_t hi, DType dtype = dtypes::weakint);
  // A BUFFER of `size` elements on `device` (a canonical name), with a process-unique id and no
  // storage yet (the runtime or the memory planner gives it some).
  static UOp buffer(const std::string& device, int64_t size, DType dtype);
  // This node (a flat buffer) seen with `shape`: itself when the shape is already that, else a RESHAPE.
  // A symbolic shape sees the first elements of a buffer sized for its variables' maxima.
  UOp view_as(const std::vector<Dim>& shape) const;  // a Shape (uop/shape.h)

  UOp const_like(int64_t v) const { return constant(dtype(), ConstValue::integer(v)); }
  UOp const_like(const ConstValue& v) const { return constant(dtype(), v); }
  UOp replace_srcs(std::span<const UOp> srcs) const;
  UOp with_tag(uint32_t tag) const;

  // ALU builders; the result dtype is derived (comparisons -> bool, otherwise the promotion of the sources).
  UOp alu(Ops op) const;
  UOp alu(Ops op, const UOp& other) const;
  UOp cast(DType d) const;
  UOp where(const UOp& t, const UOp& f) const;  // *this is the condition
  UOp maximum(const UOp& o) const { return alu(Ops::MAX, o); }
  UOp minimum(const UOp& o) const;  // -max(-a, -b)
  UOp lt(const UOp& o) const { return alu(Ops::CMPLT, o); }
  UOp ne(const UOp& o) const { return alu(Ops::CMPNE, o); }
  UOp eq(const UOp& o) const { return ne(o).logical_not(); }
  UOp logical_not() const { return ne(bool_const(true)); }
  UOp floordiv(const UOp& o) const { return alu(Ops::FLOORDIV, o); }
  UOp floordiv(int64_t c) const { return floordiv(const_like(c)); }
  UOp lt(int64_t c) const { return lt(const_like(c)); }
  UOp ne(int64_t c) const { return ne(const_like(c)); }

 private:
  friend void detail::release(const detail::UOpNode*) noexcept;
  friend class InternTable;
  explicit UOp(const detail::UOpNode* n) : n_(n) {}  // adopts one reference
  const detail::UOpNode* n_ = nullptr;
};

// Arithmetic sugar over the ALU builders (index math reads like math). Integer literals become
// constants of the other operand's dtype. `%` is floor modulo (FLOORMOD), as in Python.
UOp operator+(const UOp& a, const UOp& b);
UOp operator*(const UOp& a, const UOp& b);
UOp operator-(const UOp& a, const UOp& b);  // a + b*-1
UOp operator-(const UOp& a);                // a*-1
UOp operator%(const UOp& a, const UOp& b);
UOp operator&(const UOp& a, const UOp& b);
UOp operator|(const UOp& a, const UOp& b);
UOp operator^(const UOp& a, const UOp& b);
inline UOp operator+(const UOp& a, int64_t c) { return a + a.const_like(c); }
inline UOp operator+(int64_t c, const UOp& a) { return a.const_like(c) + a; }
inline UOp operator*(const UOp& a, int64_t c) { return a * a.const_like(c); }
inline UOp operator*(int64_t c, const UOp& a) { return a.const_like(c) * a; }
inline UOp operator-(const UOp& a, int64_t c) { return a - a.const_like(c); }
inline UOp operator%(const UOp& a, int64_t c) { return a % a.const_like(c); }

namespace detail {

class UOpNode {
 public:
  UOpNode(Ops op, DType dtype, Arg arg, uint32_t tag, uint32_t nsrc, Key128 key)
      : op_(op), dtype_(dtype), tag_(tag), nsrc_(nsrc), key_(key), arg_(std::move(arg)) {}
  UOp* src_storage() { return reinterpret_cast<UOp*>(this + 1); }
  const UOp* src_storage() const { return reinterpret_cast<const UOp*>(this + 1); }

  ~UOpNode() {
    if (const void* s = shape_.load(std::memory_order_relaxed)) delete_shape(s);
  }

  mutable std::atomic<uint32_t> refs_{1};
  Ops op_;
  DType dtype_;
  // Caches filled on first use. Threads whose graphs share this node may fill them at once, so each
  // is published atomically: a reader sees either nothing or the whole value, never half of it.
  mutable std::atomic<uint8_t> bounds_state_{0};  // bounds.cpp: none, being written, ready
  uint32_t tag_;
  uint32_t nsrc_;
  Key128 key_;
  Arg arg_;
  mutable Bounds bounds_{0, 0};
  mutable std::atomic<const void*> shape_{nullptr};  // tensor-level Shape (shape_of); owned
};

}  // namespace detail

inline Ops UOp::op() const { return n_->op_; }
inline DType UOp::dtype() const { return n_->dtype_; }
inline const Arg& UOp::arg() const { return n_->arg_; }
inline uint32_t UOp::tag() const { return n_->tag_; }
inline std::span<const UOp> UOp::srcs() const { return {n_->src_storage(), n_->nsrc_}; }
inline const Key128& UOp::key() const { return n_->key_; }

// Number of live nodes in the intern table (for tests and diagnostics).
size_t live_uop_count();

}  // namespace anneal

template <>
struct std::hash<anneal::UOp> {
  size_t operator()(const anneal::UOp& u) const noexcept { return std::hash<const void*>{}(u.get()); }
};
