// The smallest useful program against an installed anneal: simplify an index expression.
//
// For x in [0, 100], (x*4 + 3) // 4 is exactly x, because the added 3 never reaches the next
// multiple of 4. The program prints the simplified expression and exits 0 only if it is `x`, so
// it doubles as the install check (tests/install).
#include <iostream>
#include <string>

#include "anneal/rewrite/symbolic.h"
#include "anneal/uop/print.h"
#include "anneal/uop/uop.h"

int main() {
  using anneal::UOp;
  const UOp x = UOp::variable("x", 0, 100);
  const UOp simplified = anneal::simplify((x * 4 + 3).floordiv(4));
  const std::string text = anneal::render(simplified);
  std::cout << text << '\n';
  if (text != "x") {
    std::cerr << "expected (x*4 + 3) // 4 to simplify to x, got " << text << '\n';
    return 1;
  }
  return 0;
}
