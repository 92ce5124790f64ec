#include "viz/symbolic_gradient.h"

#include <algorithm>
#include <unordered_set>

#include "anneal/tensor/gradient.h"
#include "anneal/uop/graph.h"

namespace anneal::viz {
namespace {

std::string operand_name(const OpSample& s, const UOp& u, size_t i) {
  for (const Operand& o : s.operands)
    if (o.uop == u) return o.name;
  return "src" + std::to_string(i);
}

UOp incoming_for(const UOp& u) { return symbolic_operand(shape_of(u), u.dtype()); }

void note_rule(std::vector<std::string>& rules, size_t which) {
  const std::string& name = gradient_rules().rule(which).name;
  if (std::find(rules.begin(), rules.end(), name) == rules.end()) rules.push_back(name);
}

}  // namespace

std::optional<SymbolicGradient> rule_gradient(const OpSample& sample) {
  const UOp& node = sample.node;
  if (node.num_srcs() == 0 || gradient_rules().rules_for(node.op()).empty()) return std::nullopt;
  SymbolicGradient out;
  out.incoming = incoming_for(node);
  size_t which = 0;
  UOp g = out.incoming;
  const UOp tuple = gradient_rules().rewrite(node, &g, &which);
  if (!tuple) return std::nullopt;
  note_rule(out.rules, which);
  for (size_t i = 0; i < node.num_srcs(); ++i) {
    out.gradients.push_back(tuple.src(i).is(Ops::NOOP) ? UOp() : tuple.src(i));
    out.names.push_back(operand_name(sample, node.src(i), i));
  }
  return out;
}

SymbolicGradient graph_gradient(const OpSample& sample) {
  SymbolicGradient out;
  out.incoming = incoming_for(sample.out);
  std::vector<UOp> targets;
  for (const Operand& o : sample.operands) {
    targets.push_back(o.uop);
    out.names.push_back(o.name);
  }
  out.gradients = compute_gradient(sample.out, out.incoming, targets);
  // A bool or integer operand (a where's condition) has no gradient; compute_gradient gives it zeros.
  for (size_t i = 0; i < targets.size(); ++i)
    if (!targets[i].dtype().is_float()) out.gradients[i] = UOp();
  // The rules compute_gradient applies: those of the nodes that receive a gradient on a path from
  // the output to an operand (DETACH cuts paths), visited in the same reverse topological order.
  const std::vector<UOp> order = toposort(sample.out);
  std::unordered_set<const void*> on_path, has_gradient{sample.out.get()};
  for (const UOp& t : targets) on_path.insert(t.get());
  for (const UOp& u : order)
    if (!u.is(Ops::DETACH))
      for (const UOp& s : u.srcs())
        if (on_path.count(s.get())) on_path.insert(u.get());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const UOp& u = *it;
    if (u.num_srcs() == 0 || !on_path.count(u.get()) || !has_gradient.count(u.get())) continue;
    // An operand's own rule (the RESHAPE viewing its buffer) only reaches the buffer: not on the way.
    if (std::find(targets.begin(), targets.end(), u) != targets.end()) continue;
    UOp g = incoming_for(u);
    size_t which = 0;
    const UOp tuple = gradient_rules().rewrite(u, &g, &which);
    if (!tuple) continue;  // compute_gradient has raised for it already
    note_rule(out.rules, which);
    for (size_t i = 0; i < u.num_srcs(); ++i)
      if (!tuple.src(i).is(Ops::NOOP)) has_gradient.insert(u.src(i).get());
  }
  return out;
}

}  // namespace anneal::viz
