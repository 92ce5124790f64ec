// Built-in programs: fixed tensor programs whose graphs and kernel counts are tracked over time
// (`anneal graph|kernels PROGRAM`). Inputs are deterministic pseudo-random data.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "anneal/tensor/provenance.h"
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

// One training step on random data: a classifier's Adam step ("mlp", "conv"; batch 128; "dynmlp" with
// the batch a variable B bound to 128) or nanoGPT's AdamW step (W4s, 8 sequences): the loss and every
// update as outputs, with the provenance (forward, backward, optimizer) of their nodes.
const std::vector<std::string>& train_step_names();
struct TrainStep {
  Program program;
  std::unique_ptr<Provenance> provenance;
};
TrainStep build_train_step(const std::string& name);

}  // namespace anneal
