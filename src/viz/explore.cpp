#include "viz/explore.h"

#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>

#include "anneal/codegen/opt.h"
#include "anneal/codegen/target.h"
#include "anneal/engine/engine.h"
#include "anneal/models/programs.h"
#include "anneal/render/renderer.h"
#include "anneal/runtime/buffer_io.h"
#include "anneal/runtime/device.h"
#include "anneal/support/error.h"
#include "anneal/support/settings.h"
#include "viz/program_json.h"

namespace anneal::viz {
namespace {

using Json = nlohmann::json;

Json graph_or_size(const UOp& g, size_t max_nodes) {
  if (!g) return nullptr;
  const std::vector<UOp> roots{g};
  const size_t n = graph_ids(roots).size();
  if (n > max_nodes) return Json{{"size", n}};
  return Json{{"size", n}, {"nodes", graph_json(roots)}};
}

template <class Pairs>
void add_counts(Json& into, const Pairs& pairs) {
  for (const auto& [label, n] : pairs) into[label] = into.value(label, uint64_t(0)) + n;
}

}  // namespace

Json timeline_json(const std::vector<PassRecord>& records, size_t max_graph_nodes) {
  Json steps = Json::array();
  std::map<std::tuple<long, std::string, std::string>, size_t> step_of;  // (parent step, kind, name)
  std::vector<long> open;  // the step of the latest record at each depth
  const int base = records.empty() ? 0 : records.front().depth;
  for (const PassRecord& r : records) {
    const size_t depth = size_t(std::max(0, r.depth - base));
    open.resize(depth + 1, -1);
    const long parent = depth == 0 ? -1 : open[depth - 1];
    const auto [it, fresh] = step_of.try_emplace({parent, r.kind, r.name}, steps.size());
    if (fresh) {
      steps.push_back(Json{{"name", r.name}, {"kind", r.kind}, {"depth", depth}, {"parent", parent}, {"runs", 0},
                           {"ms", 0.0}, {"counts", Json::object()}, {"rules", Json::object()}});
      if (r.input) steps.back()["graph_before"] = graph_or_size(r.input, max_graph_nodes);
      if (r.result) steps.back()["graph_after"] = graph_or_size(r.result, max_graph_nodes);
    }
    Json& s = steps[it->second];
    s["runs"] = s["runs"].get<uint64_t>() + 1;
    s["ms"] = s["ms"].get<double>() + r.ms;
    add_counts(s["counts"], r.counts);
    add_counts(s["rules"], r.rules);
    open[depth] = long(it->second);
  }
  // Rules as [name, times], the most fired first.
  for (Json& s : steps) {
    std::vector<std::pair<std::string, uint64_t>> rules;
    for (const auto& [name, n] : s["rules"].items()) rules.emplace_back(name, n.get<uint64_t>());
    std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    s["rules"] = rules;
  }
  return steps;
}

Json kernel_sources(const ScheduledKernel& k) {
  Json out = Json::object();
  for (const Target& t : {cpu_target(), cuda_target(), webgpu_target()}) {
    try {
      ScheduledKernel opt = k;
      for (const Opt& o : hand_coded_opts(k, t)) opt = apply_opt(opt, o);
      out[t.device] = render_program(std::span<const ScheduledKernel>(&opt, 1), t).kernels.front().source;
    } catch (const Error& e) {
      out[t.device] = std::string("// not renderable for ") + t.device + ": " + e.what();
    }
  }
  return out;
}

ExploreSubject builtin_subject(const std::string& name, bool train) {
  if (!train) {
    Program p = build_program(name);
    return ExploreSubject{p.name, p.description, p.outputs, nullptr, {}};
  }
  TrainStep step = build_train_step(name);
  return ExploreSubject{step.program.name, step.program.description, step.program.outputs, std::move(step.provenance), {}};
}

Json explore(const std::function<ExploreSubject()>& build, ExploreSubject* subject) {
  ExploreSubject made;
  Json timeline;
  Schedule s;
  std::vector<PreparedKernel> prepared;
  {
    // Every stage must run to be seen: a structure scheduled before would come from the cache.
    settings::ScopedSetting no_cache("ANNEAL_SCHEDULE_CACHE", "0");
    PassRecorder recorder;
    made = build();
    std::vector<UOp> roots;
    for (const Tensor& t : made.outputs) roots.push_back(t.uop());
    s = create_schedule(roots, default_device());
    prepared = prepare_kernels(s);
    timeline = timeline_json(recorder.records());
  }
  std::vector<UOp> roots;
  for (const Tensor& t : made.outputs) roots.push_back(t.uop());
  const std::unordered_map<const void*, size_t> ids = graph_ids(roots);
  auto id_of = [&ids](const UOp& u) -> std::optional<size_t> {
    auto it = ids.find(u.get());
    return it == ids.end() ? std::nullopt : std::optional<size_t>(it->second);
  };

  // Which kernel computes each graph node, and which graph node each kernel's output buffer holds
  // (its root: the first node the lowerer fused).
  std::unordered_map<size_t, size_t> kernel_of_node;
  std::unordered_map<const void*, size_t> node_of_buffer;
  for (size_t ki = 0; ki < s.kernels.size(); ++ki) {
    for (const UOp& f : s.kernels[ki].fused)
      if (auto id = id_of(f)) kernel_of_node.try_emplace(*id, ki);
    if (!s.kernels[ki].fused.empty())
      if (auto id = id_of(s.kernels[ki].fused.front())) node_of_buffer.emplace(s.kernels[ki].buffers[0].get(), *id);
  }
  const Provenance* prov = made.provenance.get();
  Json graph = graph_json(roots, [&](const UOp& u, Json& node) {
    if (prov)
      if (auto p = prov->phase_of(u)) node["phase"] = phase_name(*p);
    if (auto it = kernel_of_node.find(node["id"].get<size_t>()); it != kernel_of_node.end()) node["kernel"] = it->second;
  });

  Json kernels = kernels_json(s, prepared, prov);
  for (size_t ki = 0; ki < s.kernels.size(); ++ki) {
    const ScheduledKernel& k = s.kernels[ki];
    Json& kj = kernels["kernels"][ki];
    Json fused = Json::array();
    for (const UOp& f : k.fused)
      if (auto id = id_of(f)) fused.push_back(*id);
    kj["fused"] = fused;
    const std::vector<Phase> phases = prov ? prov->phases_of(k) : std::vector<Phase>{};
    kj["seam"] = std::find(phases.begin(), phases.end(), Phase::Forward) != phases.end() &&
                 std::find(phases.begin(), phases.end(), Phase::Backward) != phases.end();
    // A buffer is a graph node: an input BUFFER itself, or the value an earlier kernel wrote into it.
    auto link = [&](Json& b, const UOp& buffer) {
      if (auto it = node_of_buffer.find(buffer.get()); it != node_of_buffer.end()) b["node"] = it->second;
      else if (auto id = id_of(buffer)) b["node"] = *id;
    };
    link(kj["outputs"][0], k.buffers[0]);
    for (size_t i = 1; i < k.buffers.size(); ++i) link(kj["inputs"][i - 1], k.buffers[i]);
    kj["ast_lowered"] = graph_json(std::vector<UOp>{k.ast});
    kj["ast"] = graph_json(std::vector<UOp>{prepared[ki].kernel.ast});
    kj["sources"] = kernel_sources(k);
  }
  Json out = {{"program", made.name}, {"description", made.description}, {"device", default_device()},
              {"graph", {{"nodes", graph}}}, {"timeline", timeline}};
  for (auto& [key, value] : kernels.items()) out[key] = value;
  out["counts"] = {{"nodes", graph.size()}, {"kernels", s.kernels.size()},
                   {"seam_kernels", prov ? prov->seam_kernels(s) : 0}};
  for (const ScheduledKernel& k : s.kernels) made.buffers.insert(made.buffers.end(), k.buffers.begin(), k.buffers.end());
  if (subject) *subject = std::move(made);
  return out;
}

}  // namespace anneal::viz
