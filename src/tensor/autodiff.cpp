// The Tensor side of autodiff: parameters, backward() and gradient().
#include <algorithm>
#include <mutex>
#include <unordered_set>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/tensor/gradient.h"
#include "anneal/tensor/tensor.h"
#include "anneal/uop/graph.h"
#include "anneal/tensor/jit.h"
#include "jit_recorder.h"
#include "tensor_internal.h"

namespace anneal {

// Reads the parameters' states for the functions below (a friend of Tensor).
class AutodiffRegistry {
 public:
  // The nodes of the live parameters; the registry's lock must be held.
  static void add_parameter_nodes(const std::vector<std::weak_ptr<void>>& registry, std::unordered_set<const void*>& nodes) {
    for (const std::weak_ptr<void>& w : registry)
      if (auto p = std::static_pointer_cast<Tensor::State>(w.lock()); p && p->requires_grad)
        nodes.insert(p->node.load(std::memory_order_acquire));
  }
};

namespace {

// Every tensor marked requires_grad, weakly: backward() finds those its graph reaches.
std::mutex registry_mu;
std::vector<std::weak_ptr<void>>& registry() {
  static auto* r = new std::vector<std::weak_ptr<void>>();
  return *r;
}

// Values realized from a graph that reaches a parameter: the graph is kept while the value lives, so
// that a loss read with item() before backward(), or an intermediate realized on the way, is still
// differentiated through (issue 22, cause 8: the gradient was silently lost). Entries of values that
// died are dropped at the next use.
struct RealizedGraph {
  std::weak_ptr<void> owner;
  UOp view;   // what the value became (a buffer view)
  UOp graph;  // what it was computed from
};
std::vector<RealizedGraph>& realized_graphs() {
  static auto* r = new std::vector<RealizedGraph>();
  return *r;
}

// Under registry_mu: the live parameters' nodes and the views of live realized graphs.
std::unordered_set<const void*> differentiable_leaves() {
  std::unordered_set<const void*> leaves;
  AutodiffRegistry::add_parameter_nodes(registry(), leaves);
  auto& r = realized_graphs();
  r.erase(std::remove_if(r.begin(), r.end(), [](const RealizedGraph& g) { return g.owner.expired(); }), r.end());
  for (const RealizedGraph& g : r) leaves.insert(g.view.get());
  return leaves;
}

// `u` with every realized value it holds replaced by the graph it came from, to a fixpoint (a kept
// graph may hold other realized values).
UOp expand_realized(UOp u) {
  std::lock_guard<std::mutex> lock(registry_mu);
  differentiable_leaves();  // drops the dead entries
  std::unordered_map<const void*, UOp> graph_of;
  for (const RealizedGraph& g : realized_graphs()) graph_of.emplace(g.view.get(), g.graph);
  for (size_t round = 0; round <= graph_of.size() && !graph_of.empty(); ++round) {
    std::unordered_map<UOp, UOp> replace;
    for (const UOp& n : toposort(u))
      if (auto it = graph_of.find(n.get()); it != graph_of.end()) replace.emplace(n, it->second);
    if (replace.empty()) break;
    u = substitute(u, replace);
  }
  return u;
}

void check_scalar_loss(const Tensor& loss, const char* op) {
  check(loss.defined(), [&] { return std::string(op) + ": uninitialised tensor"; });
  check(loss.numel() == 1, [&] { return std::string(op) + ": the loss must have one element, got shape " + shape_str(loss.shape()); });
  check(loss.dtype().is_float(), [&] { return std::string(op) + ": the loss must be a float tensor"; });
}

}  // namespace

void remember_realized_graph(const std::shared_ptr<void>& owner, const UOp& graph, const UOp& view) {
  if (graph == view || view_buffer(graph).is(Ops::BUFFER)) return;  // nothing was computed
  std::lock_guard<std::mutex> lock(registry_mu);
  const std::unordered_set<const void*> leaves = differentiable_leaves();
  if (leaves.empty()) return;
  bool reaches = false;
  toposort(graph, [&](const UOp& n) {
    reaches = reaches || leaves.count(n.get());
    return reaches;  // stop walking once one is found
  });
  if (reaches) realized_graphs().push_back({owner, view, graph});
}

Tensor& Tensor::requires_grad(bool on) {
  check(defined(), "requires_grad: uninitialised tensor");
  check(!on || dtype().is_float(), [&] { return "requires_grad: only float tensors have gradients, got " + std::string(dtype().name()); });
  // A parameter is a leaf with an identity of its own. Two parameters made from equal lazy values
  // (zeros of one shape) would otherwise be one interned node, and share their gradients.
  if (on && !view_buffer(uop()).is(Ops::BUFFER)) s_->set_uop(contiguous().realize().uop());
  if (on && !s_->requires_grad) {
    std::lock_guard<std::mutex> lock(registry_mu);
    registry().push_back(std::static_pointer_cast<void>(s_));
  }
  s_->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return s_ && s_->grad ? *s_->grad : Tensor(); }

void Tensor::zero_grad() {
  if (s_) s_->grad.reset();
}

Tensor& Tensor::assign(const Tensor& v) {
  check(defined() && v.defined(), "assign: uninitialised tensor");
  check(v.shape() == shape() && v.dtype() == dtype(), [&] {
    return "assign: value " + shape_str(v.shape()) + " " + std::string(v.dtype().name()) + " does not match " +
           shape_str(shape()) + " " + std::string(dtype().name());
  });
  if (jit_detail::Recorder* r = jit_detail::active_recorder()) r->before_assign.emplace(s_.get(), s_->uop);
  s_->set_uop(v.uop());
  return *this;
}

Tensor Tensor::detach() const { return Tensor(UOp::make(Ops::DETACH, dtype(), {uop()})); }

std::vector<Tensor> gradient(const Tensor& loss, const std::vector<Tensor>& params) {
  check_scalar_loss(loss, "gradient");
  std::vector<UOp> targets;
  for (const Tensor& p : params) {
    check(p.defined(), "gradient: uninitialised parameter");
    targets.push_back(p.uop());
  }
  const UOp seed = broadcast_const(loss.dtype(), 1.0, loss.shape());
  std::vector<Tensor> out;
  for (const UOp& g : compute_gradient(expand_realized(loss.uop()), seed, targets)) out.push_back(Tensor(g));
  return out;
}

void Tensor::backward() {
  check_scalar_loss(*this, "backward");
  // The parameters this loss depends on, through the graphs of values realized on the way.
  const UOp graph = expand_realized(uop());
  std::unordered_set<const void*> in_graph;
  for (const UOp& u : toposort(graph)) in_graph.insert(u.get());
  std::vector<std::shared_ptr<State>> params;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    auto& r = registry();
    for (auto it = r.begin(); it != r.end();) {
      auto p = std::static_pointer_cast<State>(it->lock());
      if (!p || !p->requires_grad) {
        it = r.erase(it);
        continue;
      }
      if (in_graph.count(p->node.load(std::memory_order_acquire))) params.push_back(p);
      ++it;
    }
  }
  std::vector<Tensor> handles;
  for (const auto& p : params) {
    Tensor t;
    t.s_ = p;
    handles.push_back(t);
  }
  const std::vector<Tensor> grads = gradient(Tensor(graph), handles);
  for (size_t i = 0; i < params.size(); ++i) {
    auto& slot = params[i]->grad;
    slot = std::make_shared<Tensor>(slot ? *slot + grads[i] : grads[i]);  // gradients accumulate
  }
}

}  // namespace anneal
