// One program as the visualizer shows it: built, scheduled, optimized and rendered by the real
// compiler while a PassRecorder keeps every stage (anneal_viz's `explore`, and tests natively).
#pragma once
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "anneal/rewrite/pass_trace.h"
#include "anneal/tensor/provenance.h"
#include "anneal/tensor/tensor.h"

namespace anneal::viz {

// What a program builder gives: its outputs and, for a training step, its nodes' provenance.
struct ExploreSubject {
  std::string name, description;
  std::vector<Tensor> outputs;
  std::unique_ptr<Provenance> provenance;
  std::vector<UOp> buffers;  // filled by explore: every buffer its kernels bind (the page uploads the inputs)
};

// A built-in program (`train`: a training step, with its provenance) as explore's subject.
ExploreSubject builtin_subject(const std::string& name, bool train);

// Runs `build` (autodiff happens there), then schedules and prepares the kernels for the default
// device, recording each stage, with the schedule cache off so that every stage runs. The JSON:
//   program, description, device,
//   graph: {nodes}: the tensor graph (graph_json) with each node's phase and the kernel computing it,
//   kernels: kernels_json's, each also with fused (graph node ids), seam, node ids on its buffers,
//            ast (after opts), ast_lowered (before) and sources (C, CUDA and WGSL),
//   timeline: timeline_json of the stages,
//   counts: nodes, kernels, seam_kernels.
// `subject` receives what `build` made (for a later reference evaluation).
nlohmann::json explore(const std::function<ExploreSubject()>& build, ExploreSubject* subject = nullptr);

// The recorded runs as timeline steps, in the order they began: the runs of one pass inside one stage
// are one step (runs, summed time, counts and rules), keeping the first run's graphs, each as
// graph_json nodes when it has at most `max_graph_nodes` (else only its node count).
nlohmann::json timeline_json(const std::vector<PassRecord>& records, size_t max_graph_nodes = 2000);

// A kernel rendered for each target the compiler has (CPU C, CUDA, WGSL), with that target's opts;
// a target that cannot take it gives the error text instead.
nlohmann::json kernel_sources(const ScheduledKernel& k);

}  // namespace anneal::viz
