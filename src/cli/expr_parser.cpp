// Recursive-descent parser for the command-line expression language (grammar in expr_parser.h).
#include "cli/expr_parser.h"

#include <fmt/format.h>

#include <charconv>
#include <limits>
#include <utility>
#include <vector>

namespace anneal::cli {

ParseError::ParseError(size_t column, const std::string& message)
    : Error("column " + std::to_string(column) + ": " + message), column_(column) {}

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }
bool is_keyword(std::string_view w) { return w == "and" || w == "or" || w == "not"; }
bool is_function(std::string_view w) { return w == "min" || w == "max" || w == "where"; }

// A character as an error message shows it; control and non-ASCII bytes by value.
std::string describe_char(char c) {
  if (c >= ' ' && c < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
}

// What stands at `i` in `text`, for "expected X but found Y".
std::string found_at(std::string_view text, size_t i) {
  return i < text.size() ? describe_char(text[i]) : "end of input";
}

// ---- tokens --------------------------------------------------------------------------------------------

enum class Tok { End, Int, Name, Keyword, Symbol };

struct Token {
  Tok kind;
  std::string_view text;
  size_t column;  // 1-based
};

std::string describe(const Token& t) { return t.kind == Tok::End ? "end of input" : fmt::format("'{}'", t.text); }

// Two-character operators come first so that "<=" is not read as "<" followed by "=".
constexpr std::string_view kSymbols[] = {"//", "<=", ">=", "==", "!=", "+", "-", "*", "%", "<", ">", "(", ")", ","};
constexpr std::string_view kComparisons[] = {"<", "<=", ">", ">=", "==", "!="};

// Spellings from other languages get a pointer to the Python one.
std::string unexpected_char(char c) {
  switch (c) {
    case '/': return "'/' is not an operator; use '//' for floor division";
    case '=': return "'=' is not an operator; use '==' to compare";
    case '&': return "'&' is not an operator; use 'and'";
    case '|': return "'|' is not an operator; use 'or'";
    case '!': return "'!' is not an operator; use 'not' or '!='";
    default: return "unexpected character " + describe_char(c);
  }
}

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const size_t column = i + 1;
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    if (is_digit(c) || is_ident_start(c)) {
      size_t j = i;
      while (j < text.size() && (is_digit(c) ? is_digit(text[j]) : is_ident_char(text[j]))) ++j;
      std::string_view word = text.substr(i, j - i);
      // Python rejects 007 (it once meant octal); so do we, rather than guess what was meant.
      if (is_digit(c) && word.size() > 1 && c == '0' && word.find_first_not_of('0') != std::string_view::npos)
        throw ParseError(column, "leading zeros are not allowed in integer literals");
      out.push_back({is_digit(c) ? Tok::Int : is_keyword(word) ? Tok::Keyword : Tok::Name, word, column});
      i = j;
      continue;
    }
    bool matched = false;
    for (std::string_view s : kSymbols) {
      if (text.substr(i, s.size()) == s) {
        out.push_back({Tok::Symbol, s, column});
        i += s.size();
        matched = true;
        break;
      }
    }
    if (!matched) throw ParseError(column, unexpected_char(c));
  }
  out.push_back({Tok::End, {}, text.size() + 1});
  return out;
}

// The value of an integer literal, negated when it follows a unary minus: that is what makes the
// most negative int64 writable although its magnitude alone does not fit.
int64_t literal_value(const Token& t, bool negated) {
  constexpr uint64_t kMinMagnitude = uint64_t(1) << 63;
  const uint64_t limit = negated ? kMinMagnitude : kMinMagnitude - 1;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
  if (ec != std::errc() || end != t.text.data() + t.text.size() || v > limit)
    throw ParseError(t.column, fmt::format("integer literal {}{} does not fit in 64 bits", negated ? "-" : "", t.text));
  if (!negated) return static_cast<int64_t>(v);
  return v == kMinMagnitude ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
}

// ---- Python's mixing of bool and int -------------------------------------------------------------------

UOp as_int(const UOp& u) { return u.dtype().is_bool() ? u.cast(dtypes::weakint) : u; }
UOp as_bool(const UOp& u) { return u.dtype().is_bool() ? u : u.ne(0); }

// Two bools stay bools (== and where keep their type); any other pair is compared as ints.
std::pair<UOp, UOp> unify(const UOp& a, const UOp& b) {
  if (a.dtype().is_bool() && b.dtype().is_bool()) return {a, b};
  return {as_int(a), as_int(b)};
}

