// Programs as JSON, for the CLI's --json output and the WASM compiler in the page (internal to src/;
// the format is what web/ and scripts read): a tensor graph, and a schedule's kernels as the engine
// prepares them for the default device.
#pragma once
#include <nlohmann/json.hpp>
#include <functional>
#include <span>
#include <unordered_map>

#include "anneal/engine/engine.h"
#include "anneal/tensor/provenance.h"

namespace anneal::viz {

// Each node of the graph of `outputs` (under one SINK) by its id: its position in topological order.
std::unordered_map<const void*, size_t> graph_ids(std::span<const UOp> outputs);

// Nodes in topological order: id, op, dtype, shape (tensor graphs, but the SINK), srcs (ids), arg; `annotate`
// may add fields to each node's object.
using NodeAnnotator = std::function<void(const UOp&, nlohmann::json&)>;
nlohmann::json graph_json(std::span<const UOp> outputs, const NodeAnnotator& annotate = {});

// The variables kernel `k` takes (symbolic shapes): name, min, max and the value `s` binds.
nlohmann::json variables_json(const Schedule& s, const ScheduledKernel& k);

// Each kernel: name, input and output buffers, global_size (symbolic sizes as their expressions),
// opts and their origin, source and launch (grid and block), variables; the program's prelude and
// output buffers; with a provenance, the phases each kernel fused (and seam_kernels in the result).
nlohmann::json kernels_json(const Schedule& s, const std::vector<PreparedKernel>& prepared, const Provenance* provenance);

}  // namespace anneal::viz
