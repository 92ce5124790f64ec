// The simplify verb: declare the --var variables, parse EXPR, run simplify_full, print the result.
#include "cli/simplify_command.h"

#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "anneal/rewrite/symbolic.h"
#include "anneal/uop/print.h"
#include "cli/expr_parser.h"

namespace anneal::cli {
namespace {

// Exit status for malformed input, distinct from 1 (the input was fine but something failed).
constexpr int kExitBadInput = 2;

struct SimplifyOptions {
  std::string expr;
  std::vector<std::string> vars;
  bool graph = false;
};

// The declared variables by name. Parse errors are reported against the spec they occur in.
std::map<std::string, UOp> declare_vars(const std::vector<std::string>& specs) {
  std::map<std::string, UOp> vars;
  for (const std::string& text : specs) {
    try {
      VarSpec spec = parse_var_spec(text);
      if (vars.count(spec.name)) throw ParseError(1, fmt::format("variable '{}' is declared twice", spec.name));
      vars.emplace(spec.name, UOp::variable(spec.name, spec.lo, spec.hi));
    } catch (const ParseError& e) {
      fmt::print(stderr, "{}", format_parse_error(text, e));
      throw CLI::RuntimeError(kExitBadInput);
    }
  }
  return vars;
}

void run_simplify(const SimplifyOptions& opts) {
  const std::map<std::string, UOp> vars = declare_vars(opts.vars);
  UOp input;
  try {
    input = parse_expr(opts.expr, vars);
  } catch (const ParseError& e) {
    fmt::print(stderr, "{}", format_parse_error(opts.expr, e));
    throw CLI::RuntimeError(kExitBadInput);
  }
  const UOp result = simplify_full(input);
  fmt::print("{}\n[{}, {}]\n", render(result), to_string(result.vmin()), to_string(result.vmax()));
  if (opts.graph) fmt::print("\ninput graph:\n{}\noutput graph:\n{}", print_graph(input), print_graph(result));
}

}  // namespace

void register_simplify(CLI::App& app) {
  // CLI11 fills the options during parsing and runs the callback afterwards, so they must outlive
  // this function: the callback shares ownership.
  auto opts = std::make_shared<SimplifyOptions>();
  CLI::App* cmd = app.add_subcommand("simplify", "Simplify an integer expression over bounded variables");
  cmd->add_option("expr", opts->expr, "Python-style integer expression, e.g. \"((x*4+y)//4)%8\"")->required();
  // One spec per --var, so that a following positional EXPR is not swallowed as another spec.
  cmd->add_option("--var", opts->vars, "Declare a variable with inclusive bounds: NAME=LO..HI (repeatable)")
      ->type_name("NAME=LO..HI")
      ->allow_extra_args(false);
  cmd->add_flag("--graph", opts->graph, "Also print the input and output UOp graphs");
  // CLI11 takes an argument such as "-x+1" for an option; "--" is the standard way out.
  cmd->footer("An EXPR that starts with '-' goes after '--', behind the options:\n"
              "  anneal simplify --var x=0..9 -- \"-x+1\"");
  cmd->callback([opts] { run_simplify(*opts); });
}

}  // namespace anneal::cli