UOp compare(std::string_view op, const UOp& a, const UOp& b) {
  if (op == "==" || op == "!=") {
    auto [x, y] = unify(a, b);
    return op == "==" ? x.eq(y) : x.ne(y);
  }
  // The IR has only CMPLT: the other orderings swap operands or shift by one (exact on integers).
  const UOp x = as_int(a), y = as_int(b);
  if (op == "<") return x.lt(y);
  if (op == "<=") return x.lt(y + 1);
  if (op == ">") return y.lt(x);
  return y.lt(x + 1);
}

// ---- the parser ----------------------------------------------------------------------------------------

class Parser {
 public:
  Parser(std::vector<Token> tokens, const std::map<std::string, UOp>& vars) : toks_(std::move(tokens)), vars_(vars) {}

  UOp parse_all() {
    UOp e = parse_or();
    const Token& t = peek();
    if (t.kind == Tok::End) return e;
    if (t.kind == Tok::Symbol && t.text == ")") throw ParseError(t.column, "unmatched ')'");
    throw ParseError(t.column, "expected an operator or end of input but found " + describe(t));
  }

 private:
  // Guards one level of nesting (parenthesis, call, unary minus, not) for its lifetime.
  class Nest {
   public:
    Nest(Parser& p, const Token& at) : p_(p) {
      if (p_.depth_ >= kMaxNestingDepth)
        throw ParseError(at.column,
                         fmt::format("expression nested too deeply (more than {} levels)", kMaxNestingDepth));
      ++p_.depth_;
    }
    ~Nest() { --p_.depth_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Parser& p_;
  };

  // The End token is last and is never consumed, so peek() is always in range.
  const Token& peek() const { return toks_[pos_]; }
  const Token& advance() { return toks_[pos_++]; }
  bool at(Tok kind, std::string_view text) const { return peek().kind == kind && peek().text == text; }
  bool at_symbol(std::string_view s) const { return at(Tok::Symbol, s); }
  bool at_comparison() const {
    for (std::string_view s : kComparisons)
      if (at_symbol(s)) return true;
    return false;
  }

  UOp parse_or() {
    UOp lhs = parse_and();
    while (at(Tok::Keyword, "or")) {
      advance();
      UOp rhs = parse_and();
      lhs = as_bool(lhs) | as_bool(rhs);
    }
    return lhs;
  }

  UOp parse_and() {
    UOp lhs = parse_not();
    while (at(Tok::Keyword, "and")) {
      advance();
      UOp rhs = parse_not();
      lhs = as_bool(lhs) & as_bool(rhs);
    }
    return lhs;
  }

  UOp parse_not() {
    if (!at(Tok::Keyword, "not")) return parse_comparison();
    Nest nest(*this, advance());
    return as_bool(parse_not()).logical_not();
  }

  // a < b <= c means (a < b) and (b <= c), as in Python.
  UOp parse_comparison() {
    UOp lhs = parse_sum();
    UOp chain;
    while (at_comparison()) {
      std::string_view op = advance().text;
      UOp rhs = parse_sum();
      UOp cmp = compare(op, lhs, rhs);
      chain = chain ? (chain & cmp) : cmp;
      lhs = rhs;
    }
    return chain ? chain : lhs;
  }

  UOp parse_sum() {
    UOp lhs = parse_term();
    while (at_symbol("+") || at_symbol("-")) {
      const bool plus = advance().text == "+";
      UOp rhs = as_int(parse_term());
      lhs = plus ? as_int(lhs) + rhs : as_int(lhs) - rhs;
    }
    return lhs;
  }

  UOp parse_term() {
    UOp lhs = parse_unary();
    while (at_symbol("*") || at_symbol("//") || at_symbol("%")) {
      const Token& op = advance();
      UOp rhs = as_int(parse_unary());
      // A literal zero divisor is certainly a mistake; say so where it was written.
      if (op.text != "*" && rhs.is_const_int(0))
        throw ParseError(op.column, op.text == "//" ? "floor division by zero" : "modulo by zero");
      if (op.text == "*") lhs = as_int(lhs) * rhs;
      else if (op.text == "//") lhs = as_int(lhs).floordiv(rhs);
      else lhs = as_int(lhs) % rhs;
    }
    return lhs;
  }

  UOp parse_unary() {
    if (!at_symbol("-")) return parse_primary();
    Nest nest(*this, advance());
    // Unary minus binds tighter than every binary operator, so -LITERAL is simply a constant.
    if (peek().kind == Tok::Int) return UOp::int_const(literal_value(advance(), true));
    return -as_int(parse_unary());
  }

  UOp parse_primary() {
    const Token& t = peek();
    if (t.kind == Tok::Int) {
      advance();
      return UOp::int_const(literal_value(t, false));
    }
    if (t.kind == Tok::Name) {
      advance();
      return at_symbol("(") ? parse_call(t) : variable(t);
    }
    if (at_symbol("(")) {
      Nest nest(*this, advance());
      UOp inner = parse_or();
      if (!at_symbol(")")) throw ParseError(peek().column, "expected ')' but found " + describe(peek()));
      advance();
      return inner;
    }
    std::string message = "expected an operand but found " + describe(t);
    if (at_symbol("+")) message += " (unary '+' is not supported)";
    throw ParseError(t.column, message);
  }

