// The command line's expression language: the first line of the input declares variables
// (`x=0..9 y=-3..3`), the rest is an expression; parse, then simplify and bound it.
#include <map>
#include <sstream>

#include "anneal/rewrite/symbolic.h"
#include "cli/expr_parser.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  const std::string decls = newline == std::string::npos ? "" : input.substr(0, newline);
  const std::string expr = newline == std::string::npos ? input : input.substr(newline + 1);
  anneal::fuzz::expect_value_or_error([&] {
    std::map<std::string, anneal::UOp> vars;
    std::istringstream words(decls);
    for (std::string spec; words >> spec;) {
      const anneal::cli::VarSpec v = anneal::cli::parse_var_spec(spec);
      vars.emplace(v.name, anneal::UOp::variable(v.name, v.lo, v.hi));
    }
    const anneal::UOp e = anneal::simplify(anneal::cli::parse_expr(expr, vars));
    (void)e.bounds();
  });
  return 0;
}
