// UPat: patterns over UOps.
//
// A pattern constrains a node's op (a set), dtype (a set), arg, and sources, and can bind the node
// to a name. Sources are matched positionally, in every order (commutative), as a prefix, or with
// one pattern repeated over all of them. A name used twice must bind the same node both times.
//
// Patterns read like the math they match:
//   var("x") * cnst(1)                 MUL with a source x and a CONST 1, in either order
//   floordiv(var("x"), cvar("c"))      FLOORDIV(x, c) with c a constant
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "anneal/support/function_ref.h"
#include "anneal/uop/uop.h"

namespace anneal {

// A set of dtypes (empty = any dtype).
class DTypeSet {
 public:
  DTypeSet() = default;
  DTypeSet(std::initializer_list<DType> ds) {
    for (DType d : ds) mask_ |= 1u << int(d.scalar());
  }
  bool any() const { return mask_ == 0; }
  bool contains(DType d) const { return mask_ == 0 || (mask_ >> int(d.scalar())) & 1u; }
  static DTypeSet ints();  // every integer dtype and weakint

 private:
  uint32_t mask_ = 0;
};

class UPat {
 public:
  enum class SrcMode : uint8_t { Unchecked, Positional, Commutative, Prefix, Repeat };

  struct Node {
    OpSet ops;  // empty: any op
    DTypeSet dtypes;
    std::optional<Arg> arg;
    std::optional<int64_t> const_int;  // CONST whose value equals this number (any dtype)
    std::function<bool(const UOp&)> predicate;
    std::string name;
    SrcMode mode = SrcMode::Unchecked;
    std::vector<UPat> srcs;
  };

  // ---- leaves --------------------------------------------------------------------------------------
  static UPat any();                                       // any node
  static UPat var(std::string name, DTypeSet dts = {});   // any node, bound to `name`
  static UPat cvar(std::string name, DTypeSet dts = {});  // a CONST, bound to `name`
  static UPat cnst(int64_t v);                             // a CONST equal to v (0 matches 0, 0.0 and False)
  static UPat invalid();                                   // the Invalid constant

  // ---- general form ----------------------------------------------------------------------------------
  static UPat op(OpSet ops, std::vector<UPat> srcs = {}, SrcMode mode = SrcMode::Positional);
  static UPat op_any_srcs(OpSet ops);  // op constraint only, sources unchecked

  // ---- modifiers (return a copy) ---------------------------------------------------------------------
  UPat named(std::string name) const;
  UPat with_dtype(DTypeSet dts) const;
  UPat with_arg(Arg a) const;
  UPat such_that(std::function<bool(const UOp&)> pred) const;

  const Node& node() const { return *n_; }

 private:
  explicit UPat(std::shared_ptr<Node> n) : n_(std::move(n)) {}
  UPat edit(const std::function<void(Node&)>& f) const;
  std::shared_ptr<const Node> n_;
};

// ---- pattern sugar for ALU ops ---------------------------------------------------------------------
// Commutative ops match their sources in either order.
UPat operator+(const UPat& a, const UPat& b);
UPat operator*(const UPat& a, const UPat& b);
UPat operator&(const UPat& a, const UPat& b);
UPat operator|(const UPat& a, const UPat& b);
UPat operator^(const UPat& a, const UPat& b);
UPat operator%(const UPat& a, const UPat& b);  // FLOORMOD
inline UPat operator+(const UPat& a, int64_t c) { return a + UPat::cnst(c); }
inline UPat operator*(const UPat& a, int64_t c) { return a * UPat::cnst(c); }
inline UPat operator%(const UPat& a, int64_t c) { return a % UPat::cnst(c); }
inline UPat operator&(const UPat& a, int64_t c) { return a & UPat::cnst(c); }
UPat floordiv(const UPat& a, const UPat& b);
inline UPat floordiv(const UPat& a, int64_t c) { return floordiv(a, UPat::cnst(c)); }
UPat maximum(const UPat& a, const UPat& b);
UPat lt(const UPat& a, const UPat& b);
inline UPat lt(const UPat& a, int64_t c) { return lt(a, UPat::cnst(c)); }
UPat ne(const UPat& a, const UPat& b);
inline UPat ne(const UPat& a, int64_t c) { return ne(a, UPat::cnst(c)); }
UPat logical_not(const UPat& a);  // a != True
UPat where(const UPat& c, const UPat& t, const UPat& f);
UPat cast(const UPat& a, DTypeSet to = {});
UPat alu(Ops op, std::vector<UPat> srcs);  // commutative ops match in any order

// Names bound by a successful match, in binding order.
class Bindings {
 public:
  const UOp* find(std::string_view name) const {
    for (const auto& [n, u] : items_)
      if (n == name) return &u;
    return nullptr;
  }
  void bind(std::string_view name, const UOp& u) { items_.emplace_back(name, u); }
  size_t size() const { return items_.size(); }
  void truncate(size_t n) { items_.resize(n); }

 private:
  std::vector<std::pair<std::string_view, UOp>> items_;
};

// Tries to match `pat` at `u`. For each complete match (commutative sources can give several),
// calls `on_match`; stops at the first call that returns true. Returns whether one did.
bool match(const UPat& pat, const UOp& u, Bindings& b, FunctionRef<bool()> on_match);

}  // namespace anneal
