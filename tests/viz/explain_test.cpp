// `anneal explain` (src/viz/explain.h): every op explains, every rule is named, and the gradients it
// renders are the gradient rule set's own, checked by value against backward() and finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "anneal/rewrite/graph_rewrite.h"
#include "anneal/rewrite/symbolic.h"
#include "anneal/schedule/lowering_rules.h"
#include "anneal/support/error.h"
#include "anneal/tensor/gradient.h"
#include "anneal/tensor/tensor.h"
#include "anneal/uop/graph.h"
#include "../reference/reference_eval.h"
#include "viz/explain.h"
#include "viz/op_samples.h"
#include "viz/rule_sets.h"
#include "viz/symbolic_gradient.h"
#include "viz/tensor_expression.h"

using namespace anneal;
using nlohmann::json;

namespace {

// The Tensor-level ops the issue lists: each must be explained (the table may hold more).
const std::vector<std::string> kListedTensorOps{"add", "sub", "mul", "div", "max", "exp", "log", "relu",
                                                "sqrt", "reshape", "permute", "expand", "pad", "shrink", "flip",
                                                "sum", "max-reduce", "mean", "matmul", "softmax", "log-softmax",
                                                "conv2d", "where", "cast"};

std::vector<Ops> all_ops() {
  std::vector<Ops> ops;
  for (int i = 0; i < kNumOps; ++i) ops.push_back(Ops(i));
  return ops;
}

void expect_example_kernels(const json& example, const std::string& what) {
  if (example.contains("none")) return;
  ASSERT_TRUE(example.contains("kernels")) << what;
  const json& kernels = example["kernels"]["kernels"];
  // No kernel only where the result is a view of a buffer (movement ops never copy), and it says so.
  if (kernels.empty()) EXPECT_TRUE(example["kernels"].contains("note")) << what;
  else EXPECT_FALSE(example["kernels"].contains("note")) << what;
  for (const json& k : kernels) EXPECT_NE(k["source"].get<std::string>().find("void "), std::string::npos) << what;
}

}  // namespace

// (a) Every op of the Ops enum and every listed Tensor-level op explains, with a description.
TEST(Explain, EveryIrOpAndTensorOpExplainsWithADescription) {
  for (Ops op : all_ops()) {
    const std::string name(op_name(op));
    SCOPED_TRACE(name);
    EXPECT_FALSE(op_description(op).empty());
    json j;
    ASSERT_NO_THROW(j = viz::explain(name));
    EXPECT_EQ(j["kind"], "ir");
    EXPECT_EQ(j["description"], std::string(op_description(op)));
    for (const char* field : {"ir_form", "gradient", "symbolic_rules", "lowering", "example"}) EXPECT_TRUE(j.contains(field)) << field;
    // Every op that a tensor graph can hold has a sample program that schedules to real kernels.
    if (viz::ir_op_sample(op) && viz::ir_op_sample(op)->out) expect_example_kernels(j["example"], name);
    else EXPECT_TRUE(j["example"].contains("none"));
  }
  std::set<std::string> table;
  for (const viz::TensorOp& t : viz::tensor_ops()) {
    const std::string name(t.name);
    SCOPED_TRACE(name);
    table.insert(name);
    EXPECT_FALSE(t.description.empty());
    json j;
    ASSERT_NO_THROW(j = viz::explain(name));
    EXPECT_EQ(j["kind"], "tensor");
    EXPECT_FALSE(j["description"].get<std::string>().empty());
    EXPECT_FALSE(j["decomposes_into"].empty());
    expect_example_kernels(j["example"], name);
  }
  for (const std::string& listed : kListedTensorOps) EXPECT_TRUE(table.count(listed)) << listed;
}

TEST(Explain, NamesResolveTensorOpsFirstThenIrOpsInAnyCase) {
  EXPECT_EQ(viz::explain("mul")["kind"], "tensor");
  EXPECT_EQ(viz::explain("MUL")["kind"], "ir");
  EXPECT_EQ(viz::explain("reduce")["name"], "REDUCE");
  try {
    viz::explain("bogus");
    FAIL() << "explain(bogus) did not raise";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("unknown op 'bogus'"), std::string::npos) << what;
    EXPECT_NE(what.find("softmax"), std::string::npos) << what;
    EXPECT_NE(what.find("REDUCE"), std::string::npos) << what;
  }
}

