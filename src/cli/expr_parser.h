// The expression language of the command line: Python-style integer expressions over variables,
// parsed into UOps, and the `NAME=LO..HI` variable declarations that go with them.
//
//   or < and < not < comparisons (chained, as in Python) < + - < * // % < unary -
//   operands: integer literals, declared variables, (...), min(a, b), max(a, b), where(c, a, b)
//
// Bool and int mix as in Python: a bool used in arithmetic counts as 0/1 and an int used as a
// condition is true when nonzero; `and`/`or`/`not` always produce bools.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "anneal/support/error.h"
#include "anneal/uop/uop.h"

namespace anneal::cli {

// Malformed input, located by a 1-based column of the text being parsed.
// what() reads "column 7: expected ')' but found end of input".
class ParseError : public Error {
 public:
  ParseError(size_t column, const std::string& message);
  size_t column() const { return column_; }

 private:
  size_t column_;
};

// Nested parentheses, calls, unary minus and `not` beyond this depth are rejected rather than
// risking the stack of the recursive-descent parser. A level of parentheses or a call takes nine
// frames, which AddressSanitizer's redzones make several KiB; 200 levels (Python's own limit on
// nested parentheses) stay far inside the default 8 MiB stack in every build, ASan included.
inline constexpr int kMaxNestingDepth = 200;

// Parses `text` into a UOp graph. Identifiers must name an entry of `vars`. Integer results are
// weakint, comparisons and logical operators bool. Throws ParseError.
UOp parse_expr(std::string_view text, const std::map<std::string, UOp>& vars);

struct VarSpec {
  std::string name;
  int64_t lo = 0;
  int64_t hi = 0;
};

// Parses "x=0..100" (bounds inclusive, either may be negative). Throws ParseError with a column
// in `spec` for a malformed spec, a name that is not an identifier or is reserved, or lo > hi.
// Duplicate names are the caller's to reject: one spec cannot see the others.
VarSpec parse_var_spec(std::string_view spec);

// Whether `name` can name a variable: an ASCII identifier that is not a keyword or function name.
bool is_valid_var_name(std::string_view name);

// "error: <message>\n  <source>\n  <caret under the column>\n", ready for stderr.
std::string format_parse_error(std::string_view source, const ParseError& error);

}  // namespace anneal::cli
