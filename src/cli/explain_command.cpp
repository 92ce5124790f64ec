#include "cli/explain_command.h"

#include <fmt/format.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "anneal/support/error.h"
#include "viz/explain.h"

namespace anneal::cli {
namespace {

using json = nlohmann::json;

struct ExplainOptions {
  std::string op;
  bool json = false;
  bool list = false;
};

std::string joined(const json& items, const char* sep = ", ") {
  std::string s;
  for (const json& i : items) s += (s.empty() ? "" : sep) + i.get<std::string>();
  return s;
}

std::string indented(const std::string& text, const char* pad = "    ") {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += pad + text.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return out;
}

// "(2, 3)" from a JSON shape.
std::string shape_text(const json& shape) {
  std::string s;
  for (const json& d : shape) s += (s.empty() ? "" : ", ") + (d.is_string() ? d.get<std::string>() : d.dump());
  return "(" + s + ")";
}

// "a = %1, b = %3; out = %4": the named nodes and outputs of a graph listing.
std::string legend(const json& graph) {
  std::string s;
  for (const auto& item : graph["names"].items())
    s += (s.empty() ? "" : ", ") + fmt::format("{} = %{}", item.key(), item.value().get<size_t>());
  std::string outs;
  for (const json& o : graph["outputs"])
    outs += (outs.empty() ? "" : ", ") + fmt::format("{} = %{}", o["name"].get<std::string>(), o["id"].get<size_t>());
  return s.empty() ? outs : s + "; " + outs;
}

void print_kernels(const char* title, const json& k) {
  fmt::print("  {} ({}): {}\n", title, k["device"].get<std::string>(), k["kernels"].size());
  if (k.contains("note")) fmt::print("    {}\n", k["note"].get<std::string>());
  for (const json& kernel : k["kernels"]) fmt::print("{}", indented(kernel["source"].get<std::string>()));
}

void print_gradient(const json& g) {
  if (g.contains("none")) {
    fmt::print("gradient: none ({})\n", g["none"].get<std::string>());
    return;
  }
  if (g.contains("rule")) fmt::print("gradient rule: {}\n", g["rule"].get<std::string>());
  else fmt::print("gradient rules applied:\n{}", indented(joined(g["rules"], "\n"), "  "));
  fmt::print("  given {}\n", g["incoming"].get<std::string>());
  for (const json& d : g["definitions"]) fmt::print("  {}\n", d.get<std::string>());
  for (const json& e : g["gradients"])
    fmt::print("  d{} = {}\n", e["of"].get<std::string>(), e["expression"].is_null() ? "none" : e["expression"].get<std::string>());
}

void print_ir_form(const json& f) {
  const std::string from = f["from"].get<std::string>();
  if (from == "none") {
    fmt::print("IR form: {}\n", f["note"].get<std::string>());
    return;
  }
  if (from == "sample") {
    std::string operands;
    for (const json& o : f["operands"])
      operands += fmt::format("{}{}: {} {}", operands.empty() ? "" : ", ", o["name"].get<std::string>(), o["dtype"].get<std::string>(),
                              shape_text(o["shape"]));
    fmt::print("IR form ({}{}{}):\n  {}\n", f["code"].get<std::string>(), operands.empty() ? "" : "  with ", operands,
               f["text"].get<std::string>());
    if (f.contains("expression")) {
      for (const json& d : f["expression"]["definitions"]) fmt::print("  {}\n", d.get<std::string>());
      fmt::print("  out = {}\n", f["expression"]["out"].get<std::string>());
    }
  } else if (from == "probe") {
    fmt::print("IR form (in the {} of {}):\n  {}\n", f["level"].get<std::string>(), f["probe"].get<std::string>(),
               f["text"].get<std::string>());
  } else {
    fmt::print("IR form ({}):\n  {}\n", f["note"].get<std::string>(), f["text"].get<std::string>());
  }
}

void print_example(const json& ex) {
  if (ex.contains("none")) {
    fmt::print("worked example: none ({})\n", ex["none"].get<std::string>());
    return;
  }
  fmt::print("worked example: {}\n", ex["code"].get<std::string>());
  fmt::print("  graph ({}):\n{}", legend(ex["graph"]), indented(ex["graph"]["text"].get<std::string>()));
  const json& ad = ex["autodiff"];
  if (ad.contains("none")) fmt::print("  after autodiff: none ({})\n", ad["none"].get<std::string>());
  else
    fmt::print("  after autodiff ({}):\n    # {}\n{}", legend(ad), ad["note"].get<std::string>(), indented(ad["text"].get<std::string>()));
  print_kernels("kernels", ex["kernels"]);
  if (ex.contains("gradient_kernels")) print_kernels("gradient kernels", ex["gradient_kernels"]);
}

void print_explanation(const json& j) {
  const bool ir = j["kind"] == "ir";
  fmt::print("{} ({}): {}\n", j["name"].get<std::string>(), ir ? "IR op" : "Tensor op", j["description"].get<std::string>());
  if (ir) fmt::print("levels: {}\n", j["level_names"].empty() ? "none (reserved)" : joined(j["level_names"]));
  fmt::print("\n");
  print_ir_form(j["ir_form"]);
  if (!ir) fmt::print("  decomposes into: {}\n", joined(j["decomposes_into"]));
  fmt::print("\n");
  print_gradient(j["gradient"]);
  if (ir) {
    fmt::print("\nsymbolic rules that can match {} ({}):\n", j["name"].get<std::string>(), j["symbolic_rules"].size());
    for (const json& r : j["symbolic_rules"]) fmt::print("  {:<16} {}\n", r["set"].get<std::string>(), r["rule"].get<std::string>());
  }
  fmt::print("\n");
  if (ir && j["lowering"].contains("none")) {
    fmt::print("lowering: none ({})\n", j["lowering"]["none"].get<std::string>());
  } else {
    const json rules = ir ? json::array({j["lowering"]}) : j["lowering"];
    fmt::print("lowering:\n");
    for (const json& l : rules)
      fmt::print("  {:<12} {}: {}\n", l["op"].get<std::string>(), l["rule"].get<std::string>(), l["description"].get<std::string>());
  }
  fmt::print("\n");
  print_example(j["example"]);
}

void print_list(const json& list) {
  fmt::print("Tensor-level ops:\n");
  for (const json& t : list["tensor"]) fmt::print("  {:<12} {}\n", t["name"].get<std::string>(), t["description"].get<std::string>());
  fmt::print("\nIR ops (levels: T tensor graph, K kernel AST, P linearized program; - reserved):\n");
  for (const json& o : list["ir"]) {
    const std::string levels = o["levels"].get<std::string>();
    fmt::print("  {:<20} {:<4} {}\n", o["name"].get<std::string>(), levels.empty() ? "-" : levels, o["description"].get<std::string>());
  }
}

void run_explain(const ExplainOptions& o) {
  if (o.list) {
    const json list = viz::explain_list();
    if (o.json) fmt::print("{}\n", list.dump());
    else print_list(list);
    return;
  }
  if (o.op.empty()) throw Error("explain: name an op (anneal explain mul, anneal explain REDUCE), or --list");
  const json j = viz::explain(o.op);
  if (o.json) fmt::print("{}\n", j.dump());
  else print_explanation(j);
}

}  // namespace

void register_explain(CLI::App& app) {
  auto o = std::make_shared<ExplainOptions>();
  CLI::App* cmd = app.add_subcommand("explain",
                                     "Explain an op: IR form, gradient rule, symbolic and lowering rules, and a worked example");
  cmd->add_option("op", o->op,
                  "A Tensor-level op (add, mul, matmul, softmax, conv2d, ...) or an IR op in any case (MUL, REDUCE, RANGE)");
  cmd->add_flag("--json", o->json, "Print one JSON object instead of text");
  cmd->add_flag("--list", o->list, "List the ops explain knows");
  cmd->callback([o] { run_explain(*o); });
}

}  // namespace anneal::cli
