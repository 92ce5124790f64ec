#include "anneal/tensor/variable.h"

#include <cctype>

#include "anneal/support/error.h"

namespace anneal {
namespace {

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace

Variable::Variable(const std::string& name, int64_t min, int64_t max) : name_(name), min_(min), max_(max) {
  check(is_identifier(name), [&] { return "Variable: '" + name + "' is not an identifier (letters, digits, '_')"; });
  check(min >= 0 && min <= max, [&] {
    return "Variable " + name + ": the range [" + std::to_string(min) + ", " + std::to_string(max) +
           "] must be non-empty and non-negative (it sizes tensors)";
  });
  var_ = UOp::variable(name, min, max);
}

Dim Variable::bind(int64_t value) const {
  check(value >= min_ && value <= max_, [&] {
    return "Variable " + name_ + ": " + std::to_string(value) + " is outside its range [" + std::to_string(min_) + ", " +
           std::to_string(max_) + "]";
  });
  return Dim(UOp::make(Ops::BIND, var_.dtype(), {var_, UOp::int_const(value, var_.dtype())}));
}

}  // namespace anneal
