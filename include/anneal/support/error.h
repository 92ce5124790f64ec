// anneal::Error — the one exception type the library throws for misuse and bad input.
#pragma once
#include <stdexcept>
#include <string>

namespace anneal {

// Every library error is an anneal::Error whose message says what was wrong and where
// ("simplify: division by zero in x//0"). Callers catch it; the CLI prints it and exits non-zero.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws anneal::Error with `message` when `ok` is false. Used for checks on user input;
// internal invariants use the same helper so that a broken invariant is also a readable error.
inline void check(bool ok, const std::string& message) {
  if (!ok) throw Error(message);
}

}  // namespace anneal
