#include "viz/explain.h"

#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "anneal/engine/engine.h"
#include "anneal/schedule/lowering_rules.h"
#include "anneal/schedule/schedule.h"
#include "anneal/support/error.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/print.h"
#include "viz/kernel_probes.h"
#include "viz/op_samples.h"
#include "viz/program_json.h"
#include "viz/rule_sets.h"
#include "viz/symbolic_gradient.h"
#include "viz/tensor_expression.h"

namespace anneal::viz {
namespace {

using json = nlohmann::json;
using Names = std::unordered_map<const void*, std::string>;

// Examples are rendered for the CPU (C source) whatever the process's default device is.
constexpr const char* kExampleDevice = "CPU";

Names names_of(const OpSample& s) {
  Names names;
  for (const Operand& o : s.operands) names.emplace(o.uop.get(), o.name);
  return names;
}

json shape_json(const Shape& shape) {
  json out = json::array();
  for (const Dim& d : shape) {
    if (d.is_const()) out.push_back(d.value());
    else out.push_back(d.str());
  }
  return out;
}

std::string arg_text(const UOp& u) {
  if (u.is(Ops::REDUCE) && u.arg().as_tuple()) {  // (op, axes...) at tensor level, the op in kernels
    const Arg::Tuple& a = *u.arg().as_tuple();
    std::string s = "(" + std::string(op_name(Ops(a[0])));
    for (size_t i = 1; i < a.size(); ++i) s += ", " + std::to_string(a[i]);
    return s + ")";
  }
  return u.arg().empty() ? "" : u.arg().str();
}

std::string level_name(char level) {
  switch (level) {
    case 'T': return "tensor graph";
    case 'K': return "kernel AST";
    default: return "linearized program";
  }
}

json levels_json(Ops op) {
  json names = json::array();
  for (char c : op_levels(op)) names.push_back(level_name(c));
  return names;
}

// "MUL(a, b) -> float32 (2, 3)": the node with its sources by name (or op), arg, dtype and shape.
json node_json(const UOp& node, const Names& names, bool tensor_level) {
  json srcs = json::array();
  std::string text = std::string(op_name(node.op())) + "(";
  for (size_t i = 0; i < node.num_srcs(); ++i) {
    const UOp& s = node.src(i);
    auto it = names.find(s.get());
    std::string src = it != names.end() ? it->second : std::string(op_name(s.op()));
    if (it == names.end() && s.is_const()) src += " " + s.const_value().str();
    srcs.push_back(src);
    text += (i ? ", " : "") + src;
  }
  const std::string arg = arg_text(node);
  text += ")" + (arg.empty() ? "" : " " + arg) + " -> " + std::string(node.dtype().name());
  json j = {{"op", std::string(op_name(node.op()))}, {"dtype", std::string(node.dtype().name())}, {"srcs", srcs}, {"arg", arg}};
  if (tensor_level && node.dtype() != dtypes::void_) {
    j["shape"] = shape_json(shape_of(node));
    text += " " + shape_str(shape_of(node));
  }
  j["text"] = text;
  return j;
}

json operands_json(const OpSample& s) {
  json out = json::array();
  for (const Operand& o : s.operands)
    out.push_back({{"name", o.name}, {"dtype", std::string(o.uop.dtype().name())}, {"shape", shape_json(shape_of(o.uop))}});
  return out;
}

// The sample's value as an expression of its operands.
json expression_json(const UOp& out, const Names& names) {
  const ExpressionText t = render_expressions(std::vector<UOp>{out}, names);
  return {{"definitions", t.definitions}, {"out", t.roots.front()}};
}

json gradient_json(const SymbolicGradient& g, Names names) {
  names.emplace(g.incoming.get(), "g");
  std::vector<UOp> roots;
  for (const UOp& u : g.gradients)
    if (u) roots.push_back(u);
  const ExpressionText t = render_expressions(roots, names);
  json entries = json::array();
  for (size_t i = 0, r = 0; i < g.gradients.size(); ++i) {
    json e = {{"of", g.names[i]}};
    if (g.gradients[i]) e["expression"] = t.roots[r++];
    else e["expression"] = nullptr;  // the rule's NOOP: nothing flows to this source
    entries.push_back(e);
  }
  return {{"rules", g.rules},
          {"incoming", "g = d(loss)/d(out): " + std::string(g.incoming.dtype().name()) + " " + shape_str(shape_of(g.incoming))},
          {"definitions", t.definitions},
          {"gradients", entries}};
}

// A graph as `anneal graph --json` prints it, its text listing, and which node ids are named.
json graph_json_named(const std::vector<UOp>& outputs, const std::vector<std::string>& output_names, const Names& names) {
  const UOp sink = UOp::make(Ops::SINK, dtypes::void_, outputs);
  std::unordered_map<const void*, size_t> ids;
  for (const UOp& u : toposort(sink)) ids.emplace(u.get(), ids.size());
  json named = json::object();
  for (const auto& [node, name] : names)
    if (auto it = ids.find(node); it != ids.end()) named[name] = it->second;
  json outs = json::array();
  for (size_t i = 0; i < outputs.size(); ++i) outs.push_back({{"name", output_names[i]}, {"id", ids.at(outputs[i].get())}});
  return {{"nodes", graph_json(outputs)}, {"text", print_graph(sink)}, {"names", named}, {"outputs", outs}};
}

// The kernels `outputs` become on the CPU, as `anneal kernels --json` prints them.
json kernels_section(const std::vector<UOp>& outputs) {
  const Schedule s = create_schedule(outputs, kExampleDevice);
  json k = kernels_json(s, prepare_kernels(s), nullptr);
  k["device"] = kExampleDevice;
  if (s.kernels.empty()) k["note"] = "no kernel: each result is a view of a buffer it reads (movement ops never copy)";
  return k;
}

json example_json(const OpSample& s, const std::optional<SymbolicGradient>& autodiff) {
  const Names names = names_of(s);
  json ex = {{"code", s.code}, {"operands", operands_json(s)}};
  ex["graph"] = graph_json_named({s.out}, {"out"}, names);
  ex["kernels"] = kernels_section({s.out});
  if (!autodiff) {
    ex["autodiff"] = {{"none", "the output is " + std::string(s.out.dtype().name()) + ": no gradient flows from it"}};
    return ex;
  }
  Names with_g = names;
  with_g.emplace(autodiff->incoming.get(), "g");
  std::vector<UOp> outputs{s.out};
  std::vector<std::string> output_names{"out"};
  for (size_t i = 0; i < autodiff->gradients.size(); ++i) {
    if (!autodiff->gradients[i]) continue;
    outputs.push_back(autodiff->gradients[i]);
    output_names.push_back("d" + autodiff->names[i]);
  }
  ex["autodiff"] = graph_json_named(outputs, output_names, with_g);
  ex["autodiff"]["note"] = "compute_gradient (what backward() runs) from out, given g = d(loss)/d(out)";
  ex["gradient_kernels"] = kernels_section(std::vector<UOp>(outputs.begin() + 1, outputs.end()));
  return ex;
}

// compute_gradient over the sample, where a gradient can flow (a float output, float operands).
std::optional<SymbolicGradient> sample_autodiff(const OpSample& s) {
  if (!s.out || !s.out.dtype().is_float() || s.operands.empty()) return std::nullopt;
  return graph_gradient(s);
}

json lowering_json(Ops op) {
  const LoweringRule* r = lowering_rule_for(op);
  if (!r) return nullptr;
  return {{"op", std::string(op_name(op))}, {"rule", std::string(r->name)}, {"description", std::string(r->description)}};
}

json symbolic_rules_json(Ops op) {
  json out = json::array();
  for (const RuleRef& r : symbolic_rules_for(op)) out.push_back({{"set", r.set}, {"rule", r.rule}});
  return out;
}

// A node of an ALU op over index variables, for kernel-level ops no probe kernel holds.
UOp built_alu_node(Ops op) {
  const UOp x = UOp::variable("x", 0, 15), y = UOp::variable("y", 1, 15), c = UOp::variable("c", 0, 1).ne(0);
  if (groups::unary().contains(op)) return UOp::make(op, x.dtype(), {x});
  if (groups::ternary().contains(op)) return UOp::make(op, x.dtype(), {op == Ops::WHERE ? c : x, x, y});
  return UOp::make(op, is_comparison(op) ? dtypes::bool_ : x.dtype(), {x, y});
}

json ir_form_json(Ops op, const std::optional<OpSample>& sample) {
  if (sample) {
    const Names names = names_of(*sample);
    json j = node_json(sample->node, names, true);
    j["from"] = "sample";
    j["code"] = sample->code;
    j["operands"] = operands_json(*sample);
    return j;
  }
  if (std::optional<ProbeSighting> seen = find_in_probe_kernels(op)) {
    json j = node_json(seen->node, {}, false);
    j["from"] = "probe";
    j["probe"] = seen->probe;
    j["level"] = level_name(seen->level);
    return j;
  }
  if (is_alu(op)) {
    const UOp node = built_alu_node(op);
    json j = node_json(node, {}, false);
    j["from"] = "built";
    j["text"] = render(node) + " -> " + std::string(node.dtype().name());
    j["note"] = "built over index variables x, y: none of the probe kernels holds one";
    return j;
  }
  return {{"from", "none"}, {"note", op_levels(op).empty() ? "reserved: nothing in anneal builds it"
                                                           : "none of the probe kernels holds one"}};
}

json explain_ir(Ops op) {
  const std::optional<OpSample> sample = ir_op_sample(op);
  json j = {{"name", std::string(op_name(op))},
            {"kind", "ir"},
            {"description", std::string(op_description(op))},
            {"levels", std::string(op_levels(op))},
            {"level_names", levels_json(op)}};
  j["ir_form"] = ir_form_json(op, sample);
  if (sample && sample->out) j["ir_form"]["expression"] = expression_json(sample->out, names_of(*sample));

  if (std::optional<SymbolicGradient> g = sample ? rule_gradient(*sample) : std::nullopt) {
    j["gradient"] = gradient_json(*g, names_of(*sample));
    j["gradient"]["rule"] = g->rules.front();
  } else if (!sample) {
    j["gradient"] = {{"none", "autodiff runs on tensor graphs, which never hold this op"}};
  } else if (sample->node.num_srcs() == 0) {
    j["gradient"] = {{"none", "a leaf: gradients end here"}};
  } else {
    j["gradient"] = {{"none", "no gradient rule matches " + std::string(op_name(op)) +
                                  ": compute_gradient raises an error when one is on a path to a parameter"}};
  }

  j["symbolic_rules"] = symbolic_rules_json(op);
  if (json l = lowering_json(op); !l.is_null()) {
    j["lowering"] = l;
  } else {
    j["lowering"] = {{"none", op_levels(op).find('T') == std::string_view::npos
                                  ? "made while lowering or generating code, not lowered from a tensor graph"
                                  : "the scheduler never meets it inside a value it lowers"}};
  }
  if (sample && sample->out) j["example"] = example_json(*sample, sample_autodiff(*sample));
  else if (sample) j["example"] = {{"none", "internal to autodiff: a gradient rule's result, never scheduled"}};
  else j["example"] = {{"none", "a kernel-level op: ir_form shows it in a kernel the scheduler and code generator made"}};
  return j;
}

// The IR ops of the graph the tensor layer built for `s.out`, operands excluded, first use first.
std::vector<Ops> decomposition(const OpSample& s) {
  const Names operands = names_of(s);
  std::vector<Ops> ops;
  std::unordered_set<const void*> seen;
  std::vector<UOp> stack{s.out};
  std::vector<UOp> order;
  while (!stack.empty()) {
    UOp u = stack.back();
    stack.pop_back();
    if (operands.count(u.get()) || !seen.insert(u.get()).second) continue;
    order.push_back(u);
    for (const UOp& src : u.srcs()) stack.push_back(src);
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    bool known = false;
    for (Ops o : ops) known |= o == it->op();
    if (!known) ops.push_back(it->op());
  }
  return ops;
}

json explain_tensor(const TensorOp& t) {
  const OpSample s = t.build();
  const Names names = names_of(s);
  json j = {{"name", std::string(t.name)}, {"kind", "tensor"}, {"description", std::string(t.description)}};
  j["ir_form"] = node_json(s.out, names, true);
  j["ir_form"]["from"] = "sample";
  j["ir_form"]["code"] = s.code;
  j["ir_form"]["operands"] = operands_json(s);
  j["ir_form"]["expression"] = expression_json(s.out, names);
  json ops = json::array(), lowering = json::array();
  for (Ops o : decomposition(s)) {
    ops.push_back(std::string(op_name(o)));
    if (json l = lowering_json(o); !l.is_null()) lowering.push_back(l);
  }
  j["decomposes_into"] = ops;
  const std::optional<SymbolicGradient> g = sample_autodiff(s);
  if (g) j["gradient"] = gradient_json(*g, names);
  else j["gradient"] = {{"none", "the output is " + std::string(s.out.dtype().name()) + ": no gradient flows from it"}};
  j["lowering"] = lowering;
  j["example"] = example_json(s, g);
  return j;
}

std::string upper(std::string s) {
  for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

json explain_list() {
  json ir = json::array(), tensor = json::array();
  for (int i = 0; i < kNumOps; ++i)
    ir.push_back({{"name", std::string(op_name(Ops(i)))}, {"levels", std::string(op_levels(Ops(i)))},
                  {"description", std::string(op_description(Ops(i)))}});
  for (const TensorOp& t : tensor_ops()) tensor.push_back({{"name", std::string(t.name)}, {"description", std::string(t.description)}});
  return {{"ir", ir}, {"tensor", tensor}};
}

json explain(const std::string& name) {
  if (const TensorOp* t = find_tensor_op(name)) return explain_tensor(*t);
  const std::string wanted = upper(name);
  for (int i = 0; i < kNumOps; ++i)
    if (op_name(Ops(i)) == wanted) return explain_ir(Ops(i));
  std::string ir, tensor;
  for (int i = 0; i < kNumOps; ++i) ir += (i ? ", " : "") + std::string(op_name(Ops(i)));
  for (const TensorOp& t : tensor_ops()) tensor += (tensor.empty() ? "" : ", ") + std::string(t.name);
  throw Error("explain: unknown op '" + name + "' (Tensor-level ops: " + tensor + "; IR ops, in any case: " + ir + ")");
}

}  // namespace anneal::viz