// (b) Every rule of every rule set, and every lowering rule, carries its one-line description.
TEST(Explain, EveryRuleOfEveryRuleSetHasAName) {
  std::set<std::string> sets;
  for (const viz::RuleSet& set : viz::rule_sets()) {
    sets.insert(std::string(set.name));
    EXPECT_FALSE(set.description.empty()) << set.name;
    const PatternMatcher& pm = set.rules();
    EXPECT_GT(pm.size(), 0u) << set.name;
    for (size_t i = 0; i < pm.size(); ++i) EXPECT_FALSE(pm.rule(i).name.empty()) << set.name << " rule " << i;
  }
  EXPECT_EQ(sets, (std::set<std::string>{"gradient", "symbolic_simple", "div_and_mod", "simplify_valid", "symbolic", "sym"}));
  for (const LoweringRule& r : lowering_rules()) {
    EXPECT_FALSE(r.name.empty());
    EXPECT_FALSE(r.description.empty()) << r.name;
    EXPECT_FALSE(r.ops.empty()) << r.name;
  }
}

TEST(Explain, SymbolicRulesListedForAnOpAreTheMatchersOwn) {
  // x*1 -> x is a MUL rule of symbolic_simple; it must be listed for MUL under that set, and no rule
  // whose root is another op may be listed.
  const std::vector<viz::RuleRef> mul = viz::symbolic_rules_for(Ops::MUL);
  bool found = false;
  for (const viz::RuleRef& r : mul) found |= r.set == "symbolic_simple" && r.rule == "x*1 -> x";
  EXPECT_TRUE(found);
  EXPECT_EQ(mul.size(), sym().rules_for(Ops::MUL).size());
  for (const viz::RuleRef& r : viz::symbolic_rules_for(Ops::RANGE)) EXPECT_NE(r.rule, "x*1 -> x");
}

// (d) The lowering table covers every op a tensor graph can hold, and dispatch finds each rule.
TEST(Explain, LoweringDispatchCoversEveryTensorGraphOp) {
  // Tensor-level ops the lowerer never meets: SINK only holds a graph's outputs (each output is
  // lowered), the scheduler unbinds BIND before lowering (schedule/unbind.h), and NOOP and TUPLE live
  // inside autodiff only (a gradient rule's result).
  const std::set<Ops> never_lowered{Ops::SINK, Ops::BIND, Ops::NOOP, Ops::TUPLE};
  for (Ops op : all_ops()) {
    if (op_levels(op).find('T') != std::string_view::npos && !never_lowered.count(op)) {
      EXPECT_NE(lowering_rule_for(op), nullptr) << op_name(op);
    }
  }
  for (const LoweringRule& r : lowering_rules()) r.ops.for_each([&](Ops o) { EXPECT_EQ(lowering_rule_for(o), &r) << op_name(o); });
  // Every op of every sample graph, before and after autodiff.
  std::vector<UOp> graphs;
  for (Ops op : all_ops())
    if (std::optional<viz::OpSample> s = viz::ir_op_sample(op); s && s->out) graphs.push_back(s->out);
  for (const viz::TensorOp& t : viz::tensor_ops()) {
    const viz::OpSample s = t.build();
    graphs.push_back(s.out);
    if (s.out.dtype().is_float())
      for (const UOp& g : viz::graph_gradient(s).gradients)
        if (g) graphs.push_back(g);
  }
  for (const UOp& g : graphs)
    for (const UOp& u : toposort(g)) EXPECT_NE(lowering_rule_for(u.op()), nullptr) << op_name(u.op()) << " in a sample graph";
}

// ---- (c) rendered gradients against backward() and finite differences -----------------------------

