#include "anneal/rewrite/upat.h"

#include <algorithm>
#include <numeric>

#include "anneal/support/function_ref.h"

namespace anneal {

DTypeSet DTypeSet::ints() {
  using namespace dtypes;
  return {int8, int16, int32, int64, uint8, uint16, uint32, uint64, weakint};
}

UPat UPat::any() { return UPat(std::make_shared<Node>()); }

UPat UPat::var(std::string name, DTypeSet dts) {
  auto n = std::make_shared<Node>();
  n->name = std::move(name);
  n->dtypes = dts;
  return UPat(std::move(n));
}

UPat UPat::cvar(std::string name, DTypeSet dts) {
  auto n = std::make_shared<Node>();
  n->ops = OpSet{Ops::CONST};
  n->name = std::move(name);
  n->dtypes = dts;
  return UPat(std::move(n));
}

UPat UPat::cnst(int64_t v) {
  auto n = std::make_shared<Node>();
  n->ops = OpSet{Ops::CONST};
  n->const_int = v;
  return UPat(std::move(n));
}

UPat UPat::invalid() {
  auto n = std::make_shared<Node>();
  n->ops = OpSet{Ops::CONST};
  n->arg = Arg(ConstValue::invalid());
  return UPat(std::move(n));
}

UPat UPat::op(OpSet ops, std::vector<UPat> srcs, SrcMode mode) {
  auto n = std::make_shared<Node>();
  n->ops = ops;
  n->mode = mode;
  n->srcs = std::move(srcs);
  return UPat(std::move(n));
}

UPat UPat::op_any_srcs(OpSet ops) { return op(ops, {}, SrcMode::Unchecked); }

UPat UPat::edit(const std::function<void(Node&)>& f) const {
  auto n = std::make_shared<Node>(*n_);
  f(*n);
  return UPat(std::move(n));
}
UPat UPat::named(std::string name) const { return edit([&](Node& n) { n.name = std::move(name); }); }
UPat UPat::with_dtype(DTypeSet dts) const { return edit([&](Node& n) { n.dtypes = dts; }); }
UPat UPat::with_arg(Arg a) const { return edit([&](Node& n) { n.arg = std::move(a); }); }
UPat UPat::such_that(std::function<bool(const UOp&)> pred) const {
  return edit([&](Node& n) { n.predicate = std::move(pred); });
}

UPat alu(Ops op, std::vector<UPat> srcs) {
  return UPat::op({op}, std::move(srcs), is_commutative(op) ? UPat::SrcMode::Commutative : UPat::SrcMode::Positional);
}
UPat operator+(const UPat& a, const UPat& b) { return alu(Ops::ADD, {a, b}); }
UPat operator*(const UPat& a, const UPat& b) { return alu(Ops::MUL, {a, b}); }
UPat operator&(const UPat& a, const UPat& b) { return alu(Ops::AND, {a, b}); }
UPat operator|(const UPat& a, const UPat& b) { return alu(Ops::OR, {a, b}); }
UPat operator^(const UPat& a, const UPat& b) { return alu(Ops::XOR, {a, b}); }
UPat operator%(const UPat& a, const UPat& b) { return alu(Ops::FLOORMOD, {a, b}); }
UPat floordiv(const UPat& a, const UPat& b) { return alu(Ops::FLOORDIV, {a, b}); }
UPat maximum(const UPat& a, const UPat& b) { return alu(Ops::MAX, {a, b}); }
UPat lt(const UPat& a, const UPat& b) { return alu(Ops::CMPLT, {a, b}); }
UPat ne(const UPat& a, const UPat& b) { return alu(Ops::CMPNE, {a, b}); }
UPat logical_not(const UPat& a) {
  // x != True, with the True on the right as the builders make it.
  auto t = UPat::cnst(1).with_dtype({dtypes::bool_});
  return UPat::op({Ops::CMPNE}, {a, t}, UPat::SrcMode::Positional);
}
UPat where(const UPat& c, const UPat& t, const UPat& f) { return alu(Ops::WHERE, {c, t, f}); }
UPat cast(const UPat& a, DTypeSet to) { return UPat::op({Ops::CAST}, {a}).with_dtype(to); }

namespace {

bool const_equals(const ConstValue& c, int64_t v) {
  switch (c.kind()) {
    case ConstValue::Kind::Float: return c.as_float() == double(v);
    case ConstValue::Kind::Invalid: return false;
    default: return c.as_int() == v;
  }
}

struct Matcher {
  Bindings& b;

  bool node(const UPat::Node& p, const UOp& u, FunctionRef<bool()> k) {
    if (!p.ops.empty() && !p.ops.contains(u.op())) return false;
    if (!p.dtypes.contains(u.dtype())) return false;
    if (p.const_int && !const_equals(u.const_value(), *p.const_int)) return false;
    if (p.arg && !(u.arg() == *p.arg)) return false;
    if (p.predicate && !p.predicate(u)) return false;
    const size_t mark = b.size();
    if (!p.name.empty()) {
      if (const UOp* bound = b.find(p.name)) {
        if (*bound != u) return false;
      } else {
        b.bind(p.name, u);
      }
    }
    if (sources(p, u, k)) return true;
    b.truncate(mark);
    return false;
  }

  bool sources(const UPat::Node& p, const UOp& u, FunctionRef<bool()> k) {
    const size_t n = p.srcs.size();
    switch (p.mode) {
      case UPat::SrcMode::Unchecked: return k();
      case UPat::SrcMode::Positional:
        if (u.num_srcs() != n) return false;
        return sequence(p, u, identity(n), 0, k);
      case UPat::SrcMode::Prefix:
        if (u.num_srcs() < n) return false;
        return sequence(p, u, identity(n), 0, k);
      case UPat::SrcMode::Repeat: return repeat(p.srcs[0].node(), u, 0, k);
      case UPat::SrcMode::Commutative: {
        if (u.num_srcs() != n) return false;
        std::vector<size_t> perm = identity(n);
        do {
          if (sequence(p, u, perm, 0, k)) return true;
        } while (std::next_permutation(perm.begin(), perm.end()));
        return false;
      }
    }
    return false;
  }

  static std::vector<size_t> identity(size_t n) {
    std::vector<size_t> v(n);
    std::iota(v.begin(), v.end(), size_t(0));
    return v;
  }

  bool sequence(const UPat::Node& p, const UOp& u, const std::vector<size_t>& perm, size_t i, FunctionRef<bool()> k) {
    if (i == perm.size()) return k();
    return node(p.srcs[i].node(), u.src(perm[i]), [&] { return sequence(p, u, perm, i + 1, k); });
  }

  bool repeat(const UPat::Node& each, const UOp& u, size_t i, FunctionRef<bool()> k) {
    if (i == u.num_srcs()) return k();
    return node(each, u.src(i), [&] { return repeat(each, u, i + 1, k); });
  }
};

}  // namespace

bool match(const UPat& pat, const UOp& u, Bindings& b, FunctionRef<bool()> on_match) {
  return Matcher{b}.node(pat.node(), u, on_match);
}

}  // namespace anneal
