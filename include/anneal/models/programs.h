// Built-in programs: fixed tensor programs whose graphs and kernel counts are tracked over time
// (`anneal graph|kernels PROGRAM`). Inputs are deterministic pseudo-random data.
#pragma once
#include <string>
#include <vector>

#include "anneal/tensor/tensor.h"

namespace anneal {

struct Program {
  std::string name;
  std::string description;
  std::vector<Tensor> outputs;
};

const std::vector<std::string>& program_names();
// Raises anneal::Error listing the known names when `name` is unknown.
Program build_program(const std::string& name);

}  // namespace anneal
