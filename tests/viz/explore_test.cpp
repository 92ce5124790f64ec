// The visualizer's view of a program (viz/explore.h) against the compiler's own outputs: the same
// graph, the same kernels, every stage of the pipeline recorded with the rules that fired.
#include <gtest/gtest.h>

#include <set>

#include "anneal/engine/engine.h"
#include "anneal/models/programs.h"
#include "anneal/runtime/device.h"
#include "viz/explore.h"
#include "viz/program_json.h"

namespace anneal::viz {
namespace {

using Json = nlohmann::json;

Json explore_train_step(const std::string& classifier) {
  return explore([&] { return builtin_subject(classifier, true); });
}

const Json* step_named(const Json& timeline, const std::string& name) {
  for (const Json& s : timeline)
    if (s["name"] == name) return &s;
  return nullptr;
}

TEST(Explore, TrainingStepMatchesTheScheduleAndColoursEveryNode) {
  const Json e = explore_train_step("mlp");
  // The same program built again and scheduled plainly: the counts the CLI's --json reports.
  TrainStep again = build_train_step("mlp");
  std::vector<UOp> roots;
  for (const Tensor& t : again.program.outputs) roots.push_back(t.uop());
  const Schedule s = create_schedule(roots, default_device());
  EXPECT_EQ(e["graph"]["nodes"].size(), graph_json(roots).size());
  EXPECT_EQ(e["kernels"].size(), s.kernels.size());
  EXPECT_EQ(e["counts"]["seam_kernels"], again.provenance->seam_kernels(s));
  EXPECT_GT(e["counts"]["seam_kernels"].get<size_t>(), 0u);

  std::set<std::string> phases;
  size_t computed = 0;
  for (const Json& n : e["graph"]["nodes"]) {
    if (n.contains("phase")) phases.insert(n["phase"].get<std::string>());
    if (n.contains("kernel")) ++computed;
  }
  EXPECT_EQ(phases, (std::set<std::string>{"forward", "backward", "optimizer"}));
  size_t seams = 0;
  for (size_t ki = 0; ki < e["kernels"].size(); ++ki) {
    const Json& k = e["kernels"][ki];
    seams += k["seam"].get<bool>();
    ASSERT_FALSE(k["fused"].empty()) << k["name"];
    // The output buffer holds the kernel's root, a node this kernel computes.
    const size_t root = k["outputs"][0]["node"];
    EXPECT_EQ(e["graph"]["nodes"][root]["kernel"], ki) << k["name"];
    for (const Json& in : k["inputs"]) EXPECT_TRUE(in.contains("node")) << k["name"] << " buffer " << in["buffer"];
    for (const char* target : {"CPU", "CUDA", "WEBGPU"}) EXPECT_NE(k["sources"][target].get<std::string>().find(k["name"].get<std::string>()), std::string::npos) << target;
    EXPECT_FALSE(k["ast"].empty());
  }
  EXPECT_EQ(seams, e["counts"]["seam_kernels"].get<size_t>());
  EXPECT_GE(computed, e["kernels"].size());
}

TEST(Explore, TimelineHasEveryStageWithItsRulesAndGraphs) {
  const Json e = explore_train_step("mlp");
  const Json& t = e["timeline"];
  for (const char* stage : {"autodiff", "split_reduce", "realize_decisions", "lower", "symbolic", "opts", "render"})
    EXPECT_NE(step_named(t, stage), nullptr) << stage;
  const Json& autodiff = *step_named(t, "autodiff");
  EXPECT_FALSE(autodiff["rules"].empty());  // gradient rules, by name, with how often they fired
  EXPECT_LT(autodiff["graph_before"]["size"].get<size_t>(), autodiff["graph_after"]["size"].get<size_t>());
  const Json& symbolic = *step_named(t, "symbolic");
  EXPECT_EQ(t[symbolic["parent"].get<size_t>()]["name"], "lower");  // runs inside lowering, one step for all runs
  EXPECT_GT(symbolic["runs"].get<size_t>(), 1u);
  uint64_t fired = 0;
  for (const Json& r : symbolic["rules"]) fired += r[1].get<uint64_t>();
  EXPECT_EQ(fired, symbolic["counts"]["rewrites"].get<uint64_t>());
  EXPECT_TRUE(step_named(t, "lower")->contains("graph_after"));
  EXPECT_TRUE((*step_named(t, "opts"))["graph_after"]["size"].is_number());
}

TEST(Explore, RepeatedExploreRecordsTheWholePipelineAgain) {
  const Json first = explore_train_step("mlp");
  const Json second = explore_train_step("mlp");  // the schedule cache would otherwise skip lowering
  EXPECT_NE(step_named(second["timeline"], "lower"), nullptr);
  EXPECT_EQ(first["kernels"].size(), second["kernels"].size());
}

}  // namespace
}  // namespace anneal::viz
