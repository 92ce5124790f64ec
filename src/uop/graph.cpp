#include "anneal/uop/graph.h"

#include <unordered_set>

namespace anneal {

std::vector<UOp> toposort(const UOp& root, const std::function<bool(const UOp&)>& stop) {
  std::vector<UOp> order;
  std::unordered_set<const void*> seen;
  std::vector<std::pair<const UOp*, bool>> stack{{&root, false}};
  while (!stack.empty()) {
    auto [u, expanded] = stack.back();
    stack.pop_back();
    if (expanded) {
      order.push_back(*u);
      continue;
    }
    if (!seen.insert(u->get()).second) continue;
    stack.push_back({u, true});
    if (stop && stop(*u)) continue;
    auto srcs = u->srcs();
    for (size_t i = srcs.size(); i-- > 0;)
      if (!seen.count(srcs[i].get())) stack.push_back({&srcs[i], false});
  }
  return order;
}

std::vector<UOp> toposort(const UOp& root) { return toposort(root, nullptr); }

size_t node_count(const UOp& root) {
  std::unordered_set<const void*> seen{root.get()};
  std::vector<const UOp*> stack{&root};
  while (!stack.empty()) {
    const UOp* u = stack.back();
    stack.pop_back();
    for (const UOp& s : u->srcs())
      if (seen.insert(s.get()).second) stack.push_back(&s);
  }
  return seen.size();
}

namespace {
template <class Pred>
bool any_node(const UOp& root, Pred pred) {
  std::unordered_set<const void*> seen{root.get()};
  std::vector<const UOp*> stack{&root};
  while (!stack.empty()) {
    const UOp* u = stack.back();
    stack.pop_back();
    if (pred(*u)) return true;
    for (const UOp& s : u->srcs())
      if (seen.insert(s.get()).second) stack.push_back(&s);
  }
  return false;
}
}  // namespace

bool in_backward_slice(const UOp& root, const UOp& needle) {
  return any_node(root, [&](const UOp& u) { return u == needle; });
}

bool has_op(const UOp& root, Ops op) {
  return any_node(root, [op](const UOp& u) { return u.op() == op; });
}

}  // namespace anneal
