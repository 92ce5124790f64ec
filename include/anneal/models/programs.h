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

// One Adam training step of a classifier ("mlp" or "conv"; batch 128 of random data): the loss and
// every update as outputs, with the provenance (forward, backward, optimizer) of their nodes.
struct TrainStep {
  Program program;
  std::unique_ptr<Provenance> provenance;
};
TrainStep build_train_step(const std::string& classifier);

}  // namespace anneal