namespace {

uint64_t seed_of(const std::string& s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a: the same seed in every build
  for (char c : s) h = (h ^ uint64_t(uint8_t(c))) * 1099511628211ull;
  return h;
}

Tensor host_tensor(const std::vector<double>& v, const Shape& shape, DType dtype) {
  if (dtype == dtypes::bool_) {
    std::vector<bool> b;
    for (double x : v) b.push_back(x > 0.5);
    return Tensor::from_vector(b, shape, "CPU");
  }
  const Tensor t = Tensor::from_vector(std::vector<float>(v.begin(), v.end()), shape, "CPU");
  if (dtype == dtypes::float32) return t;
  Tensor converted = t.cast(dtype);
  return converted.realize();
}

std::vector<double> random_values(size_t n, std::mt19937_64& rng, double lo, double hi) {
  std::uniform_real_distribution<double> dist{lo, hi};
  std::vector<double> v(n);
  for (double& x : v) x = dist(rng);
  return v;
}

struct GradientCase {
  std::string label;
  viz::OpSample sample;
  viz::SymbolicGradient gradient;
  std::vector<size_t> operand_of;  // gradient entry -> operand index
  bool smooth;                     // finite differences apply (no max/ties, no comparisons)
};

// Tolerances. Against backward() (compiled float32 kernels; the reference evaluator works in double
// rounded to the node's dtype after each op): |x - ref| <= 1e-5 + 1e-4 |ref| (float16: 1e-3 + 1e-2).
// Against central differences of the reference evaluator in float32 with step h = 1e-2 (inputs in
// [0.5, 2]): |x - fd| <= 5e-4 + 2e-3 |fd|, which covers h^2 f'''/6 for the ops here (1/x at 0.5:
// 4e-4 of f') and float32 rounding of the loss divided by 2h (~1e-5). Measured worst: 0.43 of this
// tolerance (conv2d); against backward(), 0.02 of that one.
void check_case(const GradientCase& c) {
  SCOPED_TRACE(c.label);
  std::mt19937_64 rng(seed_of(c.label));
  const viz::OpSample& s = c.sample;
  std::vector<std::vector<double>> values;
  std::vector<Tensor> real;
  std::unordered_map<UOp, UOp> operands_to_real;
  for (const viz::Operand& o : s.operands) {
    values.push_back(random_values(size_t(numel(shape_of(o.uop))), rng, 0.5, 2.0));
    real.push_back(host_tensor(values.back(), shape_of(o.uop), o.uop.dtype()));
    operands_to_real.emplace(o.uop, real.back().uop());
  }
  const DType gdtype = s.out.dtype().is_float() ? s.out.dtype() : dtypes::float32;
  const std::vector<double> gvalues = random_values(size_t(numel(shape_of(s.out))), rng, -1.0, 1.0);
  const Tensor g = host_tensor(gvalues, shape_of(s.out), gdtype);
  std::unordered_map<UOp, UOp> with_g = operands_to_real;
  with_g.emplace(c.gradient.incoming, g.uop());

  // backward() on the same forward graph over the real operands: loss = sum(out * g).
  for (size_t i = 0; i < real.size(); ++i)
    if (real[i].dtype().is_float()) real[i].requires_grad();
  const Tensor out(substitute(s.out, operands_to_real));
  const Tensor loss = (s.out.dtype().is_float() ? out : out.cast(gdtype)) * g;
  Tensor total = loss.sum();
  total.backward();

  const bool half = gdtype == dtypes::float16;
  for (size_t e = 0; e < c.gradient.gradients.size(); ++e) {
    SCOPED_TRACE("d" + c.gradient.names[e]);
    const Tensor& operand = real[c.operand_of[e]];
    const UOp& rendered = c.gradient.gradients[e];
    if (!rendered) {  // the rule's NOOP: backward() must agree that nothing flows
      if (operand.grad().defined()) {
        for (double v : operand.grad().to_vector<double>()) EXPECT_EQ(v, 0.0);
      }
      continue;
    }
    ASSERT_TRUE(s.out.dtype().is_float()) << "a gradient from a non-float output";
    ASSERT_TRUE(operand.dtype().is_float()) << "a gradient for a non-float operand";
    const reference::HostTensor expected = reference::evaluate(substitute(rendered, with_g));
    ASSERT_TRUE(operand.grad().defined());
    const std::vector<double> got = operand.grad().to_vector<double>();
    ASSERT_EQ(got.size(), expected.data.size());
    const double atol = half ? 1e-3 : 1e-5, rtol = half ? 1e-2 : 1e-4;
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(expected.data[i], got[i], atol + rtol * std::fabs(expected.data[i])) << "backward(), element " << i;

    if (!c.smooth || half || !operand.dtype().is_float()) continue;
    const size_t p = c.operand_of[e];
    const double h = 1e-2;
    auto loss_at = [&](const std::vector<double>& v) {
      std::unordered_map<UOp, UOp> perturbed = operands_to_real;
      perturbed[s.operands[p].uop] = host_tensor(v, shape_of(s.operands[p].uop), s.operands[p].uop.dtype()).uop();
      const reference::HostTensor y = reference::evaluate(substitute(s.out, perturbed));
      double l = 0;
      for (size_t k = 0; k < y.data.size(); ++k) l += y.data[k] * gvalues[k];
      return l;
    };
    for (size_t i = 0; i < values[p].size(); ++i) {
      std::vector<double> plus = values[p], minus = values[p];
      plus[i] += h;
      minus[i] -= h;
      const double fd = (loss_at(plus) - loss_at(minus)) / (2 * h);
      EXPECT_NEAR(expected.data[i], fd, 5e-4 + 2e-3 * std::fabs(fd)) << "finite difference, element " << i;
    }
  }
}

// Ops whose value has kinks or ties where a finite difference would straddle them.
bool smooth_ir(Ops op) { return op != Ops::MAX && !is_comparison(op); }
bool smooth_tensor(const std::string& name) {
  return name != "max" && name != "relu" && name != "max-reduce" && name != "max-pool2d" && name != "lt";
}

// What explain printed for the gradient: the texts of the same rule applied again (the symbolic
// operands are fresh buffers each time, so the UOps differ but the rendering must not).
void expect_explain_shows(const json& shown, const viz::SymbolicGradient& g, const viz::OpSample& s) {
  std::unordered_map<const void*, std::string> names{{g.incoming.get(), "g"}};
  for (const viz::Operand& o : s.operands) names.emplace(o.uop.get(), o.name);
  std::vector<UOp> roots;
  for (const UOp& u : g.gradients)
    if (u) roots.push_back(u);
  const viz::ExpressionText text = viz::render_expressions(roots, names);
  ASSERT_EQ(shown["gradients"].size(), g.gradients.size());
  EXPECT_EQ(shown["rules"], json(g.rules));
  EXPECT_EQ(shown["definitions"], json(text.definitions));
  for (size_t i = 0, r = 0; i < g.gradients.size(); ++i) {
    EXPECT_EQ(shown["gradients"][i]["of"], g.names[i]);
    if (g.gradients[i]) EXPECT_EQ(shown["gradients"][i]["expression"], text.roots[r++]);
    else EXPECT_TRUE(shown["gradients"][i]["expression"].is_null());
  }
}

}  // namespace

