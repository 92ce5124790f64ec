#include "viz/kernel_probes.h"

#include <vector>

#include "anneal/codegen/linearize.h"
#include "anneal/codegen/opt.h"
#include "anneal/schedule/schedule.h"
#include "anneal/tensor/tensor.h"
#include "anneal/uop/graph.h"
#include "viz/op_samples.h"

namespace anneal::viz {
namespace {

struct Probe {
  std::string description;
  UOp ast;      // the kernel AST after its opts (K)
  UOp program;  // its linearized program (P); null for a claimed matmul, which renders from its plan
};

bool claims_matmul(const UOp& ast) {
  for (const UOp& u : toposort(ast))
    if (u.is(Ops::WMMA)) return true;
  return false;
}

// The one kernel `out` schedules to (the last one: inputs of these probes are buffers).
ScheduledKernel kernel_of(const Tensor& out) {
  const Schedule s = create_schedule(std::vector<UOp>{out.uop()}, "CPU");
  return s.kernels.back();
}

Probe probe(std::string description, const ScheduledKernel& k, const Target& target, const std::vector<Opt>& opts,
            bool heuristic) {
  ScheduledKernel optimized = heuristic ? optimize(k, target) : k;
  for (const Opt& o : opts) optimized = apply_opt(optimized, o);
  const UOp program = claims_matmul(optimized.ast) ? UOp() : linearize(optimized, target).program;
  return {std::move(description), optimized.ast, program};
}

const std::vector<Probe>& probes() {
  static const std::vector<Probe> all = [] {
    const Tensor rows(symbolic_operand({4, 64}));
    const ScheduledKernel row_sum = kernel_of(rows.sum({1}));
    const Tensor m(symbolic_operand({16, 16})), n(symbolic_operand({16, 16}));
    const ScheduledKernel matmul = kernel_of(m.matmul(n));
    const Tensor small(symbolic_operand({4, 6}));
    std::vector<Probe> out;
    out.push_back(probe("a.sum({1}) of a (4, 64) on the CPU (heuristic opts)", row_sum, cpu_target(), {}, true));
    out.push_back(probe("a.sum({1}) of a (4, 64) on CUDA with GROUP(0, 16)", row_sum, cuda_target(),
                        {Opt{OptOp::Group, 0, 16}}, false));
    Target wide = cuda_target();
    wide.vector_width = 4;  // the linearizer's 4-wide float32 accesses (STACK, GETTUPLE)
    out.push_back(probe("a * 2 of a (4, 64) on CUDA with 4-wide float accesses (vector_width 4) and UPCAST(1, 4)",
                        kernel_of(rows * 2.0), wide, {Opt{OptOp::Upcast, 1, 4}}, false));
    out.push_back(probe("a.sum({0}) of a (4, 64) on CUDA with 4-wide float accesses (vector_width 4) and UPCAST(0, 4)",
                        kernel_of(rows.sum({0})), wide, {Opt{OptOp::Upcast, 0, 4}}, false));
    out.push_back(probe("a.matmul(b) of (16, 16) matrices on the CPU (heuristic opts)", matmul, cpu_target(), {}, true));
    out.push_back(probe("a.matmul(b) of (16, 16) matrices on the CPU, no opts", matmul, cpu_target(), {}, false));
    out.push_back(probe("a.pad({{1, 1}, {1, 1}}) of a (4, 6) on the CPU, no opts",
                        kernel_of(small.pad({{1, 1}, {1, 1}})), cpu_target(), {}, false));
    out.push_back(probe("a.permute({1, 0}).reshape({4, 6}) of a (4, 6) on the CPU, no opts",
                        kernel_of(small.permute({1, 0}).reshape({4, 6})), cpu_target(), {}, false));
    return out;
  }();
  return all;
}

}  // namespace

std::optional<ProbeSighting> find_in_probe_kernels(Ops op) {
  for (const Probe& p : probes()) {
    for (const UOp& u : toposort(p.ast))
      if (u.is(op)) return ProbeSighting{p.description, 'K', u};
    if (p.program)
      for (const UOp& u : toposort(p.program))
        if (u.is(op)) return ProbeSighting{p.description, 'P', u};
  }
  return std::nullopt;
}

}  // namespace anneal::viz
