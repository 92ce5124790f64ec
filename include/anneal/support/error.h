// anneal::Error — the one exception type the library throws for misuse and bad input.
#pragma once
#include <stdexcept>
#include <string>
#include <type_traits>

namespace anneal {

// Every library error is an anneal::Error whose message says what was wrong and where
// ("simplify: division by zero in x//0"). Callers catch it; the CLI prints it and exits non-zero.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Throws anneal::Error when `ok` is false. `message` is a string, or a callable returning one so
// that hot paths build the message only when the check fails. Used for checks on user input;
// internal invariants use the same helper so that a broken invariant is also a readable error.
template <class Message>
inline void check(bool ok, Message&& message) {
  if (ok) [[likely]]
    return;
  if constexpr (std::is_invocable_v<Message>) throw Error(std::string(message()));
  else throw Error(std::string(message));
}

}  // namespace anneal
