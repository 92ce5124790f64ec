#include "viz/program_json.h"

#include <algorithm>
#include <unordered_map>

#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/device.h"
#include "anneal/uop/graph.h"

namespace anneal::viz {
namespace {

// A shape as JSON: constant dimensions as numbers, symbolic ones as their expressions ("B*784").
nlohmann::json shape_json(const Shape& shape) {
  nlohmann::json out = nlohmann::json::array();
  for (const Dim& d : shape) {
    if (d.is_const()) out.push_back(d.value());
    else out.push_back(d.str());
  }
  return out;
}


nlohmann::json buffer_json(const UOp& b) {
  const auto* a = b.arg().as<BufferArg>();
  return {{"buffer", a->id}, {"dtype", std::string(b.dtype().name())}, {"size", a->size}};
}

}  // namespace

nlohmann::json variables_json(const Schedule& s, const ScheduledKernel& k) {
  nlohmann::json vars = nlohmann::json::array();
  for (const UOp& v : k.vars) {
    const auto* p = v.arg().as<ParamArg>();
    nlohmann::json j = {{"name", p->name}, {"min", p->bounds->first}, {"max", p->bounds->second}};
    for (const auto& [var, value] : s.var_vals)
      if (var == v) j["value"] = value;
    vars.push_back(j);
  }
  return vars;
}

namespace {
UOp sink_of(std::span<const UOp> outputs) {
  return UOp::make(Ops::SINK, dtypes::void_, std::vector<UOp>(outputs.begin(), outputs.end()));
}
}  // namespace

std::unordered_map<const void*, size_t> graph_ids(std::span<const UOp> outputs) {
  std::unordered_map<const void*, size_t> ids;
  for (const UOp& u : toposort(sink_of(outputs))) ids.emplace(u.get(), ids.size());
  return ids;
}

nlohmann::json graph_json(std::span<const UOp> outputs, const NodeAnnotator& annotate) {
  std::unordered_map<const void*, size_t> ids;
  nlohmann::json nodes = nlohmann::json::array();
  const std::vector<UOp> order = toposort(sink_of(outputs));
  // Tensor graphs have shapes; kernel ASTs (loops, indexing, memory) have none.
  const OpSet kernel_ops{Ops::RANGE, Ops::INDEX, Ops::LOAD, Ops::STORE, Ops::END, Ops::SPECIAL, Ops::DEFINE_REG};
  const bool tensor_graph = std::none_of(order.begin(), order.end(), [&](const UOp& u) { return kernel_ops.contains(u.op()); });
  for (const UOp& u : order) {
    ids.emplace(u.get(), ids.size());
    nlohmann::json srcs = nlohmann::json::array();
    for (const UOp& s : u.srcs()) srcs.push_back(ids.at(s.get()));
    nlohmann::json node = {{"id", ids.at(u.get())}, {"op", std::string(op_name(u.op()))},
                           {"dtype", std::string(u.dtype().name())}, {"srcs", srcs}, {"arg", u.arg().str()}};
    if (tensor_graph && !u.is(Ops::SINK)) node["shape"] = shape_json(shape_of(u));
    if (annotate) annotate(u, node);
    nodes.push_back(node);
  }
  return nodes;
}

nlohmann::json kernels_json(const Schedule& s, const std::vector<PreparedKernel>& prepared, const Provenance* provenance) {
  nlohmann::json kernels = nlohmann::json::array();
  for (size_t ki = 0; ki < s.kernels.size(); ++ki) {
    const ScheduledKernel& k = prepared[ki].kernel;
    nlohmann::json inputs = nlohmann::json::array();
    for (size_t i = 1; i < k.buffers.size(); ++i) inputs.push_back(buffer_json(k.buffers[i]));
    nlohmann::json opts = nlohmann::json::array();
    for (const Opt& op : prepared[ki].opts) opts.push_back(op.str());
    nlohmann::json kj = {{"name", k.name},
                         {"inputs", inputs},
                         {"outputs", nlohmann::json::array({buffer_json(k.buffers[0])})},
                         {"global_size", shape_json(k.shape)},
                         {"source", prepared[ki].entry.source},
                         {"launch", {{"global", prepared[ki].entry.global}, {"local", prepared[ki].entry.local}}},
                         {"opts", opts},
                         {"opts_origin", prepared[ki].origin},
                         {"variables", variables_json(s, k)}};
    if (provenance) {
      nlohmann::json phases = nlohmann::json::array();
      for (Phase ph : provenance->phases_of(s.kernels[ki])) phases.push_back(phase_name(ph));
      kj["phases"] = phases;
    }
    kernels.push_back(kj);
  }
  // The program's values: the buffers its outputs are views of (in output order).
  nlohmann::json outputs = nlohmann::json::array();
  for (const UOp& o : s.outputs) outputs.push_back(buffer_json(view_buffer(o)));
  nlohmann::json out = {{"device", default_device()}, {"kernels", kernels}, {"outputs", outputs}};
  if (!prepared.empty()) out["prelude"] = prepared.front().prelude;
  if (provenance) out["seam_kernels"] = provenance->seam_kernels(s);
  return out;
}

}  // namespace anneal::viz
