#include "anneal/tensor/provenance.h"

#include <algorithm>

#include "anneal/uop/graph.h"

namespace anneal {

std::string phase_name(Phase p) {
  switch (p) {
    case Phase::Forward: return "forward";
    case Phase::Backward: return "backward";
    case Phase::Optimizer: return "optimizer";
  }
  return "?";
}

Provenance::Provenance(const UOp& loss, std::span<const UOp> grads, std::span<const UOp> updates) {
  auto mark = [this](const UOp& root, Phase p) {
    for (const UOp& u : toposort(root))
      if (table_.emplace(u.get(), p).second) keep_.push_back(u);
  };
  mark(loss, Phase::Forward);
  for (const UOp& g : grads) mark(g, Phase::Backward);
  for (const UOp& u : updates) mark(u, Phase::Optimizer);
}

std::optional<Phase> Provenance::phase_of(const UOp& u) const {
  auto it = table_.find(u.get());
  return it == table_.end() ? std::nullopt : std::optional<Phase>(it->second);
}

std::vector<Phase> Provenance::phases_of(const ScheduledKernel& k) const {
  std::vector<Phase> out;
  for (const UOp& u : k.fused) {
    if (!(is_alu(u.op()) || u.is(Ops::CAST) || u.is(Ops::REDUCE))) continue;
    if (auto p = phase_of(u); p && std::find(out.begin(), out.end(), *p) == out.end()) out.push_back(*p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t Provenance::seam_kernels(const Schedule& s) const {
  size_t n = 0;
  for (const ScheduledKernel& k : s.kernels) {
    const std::vector<Phase> p = phases_of(k);
    n += std::count(p.begin(), p.end(), Phase::Forward) && std::count(p.begin(), p.end(), Phase::Backward);
  }
  return n;
}

}  // namespace anneal