TEST(Explain, RenderedGradientOfEveryRuleAgreesWithBackwardAndFiniteDifferences) {
  size_t checked = 0;
  for (Ops op : all_ops()) {
    if (gradient_rules().rules_for(op).empty()) continue;
    const std::string name(op_name(op));
    SCOPED_TRACE(name);
    // Every op with a gradient rule has a sample, so explain renders its gradient.
    const std::optional<viz::OpSample> s = viz::ir_op_sample(op);
    ASSERT_TRUE(s && s->out) << "no sample for an op with a gradient rule";
    const std::optional<viz::SymbolicGradient> g = viz::rule_gradient(*s);
    ASSERT_TRUE(g);
    ASSERT_EQ(g->rules.size(), 1u);
    const json shown = viz::explain(name)["gradient"];
    EXPECT_EQ(shown["rule"], g->rules.front());
    expect_explain_shows(shown, *g, *s);
    GradientCase c{name, *s, *g, {}, smooth_ir(op)};
    for (size_t i = 0; i < s->node.num_srcs(); ++i) {
      size_t k = 0;
      while (k < s->operands.size() && s->operands[k].uop != s->node.src(i)) ++k;
      ASSERT_LT(k, s->operands.size()) << "source " << i << " is not an operand";
      c.operand_of.push_back(k);
    }
    check_case(c);
    ++checked;
  }
  EXPECT_GE(checked, 20u);
}

TEST(Explain, RenderedGradientOfEveryTensorOpAgreesWithBackwardAndFiniteDifferences) {
  for (const viz::TensorOp& t : viz::tensor_ops()) {
    const std::string name(t.name);
    SCOPED_TRACE(name);
    const viz::OpSample s = t.build();
    const json shown = viz::explain(name)["gradient"];
    if (!s.out.dtype().is_float()) {  // a comparison: nothing to differentiate
      EXPECT_TRUE(shown.contains("none"));
      continue;
    }
    const viz::SymbolicGradient g = viz::graph_gradient(s);
    EXPECT_FALSE(g.rules.empty());
    expect_explain_shows(shown, g, s);
    GradientCase c{name, s, g, {}, smooth_tensor(name)};
    for (size_t i = 0; i < s.operands.size(); ++i) c.operand_of.push_back(i);
    check_case(c);
  }
}

TEST(Explain, GradientTextOfMulIsTheRulesOwn) {
  const json g = viz::explain("MUL")["gradient"];
  EXPECT_EQ(g["rule"], "d(a*b) = (g*b, g*a)");
  EXPECT_EQ(g["gradients"][0]["expression"], "g*b");
  EXPECT_EQ(g["gradients"][1]["expression"], "g*a");
  const json w = viz::explain("WHERE")["gradient"];
  EXPECT_TRUE(w["gradients"][0]["expression"].is_null());  // no gradient for the condition
  EXPECT_EQ(w["gradients"][1]["expression"], "where(c, g, 0)");
}
