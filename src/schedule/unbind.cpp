#include "unbind.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "anneal/support/error.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/shape.h"

namespace anneal {
namespace {

bool is_variable(const UOp& u) {
  const auto* p = u.is(Ops::PARAM) ? u.arg().as<ParamArg>() : nullptr;
  return p && p->addrspace == AddrSpace::Alu && p->bounds;
}

const std::string& variable_name(const UOp& v) { return v.arg().as<ParamArg>()->name; }

class Unbinder {
 public:
  // Records what `u` binds and uses, without rebuilding it.
  void visit(const UOp& u) {
    if (u.is(Ops::BIND)) note(u.src(0), u.src(1).ival());
    else if (is_variable(u)) used_.push_back(u);
    if (const auto* dims = u.arg().as<DimsArg>())
      for (const Dim& d : dims->dims) visit_expression(d);
  }
  // The node with its bindings stripped; records the values it meets.
  UOp strip(const UOp& u, const std::vector<UOp>& srcs) {
    if (u.is(Ops::BIND)) {
      note(u.src(0), u.src(1).ival());
      return u.src(0);
    }
    if (is_variable(u)) used_.push_back(u);
    Arg arg = u.arg();
    if (const auto* dims = u.arg().as<DimsArg>()) {
      std::vector<Dim> bare;
      for (const Dim& d : dims->dims) {
        visit_expression(d);
        bare.push_back(d.unbound());
      }
      arg = movement_arg(bare);
    }
    bool same = arg == u.arg();
    for (size_t i = 0; i < srcs.size() && same; ++i) same = srcs[i] == u.src(i);
    return same ? u : UOp::make(u.op(), u.dtype(), srcs, std::move(arg), u.tag());
  }

  std::vector<std::pair<UOp, int64_t>> values() const {
    for (const UOp& v : used_)
      check(std::any_of(values_.begin(), values_.end(), [&](const auto& p) { return p.first == v; }), [&] {
        return "variable '" + variable_name(v) + "' is used with no value: bind it (Variable::bind) before realizing";
      });
    return values_;
  }

 private:
  void note(const UOp& var, int64_t value) {
    for (const auto& bound : values_) {
      if (bound.first != var) continue;
      check(bound.second == value, [&] {
        return "variable '" + variable_name(var) + "' is bound to both " + std::to_string(bound.second) + " and " +
               std::to_string(value) + " in one realize";
      });
      return;
    }
    values_.emplace_back(var, value);
  }
  void visit_expression(const Dim& d) {
    if (d.is_const()) return;
    for (const UOp& x : toposort(d.uop())) {
      if (x.is(Ops::BIND)) note(x.src(0), x.src(1).ival());
      else if (is_variable(x)) used_.push_back(x);
    }
  }

  std::vector<std::pair<UOp, int64_t>> values_;
  std::vector<UOp> used_;
};

}  // namespace

Unbound unbind(std::span<const UOp> outputs, const std::vector<UOp>& order) {
  Unbound out;
  const bool symbolic = std::any_of(order.begin(), order.end(), [](const UOp& u) {
    return u.is(Ops::BIND) || is_variable(u) || u.arg().as<DimsArg>() != nullptr;
  });
  if (!symbolic) {
    out.outputs.assign(outputs.begin(), outputs.end());
    return out;
  }
  Unbinder unbinder;
  std::unordered_map<const void*, UOp> bare;
  for (const UOp& u : order) {
    std::vector<UOp> srcs;
    for (const UOp& s : u.srcs()) srcs.push_back(bare.at(s.get()));
    const UOp b = unbinder.strip(u, srcs);
    out.bound_of.emplace(b.get(), u);
    bare.emplace(u.get(), b);
  }
  for (const UOp& o : outputs) out.outputs.push_back(bare.at(o.get()));
  out.values = unbinder.values();
  return out;
}

std::vector<std::pair<UOp, int64_t>> bound_values(const std::vector<UOp>& order) {
  Unbinder unbinder;
  for (const UOp& u : order) unbinder.visit(u);
  return unbinder.values();
}

namespace {

// A symbolic size's structure: its ops and leaves, a bound variable hashed as its variable.
void hash_dim_unbound(const UOp& u, Hasher& h) {
  const UOp& x = u.is(Ops::BIND) ? u.src(0) : u;
  h.word(uint64_t(x.op()));
  h.word(uint64_t(x.dtype().scalar()));
  x.arg().hash(h);
  h.word(x.num_srcs());
  for (const UOp& s : x.srcs()) hash_dim_unbound(s, h);
}

}  // namespace

void hash_arg_unbound(const Arg& arg, Hasher& h) {
  const auto* dims = arg.as<DimsArg>();
  if (!dims) return arg.hash(h);
  h.word(0xD1D5);
  h.word(dims->dims.size());
  for (const Dim& d : dims->dims) {
    h.word(d.is_symbolic() ? 1 : 0);
    if (d.is_symbolic()) hash_dim_unbound(d.uop(), h);
    else h.word(uint64_t(d.value()));
  }
}

std::vector<UOp> kernel_variables(const UOp& ast) {
  std::vector<UOp> vars;
  for (const UOp& u : toposort(ast))
    if (is_variable(u)) vars.push_back(u);
  std::sort(vars.begin(), vars.end(), [](const UOp& a, const UOp& b) { return variable_name(a) < variable_name(b); });
  return vars;
}

}  // namespace anneal