  UOp variable(const Token& t) const {
    const std::string name(t.text);
    if (auto it = vars_.find(name); it != vars_.end()) return it->second;
    if (is_function(name)) throw ParseError(t.column, fmt::format("expected '(' after '{}'", name));
    throw ParseError(t.column, fmt::format("unknown variable '{}' (declare it with --var {}=LO..HI)", name, name));
  }

  // min(a, b), max(a, b), where(c, a, b); the current token is the '('.
  UOp parse_call(const Token& name) {
    if (!is_function(name.text))
      throw ParseError(name.column,
                       fmt::format("unknown function '{}' (the functions are min, max and where)", name.text));
    Nest nest(*this, advance());
    std::vector<UOp> args;
    if (!at_symbol(")")) {
      args.push_back(parse_or());
      while (at_symbol(",")) {
        advance();
        args.push_back(parse_or());
      }
    }
    if (!at_symbol(")")) throw ParseError(peek().column, "expected ',' or ')' but found " + describe(peek()));
    advance();
    const size_t arity = name.text == "where" ? 3 : 2;
    if (args.size() != arity)
      throw ParseError(name.column, fmt::format("{}() takes {} arguments but {} {} given", name.text, arity,
                                                args.size(), args.size() == 1 ? "was" : "were"));
    if (name.text == "min") return as_int(args[0]).minimum(as_int(args[1]));
    if (name.text == "max") return as_int(args[0]).maximum(as_int(args[1]));
    auto [t, f] = unify(args[1], args[2]);
    return as_bool(args[0]).where(t, f);
  }

  std::vector<Token> toks_;
  const std::map<std::string, UOp>& vars_;
  size_t pos_ = 0;
  int depth_ = 0;
};

// An optionally negative int64 at `i` of a --var spec; advances `i` past it.
int64_t parse_bound(std::string_view spec, size_t& i) {
  int64_t v = 0;
  const char* begin = spec.data() + i;
  auto [end, ec] = std::from_chars(begin, spec.data() + spec.size(), v);
  if (end == begin) throw ParseError(i + 1, "expected an integer bound but found " + found_at(spec, i));
  if (ec != std::errc())
    throw ParseError(i + 1, fmt::format("bound {} does not fit in 64 bits", std::string_view(begin, end)));
  i += size_t(end - begin);
  return v;
}

}  // namespace

UOp parse_expr(std::string_view text, const std::map<std::string, UOp>& vars) {
  return Parser(tokenize(text), vars).parse_all();
}

bool is_valid_var_name(std::string_view name) {
  if (name.empty() || !is_ident_start(name[0]) || is_keyword(name) || is_function(name)) return false;
  for (char c : name)
    if (!is_ident_char(c)) return false;
  return true;
}

VarSpec parse_var_spec(std::string_view spec) {
  size_t i = 0;
  while (i < spec.size() && is_ident_char(spec[i])) ++i;
  const std::string name(spec.substr(0, i));
  if (name.empty()) throw ParseError(1, "expected a variable name (the form is NAME=LO..HI, e.g. x=0..100)");
  if (!is_ident_start(name[0])) throw ParseError(1, "a variable name must start with a letter or '_'");
  if (!is_valid_var_name(name)) throw ParseError(1, fmt::format("'{}' is reserved and cannot name a variable", name));
  if (i >= spec.size() || spec[i] != '=')
    throw ParseError(i + 1, "expected '=' after the variable name but found " + found_at(spec, i));
  ++i;
  const size_t lo_column = i + 1;
  const int64_t lo = parse_bound(spec, i);
  if (spec.substr(i, 2) != "..")
    throw ParseError(i + 1, "expected '..' between the bounds but found " + found_at(spec, i));
  i += 2;
  const int64_t hi = parse_bound(spec, i);
  if (i != spec.size()) throw ParseError(i + 1, "expected end of the spec but found " + found_at(spec, i));
  if (lo > hi)
    throw ParseError(lo_column, fmt::format("empty range: the lower bound {} exceeds the upper bound {}", lo, hi));
  return {name, lo, hi};
}

std::string format_parse_error(std::string_view source, const ParseError& error) {
  // Tabs are copied into the caret line so that the caret lines up however the terminal shows them.
  std::string pad;
  for (size_t i = 0; i + 1 < error.column() && i < source.size(); ++i) pad += source[i] == '\t' ? '\t' : ' ';
  return fmt::format("error: {}\n  {}\n  {}^\n", error.what(), source, pad);
}

}  // namespace anneal::cli
