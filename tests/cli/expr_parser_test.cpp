// The command-line expression parser: Python semantics checked by evaluating the parsed graphs
// (and their simplified forms) against values worked out by hand, and the columns of its errors.
#include "cli/expr_parser.h"

#include <gtest/gtest.h>

#include <pthread.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "anneal/rewrite/symbolic.h"
#include "anneal/uop/exec_alu.h"
#include "anneal/uop/graph.h"
#include "anneal/uop/print.h"

namespace anneal::cli {
namespace {

using Env = std::map<std::string, int64_t>;

// Every variable of `env`, declared over a range wide enough for the values the tests bind.
std::map<std::string, UOp> declare(const Env& env) {
  std::map<std::string, UOp> vars;
  for (const auto& entry : env) vars.emplace(entry.first, UOp::variable(entry.first, -100, 100));
  return vars;
}

// Evaluates a graph of constants, variables and ALU ops with the variables bound by `env`.
ConstValue evaluate(const UOp& root, const Env& env) {
  std::unordered_map<const void*, ConstValue> values;
  for (const UOp& u : toposort(root)) {
    if (u.is_const()) {
      values.emplace(u.get(), u.const_value());
    } else if (u.is(Ops::PARAM)) {
      values.emplace(u.get(), ConstValue::integer(env.at(u.arg().as<ParamArg>()->name)));
    } else {
      std::vector<ConstValue> args;
      for (const UOp& s : u.srcs()) args.push_back(values.at(s.get()));
      auto v = exec_alu(u.op(), u.dtype(), u.src(0).dtype(), args);
      if (!v) throw Error("test evaluator: no value for " + render(u));
      values.emplace(u.get(), *v);
    }
  }
  return values.at(root.get());
}

// The value of `text` with variables bound by `env`, from the parsed graph and from its
// simplification, which must agree.
int64_t eval_int(const std::string& text, const Env& env = {}) {
  UOp u = parse_expr(text, declare(env));
  EXPECT_EQ(u.dtype(), dtypes::weakint) << text;
  int64_t direct = evaluate(u, env).as_int();
  EXPECT_EQ(evaluate(simplify_full(u), env).as_int(), direct) << text;
  return direct;
}

bool eval_bool(const std::string& text, const Env& env = {}) {
  UOp u = parse_expr(text, declare(env));
  EXPECT_EQ(u.dtype(), dtypes::bool_) << text;
  bool direct = evaluate(u, env).as_bool();
  EXPECT_EQ(evaluate(simplify_full(u), env).as_bool(), direct) << text;
  return direct;
}

// Python's floor division and modulo, spelled out.
int64_t py_floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
int64_t py_mod(int64_t a, int64_t b) { return a - b * py_floordiv(a, b); }

// The column of the ParseError that parsing `text` throws (0 if none), and its message in `what`.
size_t error_column(const std::string& text, std::string* what = nullptr, const Env& env = {{"x", 0}, {"y", 0}}) {
  try {
    parse_expr(text, declare(env));
  } catch (const ParseError& e) {
    if (what) *what = e.what();
    return e.column();
  }
  return 0;
}

void expect_error(const std::string& text, size_t column, const std::string& fragment) {
  std::string what;
  EXPECT_EQ(error_column(text, &what), column) << text << " -> " << what;
  EXPECT_NE(what.find(fragment), std::string::npos) << text << " -> " << what;
  EXPECT_EQ(what.rfind("column " + std::to_string(column) + ": ", 0), 0u) << what;
}

// ---- values --------------------------------------------------------------------------------------------

TEST(ExprParser, Literals) {
  EXPECT_EQ(eval_int("42"), 42);
  EXPECT_EQ(eval_int("0"), 0);
  EXPECT_EQ(eval_int("000"), 0);
  EXPECT_EQ(eval_int("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(eval_int("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(eval_int("-5"), -5);
  EXPECT_EQ(eval_int("- -5"), 5);
  EXPECT_EQ(eval_int("--5"), 5);
}

TEST(ExprParser, FloorDivisionAndModuloFollowPython) {
  EXPECT_EQ(eval_int("-7 // 2"), -4);
  EXPECT_EQ(eval_int("7 // -2"), -4);
  EXPECT_EQ(eval_int("-7 // -2"), 3);
  EXPECT_EQ(eval_int("-7 % 3"), 2);
  EXPECT_EQ(eval_int("7 % -3"), -2);
  EXPECT_EQ(eval_int("-7 % -3"), -1);
  for (int64_t a = -9; a <= 9; ++a) {
    for (int64_t b = -4; b <= 4; ++b) {
      if (b == 0) continue;
      Env env{{"a", a}, {"b", b}};
      EXPECT_EQ(eval_int("a // b", env), py_floordiv(a, b)) << a << " // " << b;
      EXPECT_EQ(eval_int("a % b", env), py_mod(a, b)) << a << " % " << b;
    }
  }
}

TEST(ExprParser, ArithmeticPrecedenceAndAssociativity) {
  EXPECT_EQ(eval_int("1+2*3"), 7);
  EXPECT_EQ(eval_int("(1+2)*3"), 9);
  EXPECT_EQ(eval_int("10 - 3 - 2"), 5);
  EXPECT_EQ(eval_int("100 // 10 // 3"), 3);
  EXPECT_EQ(eval_int("2*3 // 4"), 1);
  EXPECT_EQ(eval_int("2 * (3 // 4)"), 0);
  EXPECT_EQ(eval_int("17 % 5 * 3"), 6);
  EXPECT_EQ(eval_int("-2*3"), -6);
  EXPECT_EQ(eval_int("-2 % 3"), 1);  // (-2) % 3: unary minus binds tighter than %
  EXPECT_EQ(eval_int("-x % 3", {{"x", 2}}), 1);
  EXPECT_EQ(eval_int("- (x - 10)", {{"x", 3}}), 7);
  EXPECT_EQ(eval_int("\t x  *  y\t+ 1 ", {{"x", 6}, {"y", 7}}), 43);
}

TEST(ExprParser, ComparisonsAgainstCpp) {
  for (int64_t a = -3; a <= 3; ++a) {
    for (int64_t b = -3; b <= 3; ++b) {
      Env env{{"a", a}, {"b", b}};
      EXPECT_EQ(eval_bool("a < b", env), a < b);
      EXPECT_EQ(eval_bool("a <= b", env), a <= b);
      EXPECT_EQ(eval_bool("a > b", env), a > b);
      EXPECT_EQ(eval_bool("a >= b", env), a >= b);
      EXPECT_EQ(eval_bool("a == b", env), a == b);
      EXPECT_EQ(eval_bool("a != b", env), a != b);
    }
  }
}

TEST(ExprParser, ComparisonsChainAsInPython) {
  EXPECT_TRUE(eval_bool("1 < 2 < 3"));
  EXPECT_FALSE(eval_bool("3 > 2 > 2"));
  EXPECT_TRUE(eval_bool("1 < 3 > 2"));  // (1 < 3) and (3 > 2), not (1 < 3) > 2
  EXPECT_TRUE(eval_bool("0 <= x < 10", {{"x", 0}}));
  EXPECT_FALSE(eval_bool("0 <= x < 10", {{"x", 10}}));
  EXPECT_TRUE(eval_bool("1 == 1 != 2"));
}

TEST(ExprParser, LogicalPrecedence) {
  EXPECT_TRUE(eval_bool("1+2*3<=7 and not 0"));
  EXPECT_TRUE(eval_bool("not 1 == 2"));  // not (1 == 2)
  EXPECT_TRUE(eval_bool("1 or 0 and 0"));  // 1 or (0 and 0)
  EXPECT_FALSE(eval_bool("(1 or 0) and 0"));
  EXPECT_TRUE(eval_bool("not 0 and 1"));  // (not 0) and 1
  EXPECT_TRUE(eval_bool("not not 7"));
  EXPECT_FALSE(eval_bool("not 5"));
  EXPECT_TRUE(eval_bool("3 and 5"));  // a bool, not Python's 5: logical operators yield bools
  EXPECT_FALSE(eval_bool("0 or 0"));
  EXPECT_TRUE(eval_bool("x < 3 or y", {{"x", 5}, {"y", -1}}));
}

TEST(ExprParser, BoolAndIntMix) {
  EXPECT_EQ(eval_int("(1 < 2) + (2 < 3)"), 2);
  EXPECT_EQ(eval_int("(x < 2) * 10", {{"x", 1}}), 10);
  EXPECT_EQ(eval_int("-(1 < 2)"), -1);
  EXPECT_EQ(eval_int("max(1 < 2, 0)"), 1);
  EXPECT_TRUE(eval_bool("(1 < 2) == 1"));
  EXPECT_TRUE(eval_bool("(1 < 2) == (3 < 4)"));
  EXPECT_TRUE(eval_bool("(2 < 1) < 1"));
  EXPECT_EQ(parse_expr("(x < 1) == (y < 1)", declare({{"x", 0}, {"y", 0}})).src(0).src(0).dtype(), dtypes::bool_);
}

TEST(ExprParser, Functions) {
  EXPECT_EQ(eval_int("min(3, -4)"), -4);
  EXPECT_EQ(eval_int("max(3, -4)"), 3);
  EXPECT_EQ(eval_int("min(max(x, 2), 5)", {{"x", 9}}), 5);
  EXPECT_EQ(eval_int("min(max(x, 2), 5)", {{"x", -9}}), 2);
  EXPECT_EQ(eval_int("max(x, y) - min(x, y)", {{"x", 3}, {"y", -8}}), 11);
  EXPECT_EQ(eval_int("where(x < 3, x, 10 - x)", {{"x", 1}}), 1);
  EXPECT_EQ(eval_int("where(x < 3, x, 10 - x)", {{"x", 4}}), 6);
  EXPECT_EQ(eval_int("where(2, 7, 8)"), 7);  // an int condition is true when nonzero
  EXPECT_EQ(eval_int("where(0, 1 < 2, 5)"), 5);  // a bool branch beside an int one counts as 0/1
  EXPECT_FALSE(eval_bool("where(1, 2 < 1, 1 < 2)"));
  EXPECT_EQ(eval_int("where(x, min(x, 1), (max(0, x)))", {{"x", 3}}), 1);
}

TEST(ExprParser, TypesAndVariables) {
  auto vars = declare({{"x", 0}, {"y", 0}});
  EXPECT_EQ(parse_expr("x", vars), vars.at("x"));
  EXPECT_EQ(parse_expr("((x))", vars), vars.at("x"));
  EXPECT_EQ(parse_expr("x + 1", vars).dtype(), dtypes::weakint);
  EXPECT_EQ(parse_expr("x < y", vars).dtype(), dtypes::bool_);
  EXPECT_EQ(parse_expr("x and y", vars).dtype(), dtypes::bool_);
  EXPECT_EQ(parse_expr("not x", vars).dtype(), dtypes::bool_);
  EXPECT_EQ(parse_expr("x_1", {{"x_1", vars.at("x")}}), vars.at("x"));
}

TEST(ExprParser, SimplifiesConstantExpressions) {
  EXPECT_TRUE(simplify_full(parse_expr("-7 // 2", {})).is_const_int(-4));
  EXPECT_TRUE(simplify_full(parse_expr("-7 % 3", {})).is_const_int(2));
  EXPECT_EQ(simplify_full(parse_expr("1+2*3<=7 and not 0", {})), UOp::bool_const(true));
  EXPECT_EQ(render(simplify_full(parse_expr("max(2, 3) * min(4, 5)", {}))), "12");
}

TEST(ExprParser, SimplifiesTheDocumentedExample) {
  std::map<std::string, UOp> vars{{"x", UOp::variable("x", 0, 100)}, {"y", UOp::variable("y", 0, 3)}};
  UOp result = simplify_full(parse_expr("((x*4+y)//4)%8", vars));
  EXPECT_EQ(render(result), "x%8");
  EXPECT_EQ(result.vmin(), 0);
  EXPECT_EQ(result.vmax(), 7);
}

// ---- errors --------------------------------------------------------------------------------------------

TEST(ExprParserErrors, IncompleteInput) {
  expect_error("x +", 4, "expected an operand but found end of input");
  expect_error("(x", 3, "expected ')' but found end of input");
  expect_error("", 1, "expected an operand but found end of input");
  expect_error("   ", 4, "expected an operand but found end of input");
  expect_error("1 < ", 5, "expected an operand");
  expect_error("x and", 6, "expected an operand");
  expect_error("not", 4, "expected an operand");
  expect_error("-", 2, "expected an operand");
}

TEST(ExprParserErrors, MisplacedTokens) {
  expect_error("x ++ 2", 4, "unary '+' is not supported");
  expect_error("+x", 1, "unary '+' is not supported");
  expect_error("x y", 3, "expected an operator or end of input but found 'y'");
  expect_error("2x", 2, "found 'x'");
  expect_error("x)", 2, "unmatched ')'");
  expect_error("()", 2, "expected an operand but found ')'");
  expect_error("and x", 1, "found 'and'");
  expect_error("x * * y", 5, "found '*'");
  expect_error("3(x)", 2, "found '('");
}

TEST(ExprParserErrors, ForeignOperators) {
  expect_error("x / 2", 3, "use '//'");
  expect_error("x = 1", 3, "use '=='");
  expect_error("x & y", 3, "use 'and'");
  expect_error("x || y", 3, "use 'or'");
  expect_error("!x", 1, "use 'not'");
  expect_error("x $ y", 3, "unexpected character '$'");
  expect_error("x\n+ 1", 2, "unexpected character byte 0x0a");
  expect_error("x ** 2", 4, "found '*'");
}

TEST(ExprParserErrors, Literals) {
  expect_error("9223372036854775808", 1, "does not fit in 64 bits");
  expect_error("x + -9223372036854775809", 6, "does not fit in 64 bits");
  expect_error("x + 99999999999999999999999", 5, "integer literal 99999999999999999999999");
  expect_error("007", 1, "leading zeros");
}

TEST(ExprParserErrors, DivisionByLiteralZero) {
  expect_error("1 // 0", 3, "floor division by zero");
  expect_error("x % 0", 3, "modulo by zero");
  expect_error("x % (0)", 3, "modulo by zero");
  expect_error("x // -0", 3, "floor division by zero");
  expect_error("(x+1) //  000", 7, "floor division by zero");
  EXPECT_EQ(error_column("x // (1-1)"), 0u);  // not a literal: left to the simplifier
  EXPECT_EQ(error_column("x * 0"), 0u);
}

TEST(ExprParserErrors, NamesAndCalls) {
  expect_error("z + 1", 1, "unknown variable 'z'");
  expect_error("x + zz", 5, "unknown variable 'zz' (declare it with --var zz=LO..HI)");
  expect_error("foo(1)", 1, "unknown function 'foo'");
  expect_error("min", 1, "expected '(' after 'min'");
  expect_error("1 + where", 5, "expected '(' after 'where'");
  expect_error("min(1)", 1, "min() takes 2 arguments but 1 was given");
  expect_error("x + max()", 5, "max() takes 2 arguments but 0 were given");
  expect_error("where(1, 2)", 1, "where() takes 3 arguments but 2 were given");
  expect_error("min(1, 2, 3)", 1, "takes 2 arguments but 3 were given");
  expect_error("min(1, 2", 9, "expected ',' or ')' but found end of input");
  expect_error("min(1 2)", 7, "expected ',' or ')' but found '2'");
  expect_error("min(1,)", 7, "expected an operand but found ')'");
}

TEST(ExprParserErrors, NestingDepthIsCapped) {
  const int n = kMaxNestingDepth;
  auto nested = [](int depth) { return std::string(size_t(depth), '(') + "1" + std::string(size_t(depth), ')'); };
  EXPECT_EQ(eval_int(nested(n)), 1);
  expect_error(nested(n + 1), size_t(n) + 1, "nested too deeply");
  EXPECT_EQ(eval_int(std::string(size_t(n), '-') + "x", {{"x", 3}}), n % 2 ? -3 : 3);
  expect_error(std::string(size_t(n) + 1, '-') + "x", size_t(n) + 1, "nested too deeply");
  std::string nots;
  for (int i = 0; i <= n; ++i) nots += "not ";
  expect_error(nots + "1", 4 * size_t(n) + 1, "nested too deeply");
  std::string calls;
  for (int i = 0; i < n; ++i) calls += "max(0,";
  expect_error(calls + "max(0, 1" + std::string(size_t(n) + 1, ')'), 6 * size_t(n) + 4, "nested too deeply");
}

// ---- hostile input (issue 24): nesting at the cap fits the stack in every build -------------------------

// Runs `body` on a thread with a stack of `bytes`, returning what it threw (or "" when nothing).
// A stack overflow there is a crash, which is the point: the cap must hold with room to spare.
std::string on_small_stack(size_t bytes, const std::function<void()>& body) {
  struct Job {
    const std::function<void()>* body;
    std::string error;
  } job{&body, ""};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t thread;
  auto run = [](void* arg) -> void* {
    Job* j = static_cast<Job*>(arg);
    try {
      (*j->body)();
    } catch (const std::exception& e) {
      j->error = e.what();
    }
    return nullptr;
  };
  EXPECT_EQ(pthread_create(&thread, &attr, run, &job), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  return job.error;
}

// Every kind of nesting, each at the cap and one past it.
std::vector<std::pair<std::string, std::string>> nestings_at_and_past_cap() {
  const size_t n = size_t(kMaxNestingDepth);
  auto repeat = [](const std::string& s, size_t k) {
    std::string out;
    for (size_t i = 0; i < k; ++i) out += s;
    return out;
  };
  auto parens = [&](size_t k) { return repeat("(", k) + "x" + repeat(")", k); };
  auto calls = [&](size_t k) { return repeat("max(0, ", k) + "x" + repeat(")", k); };
  auto nots = [&](size_t k) { return repeat("not ", k) + "x"; };
  auto minuses = [&](size_t k) { return repeat("-", k) + "x"; };
  auto mixed = [&](size_t k) { return repeat("-(", k / 2) + repeat("-", k % 2) + "x" + repeat(")", k / 2); };
  return {{parens(n), parens(n + 1)}, {calls(n), calls(n + 1)}, {nots(n), nots(n + 1)},
          {minuses(n), minuses(n + 1)}, {mixed(n), mixed(n + 1)}};
}

TEST(HostileExpr, NestingAtTheCapFitsInHalfTheDefaultStack) {
  // The main thread has 8 MiB, and frames grow under sanitizers: under ASan (RelWithDebInfo) the cap
  // takes about 1.8 MiB, so its 1000 levels of old overflowed. Parsing and simplifying at the cap
  // must fit in 4 MiB, and one level more must be a ParseError, not a stack overflow.
  const size_t stack = size_t(4) << 20;
  const std::map<std::string, UOp> vars = {{"x", UOp::variable("x", 0, 9)}};
  for (const auto& [at_cap, past_cap] : nestings_at_and_past_cap()) {
    EXPECT_EQ(on_small_stack(stack, [&] { simplify_full(parse_expr(at_cap, vars)); }), "") << at_cap.substr(0, 40);
    EXPECT_NE(on_small_stack(stack, [&] { parse_expr(past_cap, vars); }).find("expression nested too deeply"),
              std::string::npos)
        << past_cap.substr(0, 40);
  }
}

TEST(HostileExpr, NestingPastTheCapIsALocatedParseError) {
  const std::map<std::string, UOp> vars = {{"x", UOp::variable("x", 0, 9)}};
  try {
    parse_expr(std::string(size_t(kMaxNestingDepth) + 1, '(') + "x" + std::string(size_t(kMaxNestingDepth) + 1, ')'), vars);
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.column(), size_t(kMaxNestingDepth) + 1);
    EXPECT_STREQ(e.what(), "column 201: expression nested too deeply (more than 200 levels)");
  }
}

TEST(ExprParserErrors, AreAnnealErrors) {
  EXPECT_THROW(parse_expr("x +", {}), Error);
}

// ---- --var specs ---------------------------------------------------------------------------------------

TEST(VarSpec, Parses) {
  VarSpec s = parse_var_spec("x=0..100");
  EXPECT_EQ(s.name, "x");
  EXPECT_EQ(s.lo, 0);
  EXPECT_EQ(s.hi, 100);
  s = parse_var_spec("n_1=-5..-1");
  EXPECT_EQ(s.name, "n_1");
  EXPECT_EQ(s.lo, -5);
  EXPECT_EQ(s.hi, -1);
  s = parse_var_spec("_=3..3");
  EXPECT_EQ(s.lo, 3);
  EXPECT_EQ(s.hi, 3);
  s = parse_var_spec("big=-9223372036854775808..9223372036854775807");
  EXPECT_EQ(s.lo, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(s.hi, std::numeric_limits<int64_t>::max());
}

void expect_spec_error(const std::string& spec, size_t column, const std::string& fragment) {
  try {
    parse_var_spec(spec);
    ADD_FAILURE() << spec << " parsed";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.column(), column) << spec << " -> " << e.what();
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << spec << " -> " << e.what();
  }
}

TEST(VarSpec, Errors) {
  expect_spec_error("", 1, "expected a variable name");
  expect_spec_error("=0..1", 1, "expected a variable name");
  expect_spec_error("1x=0..1", 1, "must start with a letter");
  expect_spec_error("and=0..1", 1, "'and' is reserved");
  expect_spec_error("min=0..1", 1, "'min' is reserved");
  expect_spec_error("x", 2, "expected '=' after the variable name but found end of input");
  expect_spec_error("x:0..1", 2, "expected '=' after the variable name but found ':'");
  expect_spec_error("x=..1", 3, "expected an integer bound but found '.'");
  expect_spec_error("x=+1..2", 3, "expected an integer bound but found '+'");
  expect_spec_error("x=0.1", 4, "expected '..' between the bounds");
  expect_spec_error("x=0", 4, "expected '..' between the bounds but found end of input");
  expect_spec_error("x=0..", 6, "expected an integer bound but found end of input");
  expect_spec_error("x=0..5z", 7, "expected end of the spec but found 'z'");
  expect_spec_error("x = 0..5", 2, "expected '=' after the variable name but found ' '");
  expect_spec_error("x=5..3", 3, "empty range: the lower bound 5 exceeds the upper bound 3");
  expect_spec_error("x=99999999999999999999..1", 3, "does not fit in 64 bits");
}

TEST(VarSpec, ValidNames) {
  EXPECT_TRUE(is_valid_var_name("x"));
  EXPECT_TRUE(is_valid_var_name("_tmp9"));
  EXPECT_TRUE(is_valid_var_name("minimum"));
  EXPECT_FALSE(is_valid_var_name(""));
  EXPECT_FALSE(is_valid_var_name("9x"));
  EXPECT_FALSE(is_valid_var_name("x-y"));
  EXPECT_FALSE(is_valid_var_name("not"));
  EXPECT_FALSE(is_valid_var_name("where"));
}

// ---- diagnostics ---------------------------------------------------------------------------------------

TEST(FormatParseError, PutsTheCaretUnderTheColumn) {
  EXPECT_EQ(format_parse_error("(x", ParseError(3, "expected ')' but found end of input")),
            "error: column 3: expected ')' but found end of input\n  (x\n    ^\n");
  EXPECT_EQ(format_parse_error("x +", ParseError(1, "m")), "error: column 1: m\n  x +\n  ^\n");
  // Tabs stay tabs so that the caret lines up wherever the terminal's tab stops are.
  EXPECT_EQ(format_parse_error("\tx $", ParseError(4, "m")), "error: column 4: m\n  \tx $\n  \t  ^\n");
}

}  // namespace
}  // namespace anneal::cli
