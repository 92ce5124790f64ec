// The benchmark workloads of WORKLOADS.md, run on one device: W1 (N x N matmul), W2 (MLP train step),
// W3 (conv net train step), W4 (nanoGPT train step; W4s on the CPU), W5 (GPT-2 small forward) and W6
// (GPT-2 small greedy decode). Times are the median of `reps` runs after warm-up, measured with the
// device's own clock (CUDA events on GPUs); peers live in bench/peers/.
#pragma once
#include <cstdint>
#include <string>

#include "anneal/uop/dtype.h"

namespace anneal {

struct WorkloadResult {
  std::string workload;  // "w1" ... "w4"
  std::string device;
  DType dtype = dtypes::float32;  // W1's inputs and output (accumulation is float32)
  int64_t n = 0;         // W1's N, else the batch size
  double ms = 0;         // median time of one matmul / one training step
  double gflops = 0;     // W1 only: 2 N^3 / time
};

// An unknown workload or an unusable device raises anneal::Error.
WorkloadResult run_workload(const std::string& workload, const std::string& device, int64_t n = 0, int reps = 10,
                            DType dtype = dtypes::float32);

}  // namespace anneal
