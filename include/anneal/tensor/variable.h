// Variables: symbolic sizes. One graph built with a variable is scheduled and compiled once and runs
// for every value of it in its range (SPEC.md, "Symbolic shapes").
//
//   Variable batch("B", 1, 256);
//   Tensor x = Tensor::from_vector(data, {batch.bind(n), 784});   // n rows this time
//   Tensor y = model(x);                                           // shape (B, 10)
//   y.realize();   // the kernels take B as an argument: the next n compiles nothing
//
// A bound dimension carries its value in the graph (a BIND node); the scheduler strips the values,
// so the schedule, the compiled kernels and the buffers (sized for the maximum) are shared by every
// value, and passes them to the kernels at launch.
#pragma once
#include <cstdint>
#include <string>

#include "anneal/uop/shape.h"

namespace anneal {

class Variable {
 public:
  // `name` is an identifier (it names the kernels' argument); anneal::Error for an empty range.
  Variable(const std::string& name, int64_t min, int64_t max);

  // The variable with a value, as a dimension; anneal::Error naming it when `value` is outside [min, max].
  Dim bind(int64_t value) const;
  // The bare variable: a graph using it must get its value from a bound use before it is realized.
  Dim dim() const { return Dim(var_); }
  const std::string& name() const { return name_; }
  int64_t min() const { return min_; }
  int64_t max() const { return max_; }
  const UOp& uop() const { return var_; }

 private:
  std::string name_;
  int64_t min_, max_;
  UOp var_;
};

}  // namespace anneal
