// The `arg` of a UOp: constants, integers, names, tuples, and richer typed payloads.
//
// Args are part of a node's identity, so each kind defines exact equality and a
// process-independent hash. Constants follow IEEE bit identity with one exception: every NaN
// equals every NaN (otherwise two NaN constants would never intern to one node), and -0.0 != 0.0.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "anneal/support/hash.h"
#include "anneal/uop/dtype.h"

namespace anneal {

// The value of a CONST. Integers of every width are held as int64 (uint64 as its bit pattern);
// the node's dtype says how to read them. `Invalid` marks an index that must not be accessed.
class ConstValue {
 public:
  enum class Kind : uint8_t { Bool, Int, Float, Invalid };

  static ConstValue boolean(bool b) { return ConstValue(Kind::Bool, b ? 1 : 0, 0.0); }
  static ConstValue integer(int64_t i) { return ConstValue(Kind::Int, i, 0.0); }
  static ConstValue floating(double f) { return ConstValue(Kind::Float, 0, f); }
  static ConstValue invalid() { return ConstValue(Kind::Invalid, 0, 0.0); }

  Kind kind() const { return kind_; }
  bool is_invalid() const { return kind_ == Kind::Invalid; }
  bool is_float() const { return kind_ == Kind::Float; }
  int64_t as_int() const;    // floats truncate toward zero
  double as_float() const;
  bool as_bool() const;      // nonzero / nonzero-or-NaN

  friend bool operator==(const ConstValue& a, const ConstValue& b);
  friend bool operator!=(const ConstValue& a, const ConstValue& b) { return !(a == b); }
  void hash(Hasher& h) const;
  std::string str() const;

 private:
  ConstValue(Kind k, int64_t i, double f) : kind_(k), i_(i), f_(f) {}
  Kind kind_;
  int64_t i_;
  double f_;
};

// Polymorphic payloads for args that carry structure (parameters, kernel info, ...).
class ArgObject {
 public:
  virtual ~ArgObject() = default;
  virtual bool equals(const ArgObject& other) const = 0;
  virtual void hash(Hasher& h) const = 0;
  virtual std::string str() const = 0;
};

enum class AddrSpace : uint8_t { Global, Local, Reg, Alu };

// The arg of PARAM: a kernel argument. A Variable (a symbolic integer with known bounds) is a
// PARAM in the ALU address space with a name and bounds.
struct ParamArg final : ArgObject {
  int64_t slot = -1;
  std::string name;
  AddrSpace addrspace = AddrSpace::Alu;
  std::optional<std::pair<int64_t, int64_t>> bounds;

  bool equals(const ArgObject& other) const override;
  void hash(Hasher& h) const override;
  std::string str() const override;
};

// The arg of BUFFER: device storage. Identity is the buffer's id; the storage itself lives as long
// as a node refers to it (the payload is shared with the runtime). Buffers made by the scheduler
// get their storage after scheduling, from the memory planner, so intermediates can share memory.
struct BufferArg final : ArgObject {
  int64_t id = 0;
  std::string device;
  int64_t size = 0;                     // elements
  mutable std::shared_ptr<void> storage;  // runtime-owned memory (type-erased); set once

  bool equals(const ArgObject& other) const override;
  void hash(Hasher& h) const override;
  std::string str() const override;
};

class Arg {
 public:
  using Tuple = std::vector<int64_t>;
  using Object = std::shared_ptr<const ArgObject>;

  Arg() = default;
  Arg(ConstValue c) : v_(c) {}                                 // NOLINT: implicit for ergonomic construction
  Arg(int64_t i) : v_(i) {}                                    // NOLINT
  Arg(int i) : v_(int64_t(i)) {}                               // NOLINT
  Arg(std::string s) : v_(std::move(s)) {}                     // NOLINT
  Arg(const char* s) : v_(std::string(s)) {}                   // NOLINT
  Arg(Tuple t) : v_(std::move(t)) {}                           // NOLINT
  Arg(Object o) : v_(std::move(o)) {}                          // NOLINT

  bool empty() const { return std::holds_alternative<std::monostate>(v_); }
  const ConstValue* as_const() const { return std::get_if<ConstValue>(&v_); }
  const int64_t* as_int() const { return std::get_if<int64_t>(&v_); }
  const std::string* as_string() const { return std::get_if<std::string>(&v_); }
  const Tuple* as_tuple() const { return std::get_if<Tuple>(&v_); }
  template <class T>
  const T* as() const {
    const Object* o = std::get_if<Object>(&v_);
    return o ? dynamic_cast<const T*>(o->get()) : nullptr;
  }

  friend bool operator==(const Arg& a, const Arg& b);
  friend bool operator!=(const Arg& a, const Arg& b) { return !(a == b); }
  void hash(Hasher& h) const;
  std::string str() const;
  // Ordering used by canonical operand order; deterministic across processes.
  static int compare(const Arg& a, const Arg& b);

 private:
  std::variant<std::monostate, ConstValue, int64_t, std::string, Tuple, Object> v_;
};

}  // namespace anneal
